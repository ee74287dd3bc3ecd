"""Read use-cases of the catalog: what each page and endpoint shows, in a fixed number of queries."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlencode

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.db.models import Avg, CharField, Count, Exists, F, JSONField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast
from django.urls import reverse
from psycopg import ClientCursor, Cursor

from catalog.choices import INFERRED_ORIGINS
from catalog.models import Capsule, Column, Domain, Owner, SourceSystem
from catalog.querysets import (
    CapsuleQuerySet,
    ColumnQuerySet,
    SqlPart,
    capsules,
    columns,
    db_key,
    fuzzy_threshold,
    pii_q,
    sql_among,
)
from catalog.search import (
    RANK_DESCRIPTION,
    RANK_EXACT,
    RANK_FUZZY,
    RANK_LABELS,
    catalog_version,
    match_reason,
    names_near,
    search_terms,
)

__all__ = [
    "capsules_last_change",
    "column_ids_for",
    "COLUMN_PII_ROW",
    "CatalogCoverage",
    "FacetCount",
    "SearchPage",
    "capsule_column_counts_attach",
    "capsule_columns",
    "capsule_coverage",
    "capsule_detail_queryset",
    "capsule_downstream",
    "capsule_facet_counts",
    "capsule_get",
    "capsule_list",
    "capsule_pii_facts",
    "capsule_stats",
    "capsule_upstream",
    "catalog_counts",
    "column_count",
    "column_detail_queryset",
    "column_get",
    "column_list",
    "column_names_by_capsule",
    "column_pii_rows",
    "id_text",
    "json_or",
    "domain_get",
    "domain_list",
    "owner_get",
    "owner_list",
    "SEARCH_FACETS",
    "Suggestion",
    "column_search_scope",
    "rows_by_ids",
    "search_capsules",
    "search_columns",
    "search_count",
    "source_system_brief_list",
    "search_did_you_mean",
    "search_suggest_payload",
    "search_suggestions",
    "source_system_list",
]


# -- capsules -----------------------------------------------------------------------------------------


def capsule_list() -> CapsuleQuerySet:
    """Capsules for a list: owner, domain and source system joined, heavy fields deferred (one query per
    page). Column counts are not included: add them to the page with ``capsule_column_counts_attach``."""
    return capsules().for_list()


def rows_by_ids(*, queryset: QuerySet, ids: Iterable) -> list:
    """The rows of ``queryset`` with these ids, in the order given (one query)."""
    ids = list(ids)
    rows = queryset.order_by().in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]


def capsule_column_counts_attach(*, capsules: Iterable[Capsule]) -> list[Capsule]:
    """Set ``column_count`` on each capsule of a page (one GROUP BY over the columns' capsule index).

    Counted after paging on purpose: as a subquery of the page query PostgreSQL would also count the
    columns of every row skipped by OFFSET, which on page 200 is 10,000 capsules."""
    page = list(capsules)
    counts = dict(
        Column.objects.filter(capsule_id__in=[c.pk for c in page])
        .order_by()
        .values_list("capsule_id")
        .annotate(n=Count("*"))
    )
    for capsule in page:
        capsule.column_count = counts.get(capsule.pk, 0)
    return page


def capsule_detail_queryset() -> CapsuleQuerySet:
    """Capsules with everything ingested and their column, PII, upstream and downstream counts."""
    return capsules().select_related("domain", "owner", "source_system").with_counts()


def capsule_get(*, urn: str) -> Capsule:
    """One capsule by URN with its counts (one query); raises ``Capsule.DoesNotExist``."""
    return capsule_detail_queryset().get(urn=urn)


def capsule_columns(*, capsule: Capsule) -> QuerySet[Column]:
    """The capsule's columns in warehouse order (one query on the columns' capsule index)."""
    return columns().filter(capsule=capsule).defer("content_hash").order_by("ordinal_position", "name")


def _neighbour_list(*, edge_filter: Q) -> list[Capsule]:
    return list(
        capsules()
        .filter(edge_filter)
        .select_related("domain", "owner")
        .only(
            "id", "urn", "name", "capsule_type", "layer", "materialization",
            "domain__id", "domain__name", "owner__id", "owner__name",
        )
        .distinct()
        .order_by("name", "urn")
    )  # fmt: skip


def capsule_upstream(*, capsule: Capsule) -> list[Capsule]:
    """Capsules this one reads from directly (one query over the lineage edges' target index)."""
    return _neighbour_list(edge_filter=Q(downstream_edges__target=capsule))


def capsule_downstream(*, capsule: Capsule) -> list[Capsule]:
    """Capsules that read from this one directly (one query over the lineage edges' source index)."""
    return _neighbour_list(edge_filter=Q(upstream_edges__source=capsule))


@dataclass(frozen=True)
class FacetCount:
    """How many capsules under the current filters have ``value`` in one facet."""

    value: str | None
    count: int


# Facet name -> the field its values come from (names rather than ids, so no second lookup is needed).
CAPSULE_FACETS: dict[str, str] = {
    "capsule_type": "capsule_type",
    "layer": "layer",
    "domain": "domain__name",
    "owner": "owner__name",
    "materialization": "materialization",
    "source": "source_system__name",
    "has_tests": "has_tests",
}


def _facet_value(facet: str, value: str | None) -> str | None:
    if facet == "has_tests" and value is not None:
        return "true" if value.lower() in ("true", "1", "t") else "false"  # PostgreSQL says true, SQLite 1
    return value


def capsule_facet_counts(*, querysets: Mapping[str, QuerySet[Capsule]]) -> dict[str, list[FacetCount]]:
    """Capsule counts per value of each facet in ``querysets`` (facet name -> the capsules to count).

    Each facet may bring its own queryset, so a facet can be counted without its own filter (the values a
    user can switch to). Facets that share one queryset object are counted together in one scan, grouped by
    all their fields at once and summed here; the scans are joined with UNION ALL into one query. So with
    no filter the whole facet bar costs one scan, and each facet filter in use adds one. Most frequent first.
    """
    groups: dict[int, tuple[QuerySet, list[str]]] = {}
    for facet, qs in querysets.items():
        groups.setdefault(id(qs), (qs, []))[1].append(facet)
    facets = list(querysets)
    branches = []
    for number, (qs, grouped) in enumerate(groups.values()):
        columns = {
            f"f{i}": Cast(CAPSULE_FACETS[facet], CharField()) if facet in grouped else Value(None, CharField())
            for i, facet in enumerate(facets)
        }
        branches.append(
            qs.order_by()
            .values(**columns)
            .annotate(n=Count("*"), branch=Value(number))
            .values_list("branch", *columns, "n")
        )
    tallies: dict[str, Counter] = {facet: Counter() for facet in facets}
    if branches:
        union = branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]
        grouped_by_branch = [grouped for _, grouped in groups.values()]
        for branch, *values, n in union:
            for facet in grouped_by_branch[branch]:
                tallies[facet][_facet_value(facet, values[facets.index(facet)])] += n
    return {
        facet: sorted(
            (FacetCount(value=value, count=n) for value, n in tally.items()),
            key=lambda c: (-c.count, c.value is None, c.value or ""),
        )
        for facet, tally in tallies.items()
    }


