"""Search vocabulary shared by the query fragments, selectors and pages: normalised terms, ranking tiers and
the reason each match gives, the catalog version, the distinct column names that "contains" searches over
columns scan instead of a trigram index (see ``column_names_containing``), and the closest names offered
when nothing matches (``names_near``)."""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models.functions import Lower

from catalog.models import Capsule, Column

__all__ = [
    "RANK_DESCRIPTION",
    "RANK_EXACT",
    "RANK_FUZZY",
    "RANK_LABELS",
    "RANK_NAME",
    "RANK_PREFIX",
    "SearchTerms",
    "catalog_version",
    "column_names_containing",
    "edit_distance",
    "match_reason",
    "names_near",
    "next_prefix",
    "search_terms",
    "squash",
    "trigrams_available",
    "trigrams_forget",
]

# Queries longer than this are cut: nobody types more, and trigram extraction grows with the length.
MAX_QUERY_LENGTH = 200
# Below this many characters a trigram index cannot answer "contains", so only name prefixes are searched.
MIN_CONTAINS_LENGTH = 3
# Typo tolerance starts here: a shorter word is within two edits of too many others to mean one of them.
MIN_FUZZY_LENGTH = 5
# Search tiers, best first. A fuzzy match (a capsule name close to the query, not containing it) comes after
# every literal match: a typo rarely spells a word of some description, while a real word often also sits
# close to a dozen other names.
RANK_EXACT, RANK_PREFIX, RANK_NAME, RANK_DESCRIPTION, RANK_FUZZY = 0, 1, 2, 3, 4
RANK_LABELS = {
    RANK_EXACT: "exact",
    RANK_PREFIX: "prefix",
    RANK_NAME: "name",
    RANK_DESCRIPTION: "description",
    RANK_FUZZY: "fuzzy",
}


@dataclass(frozen=True)
class SearchTerms:
    """A normalised search query: ``raw`` trimmed as typed, ``text`` lower-cased, ``name`` the text as a name
    would spell it ("order status" -> "order_status"), ``words`` its alphanumeric words, ``squashed`` its
    letters and digits alone ("Dim-Date" -> "dimdate", as names are compared without their separators)."""

    raw: str
    text: str
    name: str
    words: tuple[str, ...]
    squashed: str = ""

    @property
    def allows_contains(self) -> bool:
        return len(self.text) >= MIN_CONTAINS_LENGTH

    @property
    def allows_fuzzy(self) -> bool:
        return len(self.squashed) >= MIN_FUZZY_LENGTH

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
    return SearchTerms(
        raw=raw,
        text=text,
        name=text.replace(" ", "_"),
        words=tuple(_singular(word) for word in re.findall(r"[^\W_]+", text)),
        squashed=squash(text),
    )


def _singular(word: str) -> str:
    """A word without its plural "s", since words match as prefixes: "namespaces" then also finds "namespace"
    (descriptions are indexed without stemming, which would need a language per project)."""
    return word[:-1] if len(word) >= 4 and word.endswith("s") and not word.endswith("ss") else word


