"""Search vocabulary shared by the query fragments, selectors and pages: normalised terms, ranking tiers, the
catalog version, and the distinct column names that "contains" searches over columns scan instead of a
trigram index (see ``column_names_containing``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models.functions import Lower

from catalog.models import Capsule, Column

__all__ = [
    "RANK_DESCRIPTION",
    "RANK_EXACT",
    "RANK_LABELS",
    "RANK_NAME",
    "RANK_PREFIX",
    "SearchTerms",
    "catalog_version",
    "column_names_containing",
    "next_prefix",
    "search_terms",
]

# Queries longer than this are cut: nobody types more, and trigram extraction grows with the length.
MAX_QUERY_LENGTH = 200
# Below this many characters a trigram index cannot answer "contains", so only name prefixes are searched.
MIN_CONTAINS_LENGTH = 3
# Search tiers, best first.
RANK_EXACT, RANK_PREFIX, RANK_NAME, RANK_DESCRIPTION = 0, 1, 2, 3
RANK_LABELS = {RANK_EXACT: "exact", RANK_PREFIX: "prefix", RANK_NAME: "name", RANK_DESCRIPTION: "description"}


@dataclass(frozen=True)
class SearchTerms:
    """A normalised search query: ``raw`` trimmed as typed, ``text`` lower-cased, ``name`` the text as a name
    would spell it ("order status" -> "order_status"), ``words`` its alphanumeric words."""

    raw: str
    text: str
    name: str
    words: tuple[str, ...]

    @property
    def allows_contains(self) -> bool:
        return len(self.text) >= MIN_CONTAINS_LENGTH

    @property
    def tsquery(self) -> str:
        """Every word as a prefix, all required: ``'cust':* & 'email':*`` (words are alphanumeric)."""
        return " & ".join(f"'{word}':*" for word in self.words)


def search_terms(query: str | None) -> SearchTerms | None:
    """Normalise what a user typed; None when nothing searchable is left."""
    raw = " ".join((query or "").split())[:MAX_QUERY_LENGTH]
    if not raw:
        return None
    text = raw.lower()
    return SearchTerms(raw=raw, text=text, name=text.replace(" ", "_"), words=tuple(re.findall(r"[^\W_]+", text)))


def next_prefix(text: str) -> str:
    """The smallest string above every string starting with ``text``: "id" -> "ie"."""
    while text and ord(text[-1]) >= 0x10FFFF:
        text = text[:-1]
    return text[:-1] + chr(ord(text[-1]) + 1) if text else "\U0010ffff"


def catalog_version() -> str:
    """A token that changes whenever an ingestion adds, changes or removes a capsule or any of its columns
    (the loader re-stamps a capsule whose columns changed) and whenever a capsule is saved in the admin.
    One query over two indexes (the capsule count and the latest ``updated_at``)."""
    table = connection.ops.quote_name(Capsule._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (SELECT COUNT(*) FROM {table}), (SELECT MAX(updated_at) FROM {table})")
        count, latest = cursor.fetchone()
    return f"{count}:{latest}"


# Names that a substring search over columns may turn into an IN list; beyond this it scans instead.
MAX_NAME_MATCHES = 10_000
NAMES_TTL = 24 * 3600  # seconds; the catalog version in the key is what keeps the list right


def _column_names() -> list[str]:
    """Every distinct lower-cased column name, remembered per catalog version in the Django cache.

    376,000 columns have about 5,500 names, so substring searches run over this list in Python rather than
    over a trigram index of every column, which would add a quarter to each ingestion (2.3 s per 376,000
    column rows). Reading the names costs one aggregate (about 90 ms) per version and process."""
    key = f"catalog:column-names:{catalog_version()}".replace(" ", "_")
    names = cache.get(key)
    if names is None:
        names = list(Column.objects.order_by().values_list(Lower("name"), flat=True).distinct())
        cache.set(key, names, NAMES_TTL)
    return names


def column_names_containing(text: str) -> list[str] | None:
    """The distinct lower-cased column names containing ``text`` (already lower-cased); None when there are
    too many to list in a query (the caller then matches with LIKE)."""
    names = [name for name in _column_names() if text in name]
    return names if len(names) <= MAX_NAME_MATCHES else None