@dataclass(frozen=True)
class CatalogCoverage:
    """How tested and documented a set of capsules is."""

    capsules: int
    tested: int
    documented: int
    column_doc_coverage: float | None  # mean share of documented columns per capsule

    @property
    def tested_ratio(self) -> float | None:
        return self.tested / self.capsules if self.capsules else None

    @property
    def documented_ratio(self) -> float | None:
        return self.documented / self.capsules if self.capsules else None


def capsule_coverage(*, queryset: QuerySet[Capsule]) -> CatalogCoverage:
    """Test and documentation coverage of ``queryset`` (one aggregate query)."""
    row = queryset.order_by().aggregate(
        n=Count("pk"),
        tested=Count("pk", filter=Q(has_tests=True)),
        documented=Count("pk", filter=Q(description__isnull=False) & ~Q(description="")),
        column_docs=Avg("doc_coverage"),
    )
    return CatalogCoverage(
        capsules=row["n"], tested=row["tested"], documented=row["documented"], column_doc_coverage=row["column_docs"]
    )


def capsule_stats(*, queryset: QuerySet[Capsule]) -> dict:
    """Counts of ``queryset`` by type, layer, domain, owner, materialization and source, and its test and
    documentation coverage (two queries, one scan each: the facet counts and one aggregate)."""
    facets = capsule_facet_counts(querysets={facet: queryset for facet in CAPSULE_FACETS if facet != "has_tests"})
    coverage = capsule_coverage(queryset=queryset)
    return {
        "count": coverage.capsules,
        "by_type": facets["capsule_type"],
        "by_layer": facets["layer"],
        "by_domain": facets["domain"],
        "by_owner": facets["owner"],
        "by_materialization": facets["materialization"],
        "by_source": facets["source"],
        "tested": coverage.tested,
        "tested_ratio": coverage.tested_ratio,
        "documented": coverage.documented,
        "documented_ratio": coverage.documented_ratio,
        "column_doc_coverage": coverage.column_doc_coverage,
    }


# -- columns ------------------------------------------------------------------------------------------

COLUMN_COUNT_TTL = 600  # seconds; a safety net, the version in the key is what keeps counts right


def column_count(*, queryset: QuerySet[Column], cache_key: str | None) -> int:
    """``queryset.count()``, remembered per catalog version under ``cache_key`` when one is given.

    Counting 376,000 columns takes 25-40 ms and the same list is counted again on every page; pass a key
    only for filters whose results change with ingestion alone (not PII decisions, which stewards make)."""
    if cache_key is None:
        return queryset.count()
    digest = hashlib.sha1(f"{catalog_version()}|{cache_key}".encode(), usedforsecurity=False).hexdigest()
    key = f"catalog:column-count:{digest}"
    count = cache.get(key)
    if count is None:
        count = queryset.count()
        cache.set(key, count, COLUMN_COUNT_TTL)
    return count


def column_list() -> ColumnQuerySet:
    """Columns for a list, with their capsule's identity joined (one query per page), ordered by URN.

    Not the model's default order: that sorts by the capsule's name through a join, which over 300,000
    columns is a full sort per page. URN order (capsule URN, then column name) walks the unique index."""
    return columns().for_list().order_by("urn")


def column_detail_queryset() -> ColumnQuerySet:
    """Columns with their capsule (without its SQL) and the capsule's domain and owner."""
    return (
        columns().select_related("capsule__domain", "capsule__owner").defer("capsule__compiled_sql", "capsule__raw_sql")
    )


def column_get(*, urn: str) -> Column:
    """One column by URN (one query); raises ``Column.DoesNotExist``."""
    return column_detail_queryset().get(urn=urn)


def urns_known(*, urns: Iterable[str]) -> set[str]:
    """Which of these URNs name a capsule or a column (two queries)."""
    urns = list(urns)
    return set(capsules().filter(urn__in=urns).values_list("urn", flat=True)) | set(
        columns().filter(urn__in=urns).values_list("urn", flat=True)
    )


# -- search -------------------------------------------------------------------------------------------


# A search page ranks at most this many name-prefix matches, and as many other literal matches, of each kind:
# a common word costs no more than a rare one. Below that, counts and ranking are exact.
SEARCH_CAP = 500
# And at most this many fuzzy matches (names close to the query), the closest: beyond the first screen they
# are noise. They are looked for only when the literal matches are fewer than FUZZY_WHEN_FEWER.
FUZZY_CAP = 50
FUZZY_WHEN_FEWER = 20
# pg_trgm's own default for ``%``: a query that asks no more is sent without setting it.
DEFAULT_TRIGRAM_THRESHOLD = 0.3
# The typeahead shows eight: it ranks fewer candidates per part.
SUGGEST_CAP = 100

# Search facets (the capsule browser's, plus PII and tags) -> the candidate fields their values come from.
SEARCH_FACETS: dict[str, str] = {
    "capsule_type": "capsule_type",
    "layer": "layer",
    "domain": "domain__name",
    "owner": "owner__name",
    "materialization": "materialization",
    "has_pii": "has_pii",
    "has_tests": "has_tests",
    "tag": "tags",
}
# The most frequent tags a facet lists (a project may have hundreds).
TAG_FACET_SIZE = 15