def squash(text: str) -> str:
    """Lower-cased ASCII letters and digits only, as the squashed-name index of migration 0013 spells a name."""
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def edit_distance(a: str, b: str, *, limit: int = 3) -> int:
    """Optimal string alignment distance (insertions, deletions, substitutions, and swaps of two neighbours
    as one edit), or ``limit`` when it is at least that: only small distances matter, so each row fills
    only the cells within ``limit`` of the diagonal (the others cost at least ``limit`` anyway) and rows
    stop early. A fuzzy match's reason asks it for each result shown."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    if a == b:
        return 0
    width = len(b)
    previous2: list[int] = []
    previous = [min(j, limit) for j in range(width + 1)]
    for i in range(1, len(a) + 1):
        ca = a[i - 1]
        current = [limit] * (width + 1)
        current[0] = min(i, limit)
        row_min = current[0]
        for j in range(max(1, i - limit + 1), min(width, i + limit - 1) + 1):
            cb = b[j - 1]
            value = previous[j - 1] + (ca != cb)
            if previous[j] + 1 < value:
                value = previous[j] + 1
            if current[j - 1] + 1 < value:
                value = current[j - 1] + 1
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb and previous2[j - 2] + 1 < value:
                value = previous2[j - 2] + 1
            current[j] = value
            if value < row_min:
                row_min = value
        if row_min >= limit:
            return limit
        previous2, previous = previous, current
    return min(previous[-1], limit)


def match_reason(terms: SearchTerms, *, rank: int, name: str, urn: str, tag_hit: bool) -> str:
    """Why a row matched, in words for the results page and the API (``match_reason``)."""
    lowered = name.lower()
    if rank == RANK_EXACT:
        if lowered == terms.name:
            return "exact name"
        return "exact URN" if terms.name == urn.lower() or terms.raw == urn else "same name, other separators"
    if rank == RANK_PREFIX:
        return f"name starts with “{terms.raw}”"
    if rank == RANK_NAME:
        if terms.name in lowered:
            return f"name contains “{terms.raw}”"
        return f"tag “{terms.text}”" if tag_hit else f"URN contains “{terms.raw}”"
    if rank == RANK_DESCRIPTION:
        return "description has every word"
    if squash(name) == terms.squashed:
        return "similar name: the same letters, other separators"
    edits = edit_distance(terms.squashed, squash(name))
    if edits < 3:
        return f"similar name: {edits} letter{'s' if edits > 1 else ''} apart"
    return "similar name"


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


# The latest list of names per kind in this process, as (cache key, names): the Django cache hands back a
# copy (unpickled: 1 ms per search for 5,500 names), this the list itself.
_NAMES_HELD: dict[str, tuple[str, list[str]]] = {}


def _names(kind: str, model) -> list[str]:
    """Every distinct lower-cased name of ``model``, remembered per catalog version in this process and in
    the Django cache (shared by processes where the cache is). One query for the version per call."""
    key = f"catalog:{kind}-names:{catalog_version()}".replace(" ", "_")
    held = _NAMES_HELD.get(kind)
    if held is not None and held[0] == key:
        return held[1]
    names = cache.get(key)
    if names is None:
        names = list(model.objects.order_by().values_list(Lower("name"), flat=True).distinct())
        cache.set(key, names, NAMES_TTL)
    _NAMES_HELD[kind] = (key, names)
    return names


def _column_names() -> list[str]:
    """Every distinct lower-cased column name, remembered per catalog version (see ``_names``).

    376,000 columns have about 5,500 names, so substring searches run over this list in Python rather than
    over a trigram index of every column, which would add a quarter to each ingestion (2.3 s per 376,000
    column rows). Reading the names costs one aggregate (about 90 ms) per version and process."""
    return _names("column", Column)


def _capsule_names() -> list[str]:
    """Every distinct lower-cased capsule name, remembered per catalog version (one query per version)."""
    return _names("capsule", Capsule)


def names_near(text: str, *, count: int = 5) -> list[str]:
    """The capsule and column names closest to ``text``, closest first: what "did you mean" offers when nothing
    matches. Compares names without their separators by difflib's ratio (the same on both databases) over
    the distinct names, read once per catalog version; only names of about the same length that start with
    the same letter are compared (people rarely mistype the first letter), so it costs a few ms, and only
    on searches that found nothing."""
    wanted = squash(text)
    if len(wanted) < 2:
        return []
    slack = max(3, len(wanted) // 3)
    matcher = difflib.SequenceMatcher(b=wanted, autojunk=False)
    scored: dict[str, float] = {}
    for name in (*_capsule_names(), *_column_names()):
        if not name or name[0] != wanted[0] or abs(len(name) - len(wanted)) > slack + 2:
            continue
        squashed = squash(name)
        if abs(len(squashed) - len(wanted)) > slack:
            continue
        matcher.set_seq1(squashed)
        if matcher.real_quick_ratio() < 0.6 or matcher.quick_ratio() < 0.6:
            continue
        ratio = matcher.ratio()
        if ratio >= 0.6 and ratio > scored.get(name, 0.0):
            scored[name] = ratio
    return [name for name, _ in sorted(scored.items(), key=lambda item: (-item[1], len(item[0]), item[0]))[:count]]


@functools.cache
def _trigram_state() -> dict:
    return {}


def trigrams_available() -> bool:
    """Whether pg_trgm's functions can be called (PostgreSQL with the extension; see migration 0006). Asked
    once per process: the extension is not dropped under a running server. ``trigrams_forget()`` asks again."""
    if connection.vendor != "postgresql":
        return False
    state = _trigram_state()
    if "available" not in state:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regproc('similarity') IS NOT NULL")
            state["available"] = cursor.fetchone()[0]
    return state["available"]


def trigrams_forget() -> None:
    _trigram_state().clear()


def column_names_containing(text: str) -> list[str] | None:
    """The distinct lower-cased column names containing ``text`` (already lower-cased); None when there are
    too many to list in a query (the caller then matches with LIKE)."""
    names = [name for name in _column_names() if text in name]
    return names if len(names) <= MAX_NAME_MATCHES else None