@dataclass(frozen=True)
class SearchPage:
    """One page of ranked search results and how many matched: exactly, or (``exact`` false) at least. With
    facets: capsule counts per value of each facet for this query, each under the other facets chosen."""

    results: list
    count: int
    exact: bool = True
    facets: dict[str, list[FacetCount]] | None = None


class _Candidate(NamedTuple):
    """A match found for a search page: its sort key, id and the values read with it."""

    key: tuple  # (tier, -score within the tier, name length, name, urn): the order of ``ranked()``
    pk: object
    row: dict


def _search_candidates(
    *, everything: QuerySet, query: str, fields: Mapping[str, object] | None = None, cap: int | None = None
) -> tuple[list[_Candidate], bool]:
    """The matches a search page ranks, best first, and whether that is all of them.

    1. Up to ``cap`` (SEARCH_CAP) name-prefix matches in name order (a btree range; the exact name first).
    2. When there are fewer, up to ``cap`` other name, URN and tag matches, then up to ``cap`` description
       matches with their description score (each row once). When a part fills its cap, the rest could
       only rank below the page: skipped, and the count says "at least".
    3. Capsules on PostgreSQL, queries of five letters or more: the names spelled alike but for
       separators (ranked with the exact names); and, with fewer than FUZZY_WHEN_FEWER literal matches, up
       to FUZZY_CAP names close to the query (pg_trgm), closest first, that no literal tier holds. With
       more literal matches the fuzzy ones would rank below them anyway, and a query sharing common
       trigrams ("stg_sh") makes pg_trgm weigh thousands of names (50 ms on 14,500 capsules).
    Ranked here from the fetched names, URNs, tags and scores, as ``ranked()`` ranks them in SQL. Six
    queries at most, each stopping at its cap, so a common word costs no more than a rare one. ``fields``
    (name -> field or expression) are fetched with each row, e.g. what the facets count."""
    cap = SEARCH_CAP if cap is None else cap
    terms = search_terms(query)
    fields_sql = _fields_sql(everything.model, fields) if _in_sql(everything) else None
    if fields_sql is not None:
        prefixed, named, described, fuzzy = everything.search_split_sql(query)
        same = everything.same_name_split_sql(query) if fuzzy is not None else None
        values = {
            "tag_hit": everything.tag_hit_sql(terms),
            "table": everything.model._meta.db_table,
            "fields": fields_sql,
        }
        score = everything.description_score_sql(terms) if described is not None else None
    else:
        prefixed, named, described, fuzzy = everything.search_split(query)
        same = everything.same_name_split(query) if fuzzy is not None else None
        values = {"_name": F("name"), "_urn": F("urn"), "_tag_hit": everything.tag_hit(terms), **(fields or {})}
        score = everything.description_score(terms) if described is not None else None
    # The prefix matches first: when a common prefix ("stg") fills the cap, nothing else is read. In SQL,
    # one statement gates the other parts on the prefix count; through the ORM, two queries.
    parts = [(named, cap + 1, None)]
    if described is not None:
        parts.append((described, cap + 1, score))
    if same is not None:
        parts.append((same, FUZZY_CAP, None))
    if isinstance(prefixed, SqlPart):
        fetched = _fetch_parts([(prefixed, cap + 1, None), *parts], values, others_unless_first_over=cap)
    else:
        (first,) = _fetch_parts([(prefixed, cap + 1, None)], values)
        fetched = [first, *(_fetch_parts(parts, values) if len(first) <= cap else [[] for _ in parts])]
    rows = fetched[0][:cap]
    exact = len(fetched[0]) <= cap
    scores: dict = {}
    if exact:
        exact = len(fetched[1]) <= cap
        rows += fetched[1][:cap]
    if exact and described is not None:
        exact = len(fetched[2]) <= cap
        seen = {row["pk"] for row in rows}
        for row in fetched[2][:cap]:
            if row["pk"] not in seen:
                rows.append(row)
                scores[row["pk"]] = row["_score"] or 0.0
    if exact and same is not None:
        seen = {row["pk"] for row in rows}
        rows += [row for row in fetched[-1] if row["pk"] not in seen]
    rank_of = everything.rank_of
    candidates = []
    for row in rows:
        rank = rank_of(terms, name=row["_name"], urn=row["_urn"], tag_hit=row["_tag_hit"], same=same is not None)
        score = -scores.get(row["pk"], 0.0) if rank == RANK_DESCRIPTION else 0.0
        separators_only = same is not None and row["_name"].lower() != terms.name
        if rank == RANK_EXACT and separators_only and not everything._urn_matches_exactly(terms, row["_urn"]):
            score = 1.0  # the same name but for separators: right after the name itself
        candidates.append(_Candidate((rank, score, len(row["_name"]), row["_name"], row["_urn"]), row["pk"], row))
    if exact and fuzzy is not None and len(candidates) < FUZZY_WHEN_FEWER:
        seen = {c.pk for c in candidates}
        if isinstance(fuzzy, SqlPart):
            close_qs = _SqlRows(fuzzy, FUZZY_CAP + 1, everything.fuzzy_score_sql(terms), values)
        else:
            close_qs = fuzzy.values("pk", **values, _score=everything.fuzzy_score(terms))[: FUZZY_CAP + 1]
        threshold = fuzzy_threshold(terms)
        if threshold <= DEFAULT_TRIGRAM_THRESHOLD:
            close = list(close_qs)
        elif isinstance(close_qs, _SqlRows) and _binds_client_side():
            close = close_qs.read_with_trigram_threshold(threshold)
        else:
            with transaction.atomic(), connection.cursor() as cursor:
                # pg_trgm's own threshold for this query, so its index weighs only names that can qualify
                cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [str(threshold)])
                close = list(close_qs)
        exact = len(close) <= FUZZY_CAP
        for row in close[:FUZZY_CAP]:
            if row["pk"] not in seen:
                rank = rank_of(terms, name=row["_name"], urn=row["_urn"], tag_hit=row["_tag_hit"], fuzzy=True)
                score = -row["_score"] if rank == RANK_FUZZY else 1.0  # exact but for separators: after exact
                candidates.append(
                    _Candidate((rank, score, len(row["_name"]), row["_name"], row["_urn"]), row["pk"], row)
                )
    candidates.sort(key=lambda c: c.key)
    return candidates, exact


def _in_sql(everything: QuerySet) -> bool:
    """Whether a search's candidates are asked in the SQL of ``search_split_sql`` rather than through the
    ORM: on PostgreSQL, over a whole table (no facet chosen)."""
    return (
        connection.vendor == "postgresql"
        and isinstance(everything, (CapsuleQuerySet, ColumnQuerySet))
        and not everything.query.where
    )


class _FieldSql(NamedTuple):
    alias: str
    sql: str
    params: list
    is_json: bool  # a raw cursor returns jsonb as text: decoded as the ORM would


_FIELDS_SQL: dict = {}


def _fields_sql(model, fields: Mapping[str, object] | None) -> list[_FieldSql] | None:
    """Each of ``fields`` (name -> expression over ``model``, as the ORM path reads them) as SQL over the
    model's table, compiled by the ORM once per model and field names and reused: the facets and the
    typeahead read them with the candidates without building a queryset per search. Callers give a name one
    meaning. None when one compiles to more than a select expression (a join): the ORM path then reads
    them. A related model's field is read through a correlated ``Subquery`` for that reason."""
    if not fields:
        return []
    key = (model, tuple(fields))
    if key not in _FIELDS_SQL:
        table = connection.ops.quote_name(model._meta.db_table)
        compiled: list[_FieldSql] | None = []
        for alias, expression in fields.items():
            query = model._default_manager.order_by().annotate(_field=expression).values("_field").query
            sql, params = query.get_compiler(connection=connection).as_sql()
            head, tail = "SELECT ", f' AS "_field" FROM {table}'
            if not (sql.startswith(head) and sql.endswith(tail)):
                compiled = None
                break
            is_json = isinstance(query.annotations["_field"].output_field, JSONField)
            compiled.append(_FieldSql(alias, sql[len(head) : -len(tail)], list(params), is_json))
        _FIELDS_SQL[key] = compiled
    return _FIELDS_SQL[key]


class _SqlRows:
    """The rows of one ``SqlPart``: id, name, URN, whether a tag equals the query, a score (the SQL of
    ``score``, or 0) and the fields of ``values["fields"]`` (``_fields_sql``), as dicts keyed as the ORM
    path's values are, at most ``limit``."""

    def __init__(
        self, part: SqlPart, limit: int, score: tuple[str, list] | None, values: dict, number: int = 0, gate: str = ""
    ):
        tag_hit, tag_params = values["tag_hit"]
        score_sql, score_params = score if score is not None else ("0::float8", [])
        order = f" ORDER BY {part.order}" if part.order else ""
        fields = values.get("fields") or []
        extra = "".join(f", {field.sql}" for field in fields)
        source = part.source or connection.ops.quote_name(values["table"])
        self.sql = (
            f"SELECT id, name, urn, {tag_hit}, {score_sql}, {number}{extra} "
            f"FROM {source} WHERE {f'{gate} AND ' if gate else ''}({part.where}){order} LIMIT {int(limit)}"
        )
        self.params = [*tag_params, *score_params, *(p for f in fields for p in f.params), *part.source_params]
        self.params += [*part.params, *part.order_params]
        self.fields = fields

    def read_with_trigram_threshold(self, threshold: float) -> list[dict]:
        """The rows, with pg_trgm's own threshold set for this query, so its index weighs only names that can
        qualify: both statements in one message (client-side binding), which PostgreSQL runs as one implicit
        transaction, so the local setting ends with it. One round trip where a transaction of its own took
        four (begin, set, query, commit)."""
        setting = "SELECT set_config('pg_trgm.similarity_threshold', %s, true); "
        return self.read(setting + self.sql, [str(threshold), *self.params], self.fields, skip=1)

    @staticmethod
    def read(sql: str, params: list, fields: Sequence[_FieldSql] = (), skip: int = 0) -> list[dict]:
        with _prepared_cursor() if not skip else connection.cursor() as cursor:
            cursor.execute(sql, params)
            for _ in range(skip):
                cursor.nextset()
            fetched = cursor.fetchall()
        keys = ("pk", "_name", "_urn", "_tag_hit", "_score", "_part", *(field.alias for field in fields))
        rows = [dict(zip(keys, row, strict=True)) for row in fetched]
        for field in fields:
            if field.is_json:
                for row in rows:
                    if isinstance(row[field.alias], str):
                        row[field.alias] = orjson.loads(row[field.alias])
        return rows

    def __iter__(self):
        return iter(self.read(self.sql, self.params, self.fields))


class _PreparingCursor(Cursor):
    """psycopg's server-side binding cursor that prepares every statement it runs: a search's SQL has a few
    fixed shapes, whose planning cost PostgreSQL more CPU than running them. Kept per connection (psycopg
    keeps at most ``prepared_max`` and drops them after DDL), so it pays off with persistent connections."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)


def _prepared_cursor():
    """A cursor for the search's raw SQL whose statements are prepared once per connection, wrapped as
    ``connection.cursor()``'s are (query log, execute wrappers, Django's database errors). Only one
    statement per execute, unlike the client-side binding cursors."""
    connection.ensure_connection()
    if not settings.SEARCH_PREPARED_STATEMENTS:
        return connection.cursor()
    if connection.connection.prepare_threshold is None:
        # Django switches psycopg's preparing off (for poolers); its client-side binding cursors never prepare,
        # so a threshold never reached only lets this cursor's explicit prepare through.
        connection.connection.prepare_threshold = 2**31 - 1
    raw = _PreparingCursor(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


def _binds_client_side() -> bool:
    """Whether this connection's cursors bind parameters in the client (Django's default for psycopg 3),
    which lets one execute send several statements."""
    if connection.vendor != "postgresql":
        return False
    connection.ensure_connection()
    return issubclass(connection.connection.cursor_factory, ClientCursor)


def _fetch_parts(
    parts: list[tuple[QuerySet | SqlPart, int, object]], values: dict, others_unless_first_over: int | None = None
) -> list[list[dict]]:
    """The rows of each (queryset, limit, score expression) part, in one round trip on PostgreSQL (each part
    a parenthesised, limited SELECT joined by UNION ALL and told apart by a ``_part`` column); one query per
    part on SQLite, which cannot limit the members of a compound statement. ``SqlPart``s (PostgreSQL,
    ``search_split_sql``) are joined the same way in SQL, without the ORM; with ``others_unless_first_over``
    the first part is read first (a CTE) and the others only when it holds at most that many rows (a
    one-time filter: PostgreSQL does not run them otherwise)."""
    if parts and isinstance(parts[0][0], SqlPart):
        gate = f"(SELECT count(*) FROM _first) <= {int(others_unless_first_over or 0)}"
        selects = [
            _SqlRows(part, limit, score, values, number, gate if number and others_unless_first_over else "")
            for number, (part, limit, score) in enumerate(parts)
        ]
        if others_unless_first_over is not None:
            sql = " UNION ALL ".join(
                [f"WITH _first AS MATERIALIZED ({selects[0].sql}) SELECT * FROM _first"]
                + [f"({select.sql})" for select in selects[1:]]
            )
        else:
            sql = " UNION ALL ".join(f"({select.sql})" for select in selects)
        fetched_sql: list[list[dict]] = [[] for _ in parts]
        for row in _SqlRows.read(sql, [param for select in selects for param in select.params], selects[0].fields):
            fetched_sql[row["_part"]].append(row)
        return fetched_sql
    shaped = [
        qs.values("pk", **values, _score=score if score is not None else Value(0.0), _part=Value(number))[:limit]
        for number, (qs, limit, score) in enumerate(parts)
    ]
    fetched: list[list[dict]] = [[] for _ in parts]
    if connection.vendor == "postgresql" and len(shaped) > 1:
        for row in shaped[0].union(*shaped[1:], all=True):
            fetched[row["_part"]].append(row)
    else:
        for number, qs in enumerate(shaped):
            fetched[number] = list(qs)
    return fetched


def _facet_values(facet: str, value) -> list[str]:
    """A candidate's values in a facet, as the facet lists and its filter takes them."""
    if facet == "tag":
        return [str(tag) for tag in value or []]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return [] if value is None else [str(value)]


def _chosen(selected: Mapping[str, str]) -> dict[str, set[str]]:
    """Facet -> the values chosen (comma-separated, as the capsule filters take them), lower-cased."""
    chosen = {}
    for facet in SEARCH_FACETS:
        raw = (selected.get(facet) or "").strip()
        if raw:
            values = [raw] if facet in ("tag", "owner") else raw.split(",")
            if facet in ("has_pii", "has_tests"):
                values = ["true" if raw.lower() in ("true", "1") else "false"]
            chosen[facet] = {v.strip().lower() for v in values if v.strip()}
    return chosen


def _misses(row: dict, chosen: Mapping[str, set[str]]) -> list[str]:
    """The chosen facets a candidate does not have a chosen value of."""
    return [
        facet
        for facet, values in chosen.items()
        if not values & {v.lower() for v in _facet_values(facet, row[f"facet_{facet}"])}
    ]


def _facet_tally(facet: str, rows: list[dict]) -> Counter:
    key = f"facet_{facet}"
    if facet == "tag":
        return Counter(str(tag) for row in rows for tag in row[key] or ())
    if facet in ("has_pii", "has_tests"):
        return Counter("true" if row[key] else "false" for row in rows)
    return Counter(str(row[key]) for row in rows if row[key] is not None)


def _search_facet_counts(candidates: list[_Candidate], chosen: Mapping[str, set[str]]) -> dict[str, list[FacetCount]]:
    """Per facet, how many candidates have each value under every other facet chosen (so a facet shows the
    values one could switch to), most frequent first. Counted here from the fetched rows: no query; a
    candidate counts in a facet when it misses no chosen facet, or only that one."""
    if chosen:
        missing = [(c.row, _misses(c.row, chosen)) for c in candidates]
        rows_for = {
            facet: [row for row, misses in missing if not misses or misses == [facet]] for facet in SEARCH_FACETS
        }
    else:
        everything = [c.row for c in candidates]
        rows_for = dict.fromkeys(SEARCH_FACETS, everything)
    counts: dict[str, list[FacetCount]] = {}
    for facet in SEARCH_FACETS:
        ordered = sorted(_facet_tally(facet, rows_for[facet]).items(), key=lambda item: (-item[1], item[0]))
        if facet == "tag":
            picked = chosen.get("tag", set())
            ordered = [item for item in ordered if item[0].lower() in picked] + [
                item for item in ordered[:TAG_FACET_SIZE] if item[0].lower() not in picked
            ]
        counts[facet] = [FacetCount(value=value, count=n) for value, n in ordered]
    return counts


def _facet_fields() -> dict[str, object]:
    """What the facets count, read with each candidate. Whether a capsule holds PII is an EXISTS that the
    partial index of PII columns by capsule (migration 0014) answers from the index alone: 1 ms per 1,000
    candidates (100 ms from the table)."""
    fields: dict[str, object] = {
        f"facet_{f}": _related_field(Capsule, field) for f, field in SEARCH_FACETS.items() if f != "has_pii"
    }
    fields["facet_has_pii"] = Exists(Column.objects.filter(pii_q(), capsule=OuterRef("pk")))
    return fields


def _related_field(model, path: str):
    """``F(path)``, or for a field of a related row (``domain__name``) a correlated sub-select of it by
    the foreign key, which reads the same value without a join (so ``_fields_sql`` can send it in SQL)."""
    if "__" not in path:
        return F(path)
    relation, name = path.split("__", 1)
    foreign_key = model._meta.get_field(relation)
    related = foreign_key.related_model._default_manager.filter(pk=OuterRef(foreign_key.attname))
    return Subquery(related.order_by().values(name)[:1])


_PAGE_COMPILERS: dict = {}


def _rows_by_id(rows: QuerySet, ids: list) -> dict:
    """``rows.in_bulk(ids)``. On PostgreSQL the rows' SQL (joins, only(), annotations) is compiled once
    per model (for the connection last used), with the ids as one array parameter (``id = ANY(%s)``), and
    reused: compiling a page's query through the ORM cost more CPU than running it. So ``rows`` must
    always be the same queryset for a model (the search pages' list rows:
    ``capsules().for_list().with_column_count()``, ``columns().for_list()``)."""
    if connection.vendor != "postgresql" or not ids:
        return rows.in_bulk(ids)
    # One entry per model, for this thread's connection (``connection`` is a proxy shared by threads); a
    # server running threads (runserver, the live server of the browser tests) compiles again on a switch.
    wrapper = connections[rows.db]
    key = rows.model
    cached = _PAGE_COMPILERS.get(key)
    if cached is None or cached[0] is not wrapper:
        marker = object()
        table = connection.ops.quote_name(rows.model._meta.db_table)
        pk = connection.ops.quote_name(rows.model._meta.pk.column)
        shaped = rows.extra(where=[f"{table}.{pk} = ANY(%s)"], params=[marker])
        compiler = shaped.query.get_compiler(using=rows.db)
        sql, params = compiler.as_sql()
        at = [n for n, param in enumerate(params) if param is marker]
        if len(at) != 1:
            return rows.in_bulk(ids)
        cached = (wrapper, compiler, sql, list(params), at[0], shaped.query)
        _PAGE_COMPILERS[key] = cached
    _, compiler, sql, params, at, shaped_query = cached
    params = [*params[:at], list(ids), *params[at + 1 :]]
    compiler.as_sql = lambda *args, **kwargs: (sql, params)
    page_query = shaped_query.clone()
    page_query.get_compiler = lambda *args, **kwargs: compiler
    return {row.pk: row for row in type(rows)(rows.model, query=page_query, using=rows.db)}


_PAGE_ROWS: dict = {}


def _page_rows(model) -> QuerySet:
    """The search pages' list rows of ``model`` (capsules with their column counts), built once per process
    and never evaluated itself (``_rows_by_id`` reads clones): building it cost a millisecond per search."""
    if model not in _PAGE_ROWS:
        _PAGE_ROWS[model] = capsules().for_list().with_column_count() if model is Capsule else columns().for_list()
    return _PAGE_ROWS[model]


def _search_page(
    *, rows: QuerySet, candidates: list[_Candidate], exact: bool, terms, limit: int, offset: int, facets=None
) -> SearchPage:
    """The page's window of ranked candidates, fetched whole (one query), each with its rank and reason."""
    window = candidates[offset : offset + limit]
    by_id = _rows_by_id(rows, [c.pk for c in window])
    results = []
    for candidate in window:
        row = by_id[candidate.pk]
        row.search_rank = candidate.key[0]
        row.search_reason = match_reason(
            terms, rank=candidate.key[0], name=row.name, urn=row.urn, tag_hit=candidate.row["_tag_hit"]
        )
        results.append(row)
    return SearchPage(results=results, count=len(candidates), exact=exact, facets=facets)


def search_capsules(
    *,
    query: str,
    limit: int = 20,
    offset: int = 0,
    selected: Mapping[str, str] | None = None,
    within: QuerySet | None = None,
    facets: bool = False,
) -> SearchPage:
    """Capsules matching ``query``, best first (see ``CapsuleQuerySet.ranked``), with their column counts.

    ``selected``: facet -> chosen values (``SEARCH_FACETS``; ``within`` is the same choice as a filtered
    capsule queryset, from the capsule filters). ``facets``: also count each facet's values for this query.
    Queries: the candidates (see ``_search_candidates``; with the facet fields when asked), the page's
    rows; and, only when facet values are chosen and the candidates stopped at a cap, the candidates
    again, filtered. Without a cap every match is at hand, so the choice is applied to them here and the
    counts agree with the results exactly."""
    terms = search_terms(query)
    chosen = _chosen(selected or {})
    candidates, exact = _search_candidates(
        everything=capsules(), query=query, fields=_facet_fields() if facets or chosen else None
    )
    counts = _search_facet_counts(candidates, chosen) if facets else None
    if chosen:
        if exact:
            candidates = [c for c in candidates if not _misses(c.row, chosen)]
        else:
            candidates, exact = _search_candidates(everything=within if within is not None else capsules(), query=query)
    rows = _page_rows(Capsule)
    return _search_page(
        rows=rows, candidates=candidates, exact=exact, terms=terms, limit=limit, offset=offset, facets=counts
    )


def search_columns(*, query: str, limit: int = 20, offset: int = 0, within: QuerySet | None = None) -> SearchPage:
    """Columns matching ``query``, best first (see ``ColumnQuerySet.ranked``), with their capsule; ``within``
    narrows them (see ``column_search_scope``)."""
    candidates, exact = _search_candidates(everything=within if within is not None else columns(), query=query)
    return _search_page(
        rows=_page_rows(Column), candidates=candidates, exact=exact, terms=search_terms(query), limit=limit,
        offset=offset,
    )  # fmt: skip


def column_search_scope(*, capsules: QuerySet[Capsule] | None, has_pii: bool | None, has_tests: bool | None):
    """The columns a search with facets chosen looks in: those of ``capsules`` (the capsule facets: type,
    layer, domain, owner, materialization, tag), holding PII or not and tested or not themselves."""
    scope = columns()
    if capsules is not None:
        scope = scope.filter(capsule__in=capsules.order_by().values("pk"))
    if has_pii is not None:
        scope = scope.pii(has_pii)
    if has_tests is not None:
        scope = scope.filter(has_tests=has_tests)
    return scope


def search_count(*, query: str, kind: str, within: QuerySet | None = None) -> tuple[int, bool]:
    """How many capsules (``kind="capsules"``) or columns match ``query`` as the search page counts them,
    and whether that is exact (three queries at most)."""
    everything = within if within is not None else (capsules() if kind == "capsules" else columns())
    candidates, exact = _search_candidates(everything=everything, query=query)
    return len(candidates), exact


@dataclass(frozen=True)
class Suggestion:
    """One typeahead entry: a capsule or a column, what it is, where it lives, and its page."""

    kind: str
    name: str
    label: str
    capsule_type: str
    layer: str | None
    urn: str
    url: str
    match: str


def search_suggestions(*, query: str, limit: int = 8) -> list[Suggestion]:
    """The best capsules, then columns, for what has been typed so far (the header box's typeahead): at
    most ``limit``, capsules first (up to ``limit - 2`` when columns match too). Reads identity, type and
    layer with the candidates, so no rows are fetched afterwards: three queries per kind at most."""
    capsule_fields = {"_type": F("capsule_type"), "_layer": F("layer")}
    column_fields = {
        "_capsule": _related_field(Column, "capsule__name"),
        "_type": _related_field(Column, "capsule__capsule_type"),
        "_layer": _related_field(Column, "capsule__layer"),
    }
    found_capsules, _ = _search_candidates(everything=capsules(), query=query, fields=capsule_fields, cap=SUGGEST_CAP)
    found_columns, _ = _search_candidates(everything=columns(), query=query, fields=column_fields, cap=SUGGEST_CAP)
    room = limit - min(len(found_columns), 2) if found_columns else limit
    picked = [("capsule", c) for c in found_capsules[:room]]
    picked += [("column", c) for c in found_columns[: limit - len(picked)]]
    suggestions = []
    for kind, candidate in picked:
        row = candidate.row
        if kind == "capsule":
            label, url = row["_name"], reverse("catalog:capsule_detail", kwargs={"urn": row["_urn"]})
        else:
            label = f"{row['_capsule']}.{row['_name']}"
            url = reverse("catalog:column_detail", kwargs={"urn": row["_urn"]})
        suggestions.append(
            Suggestion(
                kind=kind, name=row["_name"], label=label, capsule_type=row["_type"], layer=row["_layer"],
                urn=row["_urn"], url=url, match=RANK_LABELS[candidate.key[0]],
            )
        )  # fmt: skip
    return suggestions


def search_suggest_payload(*, query: str, limit: int = 8) -> dict:
    """The typeahead's answer, for the API and the pages alike: the suggestions (from two characters on),
    each with its page's URL, and the search page's URL for every result."""
    found = search_suggestions(query=query, limit=limit) if len(query) >= 2 else []
    return {
        "query": query,
        "suggestions": [dataclasses.asdict(s) for s in found],
        "all_results_url": f"{reverse('catalog:search')}?{urlencode({'q': query})}",
    }


def search_did_you_mean(*, query: str) -> list[str]:
    """The capsule and column names closest to a query that found nothing (see ``catalog.search.names_near``)."""
    terms = search_terms(query)
    return [] if terms is None else names_near(terms.text)


# -- domains, owners, source systems ------------------------------------------------------------------


def _with_coverage(queryset: QuerySet, relation: str = "capsules") -> QuerySet:
    """Annotates capsule count, tested and documented capsule counts and the mean column documentation
    share over one join (one GROUP BY)."""
    return queryset.annotate(
        capsule_count=Count(relation),
        tested_count=Count(relation, filter=Q(**{f"{relation}__has_tests": True})),
        documented_count=Count(
            relation,
            filter=Q(**{f"{relation}__description__isnull": False}) & ~Q(**{f"{relation}__description": ""}),
        ),
        column_doc_coverage=Avg(f"{relation}__doc_coverage"),
    )


def owner_list() -> QuerySet[Owner]:
    """Owners with their capsule counts and coverage (one query)."""
    return _with_coverage(Owner.objects.all()).order_by("name")


def owner_get(*, pk: uuid.UUID | str) -> Owner:
    """One owner with capsule counts (one query); raises ``Owner.DoesNotExist``."""
    return owner_list().get(pk=pk)


def domain_list() -> QuerySet[Domain]:
    """Domains with parent and owner joined, capsule counts and coverage (one query)."""
    return _with_coverage(Domain.objects.select_related("parent", "owner")).order_by("name")


def domain_get(*, name: str) -> Domain:
    """One domain by name with its counts (one query); raises ``Domain.DoesNotExist``."""
    return domain_list().get(name=name)


def source_system_list() -> QuerySet[SourceSystem]:
    """Source systems (dbt projects) with their capsule counts (one query)."""
    return SourceSystem.objects.annotate(capsule_count=Count("capsules")).order_by("name")


def source_system_brief_list() -> QuerySet[SourceSystem]:
    """Source systems by name, without counts (no join): for reading their names and meta."""
    return SourceSystem.objects.order_by("name")


def catalog_counts() -> dict[str, int]:
    """Row counts for the dashboard: five cheap COUNT(*) queries."""
    return {
        "capsules": Capsule.objects.count(),
        "columns": Column.objects.count(),
        "domains": Domain.objects.count(),
        "owners": Owner.objects.count(),
        "source_systems": SourceSystem.objects.count(),
    }


# -- the PII fields of columns, read in bulk for the pii app ------------------------------------------
# Classification and propagation read hundreds of thousands of rows: raw SQL with ids and JSON as text
# (several times cheaper to read than model instances), behind typed arguments.

# The fields of each row ``column_pii_rows`` yields, in order.
COLUMN_PII_ROW = (
    "id", "capsule_id", "name", "data_type", "description", "meta", "tags", "tests", "pii_type", "pii_detected_by",
    "pii_confidence", "pii_masked", "semantic_type", "pii_evidence", "pii_decision", "pii_decided_type",
    "pii_decided_by", "pii_decided_at", "pii_decision_note", "urn",
)  # fmt: skip


def id_text(pk: Any) -> str:
    """A UUID key as raw SQL compares it, always as text: hyphenated on PostgreSQL, 32 hex characters on SQLite."""
    return str(db_key(pk))


def _ids_pieces(column: str, ids: Sequence[str]) -> list[tuple[str, list[Any]]]:
    """``column IN ids`` as (SQL, params) pieces of 20,000 ids (the rows of one piece are fetched before the
    next piece's query runs)."""
    ids = list(ids)
    return [sql_among(column, ids[i : i + 20_000]) for i in range(0, len(ids), 20_000)]


def column_pii_rows(
    *,
    source_system_id: Any = None,
    capsule_ids: Sequence[str] | None = None,
    column_ids: Sequence[str] | None = None,
    with_pii_state: bool = False,
    origins: Sequence[str] | None = None,
) -> Iterator[list[tuple]]:
    """Batches of raw column rows (fields in ``COLUMN_PII_ROW`` order; ids, meta, tags and tests as text,
    empty evidence as None) for one dbt project, some capsules, some columns, or the whole catalog.

    ``with_pii_state`` keeps only columns that hold a PII type, a steward's decision or lineage evidence;
    ``origins`` only columns of these origins (``ColumnOrigin``: the ones column lineage inferred, say).
    One query per 20,000 ids, or one query in all.
    """
    postgres = connection.vendor == "postgresql"
    text, empty = ("::text", "'[]'::jsonb") if postgres else ("", "'[]'")
    table = Column._meta.db_table
    select = (
        f"SELECT c.id{text}, c.capsule_id{text}, c.name, c.data_type, c.description, c.meta{text}, c.tags{text},"
        f" c.tests{text}, c.pii_type, c.pii_detected_by, c.pii_confidence, c.pii_masked, c.semantic_type,"
        f" CASE WHEN c.pii_evidence = {empty} THEN NULL ELSE c.pii_evidence{text} END,"
        f" c.pii_decision, c.pii_decided_type, c.pii_decided_by, c.pii_decided_at, c.pii_decision_note, c.urn"
        f" FROM {table} c"
    )
    conditions: list[str] = []
    params: list[Any] = []
    if with_pii_state:
        lineage = (
            'c.pii_evidence @> \'[{"signal": "lineage"}]\'::jsonb'
            if postgres
            else "c.pii_evidence LIKE '%\"lineage\"%'"
        )
        conditions.append(f"(c.pii_type IS NOT NULL OR c.pii_decision IS NOT NULL OR {lineage})")
    if source_system_id is not None:
        conditions.append(f"c.capsule_id IN (SELECT id FROM {Capsule._meta.db_table} WHERE source_system_id = %s)")
        params.append(id_text(source_system_id))
    if origins is not None:
        conditions.append(f"c.origin IN ({', '.join(['%s'] * len(origins))})")
        params.extend(origins)
    if capsule_ids is not None or column_ids is not None:
        pieces = (
            _ids_pieces("c.capsule_id", capsule_ids) if capsule_ids is not None else _ids_pieces("c.id", column_ids)
        )
    else:
        pieces = [("", [])]
    for piece, piece_params in pieces:
        where = " AND ".join([*conditions, piece] if piece else conditions)
        with connection.cursor() as cursor:
            cursor.execute(select + (f" WHERE {where}" if where else ""), [*params, *piece_params])
            while batch := cursor.fetchmany(20_000):
                yield batch


def capsule_pii_facts(
    *, source_system_id: Any = None, capsule_ids: Sequence[str] | None = None, attribute: str | None = None
) -> dict[str, tuple[str, Any, str | None, str | None, str | None, str | None]]:
    """{capsule id as text: (name, meta, description, content_hash, columns_hash, attributes[attribute])} for
    one dbt project, some capsules (of that project, given both), or every capsule. One query per 20,000 ids."""
    postgres = connection.vendor == "postgresql"
    text = "::text" if postgres else ""
    if attribute is None:
        stored = "NULL"
    elif not attribute.replace("_", "").isalnum():
        raise ValueError(f"attribute {attribute!r}: letters, digits and underscores only")
    else:
        stored = f"k.attributes->>'{attribute}'" if postgres else f"json_extract(k.attributes, '$.{attribute}')"
    select = (
        f"SELECT k.id{text}, k.name, k.meta{text}, k.description, k.content_hash, k.columns_hash, {stored}"
        f" FROM {Capsule._meta.db_table} k"
    )
    if capsule_ids is not None:
        pieces = [(f" WHERE {sql}", p) for sql, p in _ids_pieces("k.id", capsule_ids)]
        if source_system_id is not None:
            pieces = [(f"{where} AND k.source_system_id = %s", [*p, id_text(source_system_id)]) for where, p in pieces]
    elif source_system_id is not None:
        pieces = [(" WHERE k.source_system_id = %s", [id_text(source_system_id)])]
    else:
        pieces = [("", [])]
    out = {}
    for where, params in pieces:
        with connection.cursor() as cursor:
            cursor.execute(select + where, params)
            for pk, name, meta, description, content_hash, columns_hash, value in cursor.fetchall():
                out[pk] = (name, json_or(meta, None), description, content_hash, columns_hash, value)
    return out


def json_or(text: Any, empty: Any) -> Any:
    """JSON read as text (PostgreSQL casts, SQLite stores text); the common empty values skip the decoder."""
    if text is None or text in ("{}", "[]", ""):
        return empty
    if isinstance(text, str | bytes):
        return orjson.loads(text)
    return text


def column_names_by_capsule(
    *, source_system_id: Any = None, capsule_ids: Sequence[str] | None = None
) -> dict[str, list[str]]:
    """{capsule id as text: its declared columns' names} for one dbt project, some capsules, or the whole catalog
    (columns inferred from SQL or usage are left out: the loader, which classifies new columns, sees only the
    declared ones). One query per 20,000 ids, or one in all; about 0.2 s per 376,000 columns."""
    text = "::text" if connection.vendor == "postgresql" else ""
    inferred = ", ".join(f"'{origin}'" for origin in INFERRED_ORIGINS)
    select = f"SELECT c.capsule_id{text}, c.name FROM {Column._meta.db_table} c WHERE c.origin NOT IN ({inferred})"
    if capsule_ids is not None:
        pieces = [(f" AND {sql}", p) for sql, p in _ids_pieces("c.capsule_id", capsule_ids)]
    elif source_system_id is not None:
        pieces = [
            (
                f" AND c.capsule_id IN (SELECT id FROM {Capsule._meta.db_table} WHERE source_system_id = %s)",
                [id_text(source_system_id)],
            )
        ]
    else:
        pieces = [("", [])]
    out: dict[str, list[str]] = {}
    for where, params in pieces:
        with connection.cursor() as cursor:
            cursor.execute(select + where, params)
            while batch := cursor.fetchmany(50_000):
                for capsule, name in batch:
                    names = out.get(capsule)
                    if names is None:
                        out[capsule] = [name]
                    else:
                        names.append(name)
    return out


def capsules_last_change(*, source_system_id: Any) -> tuple[int, str | None]:
    """How many capsules a project has and when one last changed (an ingestion, or a steward in the admin); one
    query."""
    row = Capsule.objects.filter(source_system_id=source_system_id).aggregate(n=Count("pk"), last=Max("updated_at"))
    return row["n"], row["last"].isoformat() if row["last"] else None


def column_ids_for(*, capsule_ids: Iterable[Any]) -> set[str]:
    """The ids (as text) of these capsules' columns; one query per 2,000 capsules."""
    ids = list(capsule_ids)
    found: set[str] = set()
    for start in range(0, len(ids), 2000):
        chunk = Column.objects.filter(capsule_id__in=ids[start : start + 2000])
        found.update(str(pk) for pk in chunk.values_list("pk", flat=True))
    return found
