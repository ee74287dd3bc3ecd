"""Chainable query fragments over capsules and columns: filters and annotations only, never writes.

The models keep Django's default managers (catalog/models.py is shared); selectors start from
``capsules()`` / ``columns()``, which return these QuerySet classes.

Search matching is written once here for both databases. On PostgreSQL, migrations 0006-0013 add the
indexes each expression below is shaped for (the SQL must stay identical to the indexed expression;
catalog/tests/test_search_indexes.py checks the plans): ``lower(name) COLLATE "C"`` btrees serve exact
names, prefixes (as a range) and, for columns, the names a "contains" search found in the list of distinct
names (catalog.search); trigram GIN indexes on capsules' ``lower(name)`` and ``lower(urn)`` serve their
"contains" and, with the one on the separator-free name, their fuzzy tier; capsules' stored
``description_document`` and columns' partial GIN index on ``to_tsvector('simple', coalesce(description,
''))`` serve description matches; ``tags @> '["t"]'`` uses the jsonb GIN indexes. SQLite falls back to LIKE
and has no fuzzy tier.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Collate, Length, Lower

from catalog.choices import PiiDecision
from catalog.models import Capsule, Column
from catalog.search import (
    RANK_DESCRIPTION,
    RANK_EXACT,
    RANK_FUZZY,
    RANK_NAME,
    RANK_PREFIX,
    SearchTerms,
    column_names_containing,
    next_prefix,
    search_terms,
    squash,
    trigrams_available,
)

__all__ = [
    "CapsuleQuerySet",
    "ColumnQuerySet",
    "SqlPart",
    "SubqueryCount",
    "capsules",
    "columns",
    "fuzzy_threshold",
    "pii_q",
]


class _DescriptionMatches(Func):
    """PostgreSQL full-text match of a description against a prefix tsquery (GIN-indexed, see 0006)."""

    output_field = BooleanField()

    def __init__(self, column: str, tsquery: str):
        super().__init__(F(column), Value(tsquery))

    def as_sql(self, compiler, connection, **extra_context):
        column_sql, column_params = compiler.compile(self.source_expressions[0])
        query_sql, query_params = compiler.compile(self.source_expressions[1])
        # The first two conditions are the predicate of the partial GIN index (migration 0010).
        sql = (
            f"({column_sql} IS NOT NULL AND {column_sql} <> '' AND "
            f"to_tsvector('simple'::regconfig, COALESCE({column_sql}, '')) "
            f"@@ to_tsquery('simple'::regconfig, {query_sql}))"
        )
        return sql, [*column_params, *column_params, *column_params, *query_params]


# Capsules' stored tsvector of their description (migration 0013; not a Django field, only read here).
DOCUMENT_COLUMN = "description_document"
# A fuzzy match is at most this many letters longer or shorter than the query (one or two typos) and, unless
# it is just as long (swapped or replaced letters, which break more trigrams than they change), shares at
# least this share of trigrams with it: pg_trgm's ``%`` asks 0.3, which lets "payment orders" find
# "orders_daily"; "dim_dat" and "dim_date" share 0.6.
MAX_FUZZY_EDITS = 2
MIN_FUZZY_SIMILARITY = 0.4
# The separator-free spelling of a name, exactly as migration 0013 indexes it: literals, not parameters.
SQUASHED_NAME_SQL = "regexp_replace(lower({name}), '[^a-z0-9]+', '', 'g')"


def _sibling_column(compiler, connection, expression, column: str) -> str:
    """The SQL of another column of the table ``expression`` (a compiled ``F()``) belongs to."""
    sql, _ = compiler.compile(expression)
    qualifier = sql[: sql.rindex(".") + 1] if "." in sql else ""
    return qualifier + connection.ops.quote_name(column)


class _DocumentMatches(Func):
    """PostgreSQL: the capsule's stored description vector matches a prefix tsquery (GIN, migration 0013).
    Read from the row, so a candidate costs no ``to_tsvector`` of its description."""

    output_field = BooleanField()

    def __init__(self, tsquery: str):
        super().__init__(F("description"), Value(tsquery))

    def as_sql(self, compiler, connection, **extra_context):
        document = _sibling_column(compiler, connection, self.source_expressions[0], DOCUMENT_COLUMN)
        query_sql, query_params = compiler.compile(self.source_expressions[1])
        return f"({document} @@ to_tsquery('simple'::regconfig, {query_sql}))", query_params


class _DocumentRank(_DocumentMatches):
    """How well the description matches (``ts_rank_cd``: the words close together and often score higher),
    which orders the description tier on PostgreSQL."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):
        document = _sibling_column(compiler, connection, self.source_expressions[0], DOCUMENT_COLUMN)
        query_sql, query_params = compiler.compile(self.source_expressions[1])
        return f"ts_rank_cd({document}, to_tsquery('simple'::regconfig, {query_sql}))", query_params


def fuzzy_threshold(terms: SearchTerms) -> float:
    """The trigram similarity a name must reach to be close to the query: a typo breaks up to three trigrams
    whatever the length, so a longer query can ask more, and the trigram index then weighs far fewer names
    (a 33-letter GitLab name: 400 rows and 73 ms at 0.3, 15 rows and 10 ms at 0.5)."""
    size = len(terms.squashed)
    return 0.3 if size < 12 else 0.4 if size < 20 else 0.5


class _NameSimilar(Func):
    """pg_trgm: the name is close to the query as typed, or once both lose their separators (``DimDate`` ~
    ``dim_date``), by trigram similarity (``%``, served by the trigram indexes of migrations 0006 and 0013),
    at least ``fuzzy_threshold`` (and at least MIN_FUZZY_SIMILARITY unless it is just as long: swapped or
    replaced letters break more trigrams than they change); and, as a typo of one or two letters would, no
    more than two letters longer or shorter (which keeps "payment orders" from finding every name holding
    "orders"). ``%`` asks pg_trgm's own threshold (0.3, or what the search sets for the query), the explicit
    comparison ours, so the result does not depend on the setting."""

    output_field = BooleanField()

    def __init__(self, terms: SearchTerms):
        super().__init__(F("name"), Value(terms.text), Value(terms.squashed), Value(len(terms.squashed)))
        self.threshold = fuzzy_threshold(terms)

    def _parts(self, compiler):
        return [compiler.compile(expression) for expression in self.source_expressions]

    def as_sql(self, compiler, connection, **extra_context):
        (name, name_params), (text, text_params), (squashed, squashed_params), (size, size_params) = self._parts(
            compiler
        )
        squashed_name = SQUASHED_NAME_SQL.format(name=name)
        similarity = f"GREATEST(similarity(lower({name}), {text}), similarity({squashed_name}, {squashed}))"
        longer = max(self.threshold, MIN_FUZZY_SIMILARITY)
        sql = (
            f"((lower({name}) %% {text} OR {squashed_name} %% {squashed}) "
            f"AND abs(length({squashed_name}) - {size}) <= {MAX_FUZZY_EDITS} "
            f"AND {similarity} >= CASE WHEN length({squashed_name}) = {size} THEN {self.threshold} ELSE {longer} END)"
        )
        params = [*name_params, *text_params, *name_params, *squashed_params, *name_params, *size_params]
        similarity_params = [*name_params, *text_params, *name_params, *squashed_params]
        return sql, [*params, *similarity_params, *name_params, *size_params]


class _SquashedNameEquals(Func):
    """The name without separators equals the query without them (``DimDate`` = ``dim_date``)."""

    output_field = BooleanField()

    def __init__(self, terms: SearchTerms):
        super().__init__(F("name"), Value(terms.squashed))

    def as_sql(self, compiler, connection, **extra_context):
        name_sql, name_params = compiler.compile(self.source_expressions[0])
        squashed_sql, squashed_params = compiler.compile(self.source_expressions[1])
        return f"({SQUASHED_NAME_SQL.format(name=name_sql)} = {squashed_sql})", [*name_params, *squashed_params]


class _NameSimilarity(_NameSimilar):
    """The better of the two similarities ``_NameSimilar`` tests, 0 to 1: orders the fuzzy tier."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):
        (name, name_params), (text, text_params), (squashed, squashed_params), _ = self._parts(compiler)
        squashed_name = SQUASHED_NAME_SQL.format(name=name)
        sql = f"GREATEST(similarity(lower({name}), {text}), similarity({squashed_name}, {squashed}))"
        return sql, [*name_params, *text_params, *name_params, *squashed_params]


class _AnyOf(Func):
    """PostgreSQL: ``expression = ANY(ARRAY(SELECT unnest(%s::text[])))`` with the values as one array
    parameter: ``__in`` sends one parameter per value, and building and binding hundreds of them cost more
    than the query. The array goes through a sub-select on purpose: given the literal array, the planner
    weighs every element against the column's statistics (2-6 ms of planning for 300-600 names on GitLab)
    and, expecting a thousand matches, chose a sequential scan stopping at the LIMIT (25-39 ms for
    "account" over 19,485 columns); behind the sub-select it plans once, without the elements, on the
    btree (0.2 ms of planning, 2 ms of execution)."""

    output_field = BooleanField()

    def __init__(self, expression, values: list):
        super().__init__(expression)
        self.ids = values

    def as_sql(self, compiler, connection, **extra_context):
        column_sql, params = compiler.compile(self.source_expressions[0])
        return f"{column_sql} = ANY(ARRAY(SELECT unnest(%s::text[])))", [*params, self.ids]


@dataclass(frozen=True)
class SqlPart:
    """One part of a search written in SQL for PostgreSQL (``search_split_sql``): its condition, and what
    orders it (empty: any order; the caller ranks), each with its parameters. The same conditions as the
    querysets of ``search_split``, so the same indexes answer them."""

    where: str
    params: list
    order: str = ""
    order_params: list = field(default_factory=list)
    # What the part reads instead of the bare table (the fuzzy part: its index candidates with the values
    # its conditions test, computed once per row), named as the table so the other parts' SQL applies.
    source: str = ""
    source_params: list = field(default_factory=list)


def _like_contains(text: str) -> str:
    """``%text%`` with LIKE's wildcards and its escape character escaped, as Django's ``contains`` sends it."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class SubqueryCount(Subquery):
    """``(SELECT count(*) FROM ... WHERE ...)`` for a correlated queryset: a count per row without a join."""

    template = "(SELECT count(*) FROM (%(subquery)s) _count)"
    output_field = IntegerField()

    def __init__(self, queryset: QuerySet, **extra):
        super().__init__(queryset.order_by().values("pk"), **extra)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _tag_q(tag: str, *, field: str = "tags") -> Q:
    """Rows whose JSON list of tags holds ``tag`` exactly (jsonb containment on PostgreSQL)."""
    if _is_postgres():
        # "Not empty" is the predicate of the partial GIN index on columns' tags (migration 0010).
        return ~Q(**{field: []}) & Q(**{f"{field}__contains": [tag]})
    # SQLite has no JSON containment lookup; the stored list is JSON text, so match the quoted element.
    return Q(**{f"{field}__icontains": f'"{tag}"'})


def _description_q(terms: SearchTerms, field: str = "description") -> Q:
    if not terms.words:
        return Q(pk__in=[])
    if _is_postgres():
        return Q(_DescriptionMatches(field, terms.tsquery))
    # SQLite: every word somewhere in the description (substrings, where PostgreSQL matches word prefixes).
    q = Q()
    for word in terms.words:
        q &= Q(**{f"{field}__icontains": word})
    return q


def pii_q(prefix: str = "") -> Q:
    """A column that holds PII: a type was detected or declared and no steward rejected it."""
    return Q(**{f"{prefix}pii_type__isnull": False}) & ~Q(**{f"{prefix}pii_decision": PiiDecision.REJECTED})


class _SearchMixin:
    """Ranked search shared by capsules and columns; subclasses say which name-like fields count."""

    def _name_q(self, terms: SearchTerms) -> Q:
        raise NotImplementedError

    def _urn_q(self, terms: SearchTerms) -> Q:
        raise NotImplementedError

    def _description_q(self, terms: SearchTerms) -> Q:
        return _description_q(terms)

    def description_score(self, terms: SearchTerms):
        """An expression ordering the description tier, best first (higher is better); None: by name only."""
        return

    def fuzzy_q(self, terms: SearchTerms) -> Q | None:
        """Rows whose name is close to the query (the fuzzy tier); None where this kind or database has none."""
        return None

    def fuzzy_score(self, terms: SearchTerms):
        return None

    def same_name_q(self, terms: SearchTerms) -> Q:
        """The name spelled with other separators (or none): ranked with exact names, where fuzzy exists."""
        return Q(_SquashedNameEquals(terms))

    def _search_aliases(self):
        """Aliases the search conditions use: ``_name_lower``, and ``_name_key``, lower(name) C-collated on
        PostgreSQL so the btrees of migration 0007 serve prefixes as a range and names as equality (the
        planner would take a trigram index for LIKE 'q%', which matches every word starting with q)."""
        key = Collate(Lower("name"), "C") if _is_postgres() else Lower("name")
        return self.alias(_name_lower=Lower("name"), _name_key=key)

    @staticmethod
    def _prefix_q(terms: SearchTerms) -> Q:
        return Q(_name_key__gte=terms.name, _name_key__lt=next_prefix(terms.name))

    def search(self, query: str | None):
        """Rows matching ``query`` by name, URN, tag or description, unranked (the filter of list endpoints).

        Queries under three characters match name prefixes and exact URNs only: a trigram index cannot
        answer a shorter "contains", and a one-letter substring matches nearly everything anyway.
        """
        terms = search_terms(query)
        if terms is None:
            return self
        return self._search(terms, self._name_q(terms) if terms.allows_contains else None)

    def _search(self, terms: SearchTerms, name_q: Q | None, *, fuzzy: bool = False):
        qs = self._search_aliases()
        if name_q is None:
            return qs.filter(self._prefix_q(terms) | self._urn_q(terms))
        matches = name_q | self._description_q(terms)
        close = self.fuzzy_q(terms) if fuzzy else None
        return qs.filter(matches if close is None else matches | close)

    def ranked(self, query: str | None, *, fuzzy: bool = False):
        """``search(query)`` ordered best first: exact name, name prefix, other name/URN/tag matches,
        description matches; within a tier the best description score first, then shorter names. Annotates
        ``search_rank``. With ``fuzzy`` (capsules on PostgreSQL), also the names spelled with other
        separators (with the exact names) and the names close to the query (last, closest first): the
        ranking the search page computes in Python, written in SQL.

        The list filters (``?search=``) rank literally: their result is exact, and testing every row that
        does not match for closeness costs a scan (10 ms per 4,000 capsules). Sorts every match, so the cost
        grows with their number (the search page bounds it with ``search_split`` and ``rank_of``)."""
        terms = search_terms(query)
        if terms is None:
            return self
        # A short query matches only name prefixes and whole URNs, which the first two tiers take: no name
        # tier then (for columns it would read the catalog's names and send them as an IN list for nothing).
        name_q = self._name_q(terms) if terms.allows_contains else None
        fuzzy = self.fuzzy_q(terms) if name_q is not None and fuzzy else None
        exact = Q(_name_lower=terms.name) | self._urn_q(terms)
        if fuzzy is not None:
            exact |= self.same_name_q(terms)
        literal = exact | Q(_name_lower__startswith=terms.name)
        tiers = [
            When(exact, then=Value(RANK_EXACT)),
            When(_name_lower__startswith=terms.name, then=Value(RANK_PREFIX)),
        ]
        if name_q is not None:
            tiers.append(When(name_q, then=Value(RANK_NAME)))
            literal |= name_q
        if fuzzy is not None:
            tiers.append(When(self._description_q(terms), then=Value(RANK_DESCRIPTION)))
        default = RANK_FUZZY if fuzzy is not None else RANK_DESCRIPTION
        rank = Case(*tiers, default=Value(default), output_field=IntegerField())
        matches = self._search(terms, name_q, fuzzy=fuzzy is not None).annotate(search_rank=rank)
        order = ["search_rank"]
        description_score = self.description_score(terms) if name_q is not None else None
        if description_score is not None or fuzzy is not None:
            scores = [When(Q(_name_lower=terms.name) | self._urn_q(terms), then=Value(0.0))]
            if fuzzy is not None:  # the name with other separators comes right after the name itself
                scores.append(When(self.same_name_q(terms), then=Value(-1.0)))
            scores.append(When(literal, then=Value(0.0)))
            if description_score is not None:
                scores.append(When(self._description_q(terms), then=description_score))
            default_score = self.fuzzy_score(terms) if fuzzy is not None else Value(0.0)
            order.append(Case(*scores, default=default_score, output_field=FloatField()).desc())
        return matches.order_by(*order, Length("name"), "name", "urn")

    def search_split(self, query: str) -> tuple:
        """``search(query)`` in parts an index answers cheaply even when slicing the first rows of
        thousands: the name-prefix matches in name order (the exact name first; a btree range), the other
        name, URN and tag matches, the description matches (each a bitmap scan that stops at the slice; the
        parts overlap, the caller keeps each row once), and the names close to the query but not matching
        it literally, closest first (None where there is no fuzzy tier; None for descriptions too when the
        query is too short for "contains").

        Descriptions are asked alone on purpose: OR-ed with the name conditions, every row the indexes
        found was checked against the whole condition again, and for a column that re-parsed its
        description (``to_tsvector`` per row; 30 ms for 1,000 columns). Alone, the condition is the index's
        own and nothing is re-parsed."""
        terms = search_terms(query)
        base = self._search_aliases()
        prefixed = base.filter(self._prefix_q(terms)).order_by("_name_key")
        if not terms.allows_contains:
            return prefixed, base.filter(self._urn_q(terms)).exclude(self._prefix_q(terms)).order_by(), None, None
        name_q = self._name_q(terms)
        named = base.filter(name_q).exclude(self._prefix_q(terms)).order_by()
        described = base.filter(self._description_q(terms)).order_by()
        fuzzy_q = self.fuzzy_q(terms)
        if fuzzy_q is None:
            return prefixed, named, described, None
        fuzzy = base.filter(fuzzy_q).exclude(self._prefix_q(terms) | name_q).order_by(self.fuzzy_score(terms).desc())
        return prefixed, named, described, fuzzy

    def same_name_split(self, query: str):
        """The names spelled like the query but for separators (``dim-date``, ``DimDate`` for ``dim_date``),
        other than the name itself: asked apart from the fuzzy tier, which only runs when literal matches are
        few, because these rank with the exact names. An equality the squashed-name trigram index serves.
        None where there is no fuzzy tier."""
        terms = search_terms(query)
        if self.fuzzy_q(terms) is None or not terms.allows_contains:
            return None
        return self._search_aliases().filter(self.same_name_q(terms)).exclude(_name_lower=terms.name).order_by()

    # -- the same parts in SQL (PostgreSQL) ------------------------------------------------------------
    #
    # Building and compiling the querysets of ``search_split`` costs Django 4-5 ms of CPU per kind and query
    # (about a third of a search request's CPU on GitLab), more than PostgreSQL takes to answer them. The
    # unscoped searches of the search API and page send these instead: the same conditions, written once
    # as text, over the same indexes (catalog/tests/test_search_indexes.py checks both).

    _NAME_KEY_SQL = 'lower(name) COLLATE "C"'

    def _prefix_sql(self, terms: SearchTerms) -> tuple[str, list]:
        key = self._NAME_KEY_SQL
        return f"({key} >= %s AND {key} < %s)", [terms.name, next_prefix(terms.name)]

    @staticmethod
    def _tag_sql(terms: SearchTerms) -> tuple[str, list]:
        """``_tag_q`` in SQL: "not empty" is the predicate of the columns' partial GIN index."""
        return "(tags <> '[]'::jsonb AND tags @> %s::jsonb)", [json.dumps([terms.text])]

    def _urn_sql(self, terms: SearchTerms) -> tuple[str, list]:
        raise NotImplementedError

    def _name_sql(self, terms: SearchTerms) -> tuple[str, list]:
        raise NotImplementedError

    def _description_sql(self, terms: SearchTerms) -> tuple[str, list] | None:
        """None when the query has no word (it matches no description)."""
        if not terms.words:
            return None
        return (
            "(description IS NOT NULL AND description <> '' AND to_tsvector('simple'::regconfig, "
            "COALESCE(description, '')) @@ to_tsquery('simple'::regconfig, %s))",
            [terms.tsquery],
        )

    def description_score_sql(self, terms: SearchTerms) -> tuple[str, list] | None:
        return None

    def tag_hit_sql(self, terms: SearchTerms) -> tuple[str, list]:
        return self._tag_sql(terms)

    def search_split_sql(self, query: str) -> tuple:
        """``search_split`` as ``SqlPart``s (prefixed, named, described, fuzzy; described None when the query
        has no word, fuzzy None where there is no fuzzy tier), for PostgreSQL and the whole table."""
        terms = search_terms(query)
        prefix, prefix_params = self._prefix_sql(terms)
        prefixed = SqlPart(prefix, prefix_params, self._NAME_KEY_SQL)
        if not terms.allows_contains:
            urn, urn_params = self._urn_sql(terms)
            return prefixed, SqlPart(f"{urn} AND NOT {prefix}", [*urn_params, *prefix_params]), None, None
        name, name_params = self._name_sql(terms)
        named = SqlPart(f"{name} AND NOT {prefix}", [*name_params, *prefix_params])
        description = self._description_sql(terms)
        described = SqlPart(*description) if description is not None else None
        if self.fuzzy_q(terms) is None:
            return prefixed, named, described, None
        source, source_params, close, close_params = self._close_names_sql(terms)
        fuzzy = SqlPart(
            f"{close} AND NOT ({prefix} OR {name})", [*close_params, *prefix_params, *name_params],
            "_similarity DESC", [], source, source_params,
        )  # fmt: skip
        return prefixed, named, described, fuzzy

    def _close_names_sql(self, terms: SearchTerms) -> tuple[str, list, str, list]:
        """``_name_similar_sql`` as a source and a condition: the rows the trigram indexes find (``%``), each
        with its separator-free name and its similarity computed once (``_squashed``, ``_similarity``),
        then the length and similarity tests on those. Written as one condition, PostgreSQL computed the
        separator-free name four times and each similarity twice per row the index found (hundreds on
        10,000 models): a third of the query. ``OFFSET 0`` keeps the planner from folding the sub-selects
        back into one condition; the length test, on the outer rows alone, runs before the similarity."""
        table = connection.ops.quote_name(self.model._meta.db_table)
        squashed_name = SQUASHED_NAME_SQL.format(name="name")
        source = (
            f"(SELECT {table}.*, {squashed_name} AS _squashed FROM {table} "
            f"WHERE (lower(name) %% %s OR {squashed_name} %% %s) OFFSET 0) AS {table}, "
            f"LATERAL (SELECT GREATEST(similarity(lower({table}.name), %s), similarity({table}._squashed, %s)) "
            "AS _similarity OFFSET 0) AS _close"
        )
        threshold = fuzzy_threshold(terms)
        longer = max(threshold, MIN_FUZZY_SIMILARITY)
        close = (
            f"(abs(length(_squashed) - %s) <= {MAX_FUZZY_EDITS} "
            f"AND _similarity >= CASE WHEN length(_squashed) = %s THEN {threshold} ELSE {longer} END)"
        )
        size = len(terms.squashed)
        return source, [terms.text, terms.squashed, terms.text, terms.squashed], close, [size, size]

    def same_name_split_sql(self, query: str) -> SqlPart | None:
        """``same_name_split`` as an ``SqlPart``."""
        terms = search_terms(query)
        if self.fuzzy_q(terms) is None or not terms.allows_contains:
            return None
        squashed = SQUASHED_NAME_SQL.format(name="name")
        return SqlPart(f"({squashed} = %s AND lower(name) <> %s)", [terms.squashed, terms.name])

    def fuzzy_score_sql(self, terms: SearchTerms) -> tuple[str, list]:
        """The fuzzy part's score: the similarity its source computed (``_close_names_sql``)."""
        return "_similarity", []

    def tag_hit(self, terms: SearchTerms) -> ExpressionWrapper:
        """True where a tag equals the query: fetched with candidates so no tags list is decoded in Python."""
        return ExpressionWrapper(_tag_q(terms.text), output_field=BooleanField())

    def rank_of(
        self, terms: SearchTerms, *, name: str, urn: str, tag_hit: bool, fuzzy: bool = False, same: bool = False
    ) -> int:
        """The tier ``ranked`` gives a matching row, computed from its values (for rows already fetched);
        ``fuzzy`` for a row the fuzzy part of ``search_split`` found, ``same`` where names spelled alike but
        for separators rank as exact (``ranked(fuzzy=True)``)."""
        name = name.lower()
        if name == terms.name or self._urn_matches_exactly(terms, urn):
            return RANK_EXACT
        if fuzzy:
            return RANK_EXACT if squash(name) == terms.squashed else RANK_FUZZY
        if same and len(name) >= len(terms.squashed) and squash(name) == terms.squashed:
            return RANK_EXACT
        if name.startswith(terms.name):
            return RANK_PREFIX
        if terms.name in name or self._urn_contains(terms, urn) or tag_hit:
            return RANK_NAME
        return RANK_DESCRIPTION


class CapsuleQuerySet(_SearchMixin, QuerySet):
    """Capsules, with the catalog's reusable filters."""

    def _name_q(self, terms: SearchTerms) -> Q:
        return Q(_name_lower__contains=terms.name) | Q(_urn_lower__contains=terms.name) | _tag_q(terms.text)

    def _urn_q(self, terms: SearchTerms) -> Q:
        return Q(_urn_lower=terms.name)

    def _description_q(self, terms: SearchTerms) -> Q:
        if terms.words and _is_postgres():
            return Q(_DocumentMatches(terms.tsquery))
        return _description_q(terms)

    def description_score(self, terms: SearchTerms):
        return _DocumentRank(terms.tsquery) if terms.words and _is_postgres() else None

    def fuzzy_q(self, terms: SearchTerms) -> Q | None:
        if not (terms.allows_fuzzy and trigrams_available()):
            return None
        return Q(_NameSimilar(terms))

    def fuzzy_score(self, terms: SearchTerms):
        return _NameSimilarity(terms)

    @staticmethod
    def _urn_matches_exactly(terms: SearchTerms, urn: str) -> bool:
        return urn.lower() == terms.name

    @staticmethod
    def _urn_contains(terms: SearchTerms, urn: str) -> bool:
        return terms.allows_contains and terms.name in urn.lower()

    def _search_aliases(self):
        return super()._search_aliases().alias(_urn_lower=Lower("urn"))

    def _urn_sql(self, terms: SearchTerms) -> tuple[str, list]:
        return "(lower(urn) = %s)", [terms.name]

    def _name_sql(self, terms: SearchTerms) -> tuple[str, list]:
        tag, tag_params = self._tag_sql(terms)
        pattern = _like_contains(terms.name)
        return f"(lower(name) LIKE %s OR lower(urn) LIKE %s OR {tag})", [pattern, pattern, *tag_params]

    def _description_sql(self, terms: SearchTerms) -> tuple[str, list] | None:
        if not terms.words:
            return None
        return f"({DOCUMENT_COLUMN} @@ to_tsquery('simple'::regconfig, %s))", [terms.tsquery]

    def description_score_sql(self, terms: SearchTerms) -> tuple[str, list] | None:
        if not terms.words:
            return None
        return f"ts_rank_cd({DOCUMENT_COLUMN}, to_tsquery('simple'::regconfig, %s))", [terms.tsquery]

    def tagged(self, tag: str) -> CapsuleQuerySet:
        return self.filter(_tag_q(tag))

    def with_pii(self, has_pii: bool = True) -> CapsuleQuerySet:
        """Capsules with (or without) at least one column holding PII that no steward rejected."""
        exists = Exists(Column.objects.filter(pii_q(), capsule=OuterRef("pk")))
        return self.filter(exists if has_pii else ~exists)

    def with_column_count(self) -> CapsuleQuerySet:
        """Annotates ``column_count``: one index probe per row, so use it on pages, not whole tables."""
        return self.annotate(column_count=SubqueryCount(Column.objects.filter(capsule=OuterRef("pk"))))

    def with_counts(self) -> CapsuleQuerySet:
        """Annotates column, PII column, upstream and downstream counts (correlated subqueries; detail use)."""
        return self.with_column_count().annotate(
            pii_column_count=SubqueryCount(Column.objects.filter(pii_q(), capsule=OuterRef("pk"))),
            upstream_count=SubqueryCount(Capsule.objects.filter(downstream_edges__target=OuterRef("pk")).distinct()),
            downstream_count=SubqueryCount(Capsule.objects.filter(upstream_edges__source=OuterRef("pk")).distinct()),
        )

    def for_list(self) -> CapsuleQuerySet:
        """Joined owner, domain and source system, with only the fields a list row shows (``CAPSULE_LIST_ONLY``):
        building Django model instances costs by the field, and a page builds 200 of them."""
        return self.select_related("domain", "owner", "source_system").only(*CAPSULE_LIST_ONLY)


class ColumnQuerySet(_SearchMixin, QuerySet):
    """Columns, with the catalog's reusable filters."""

    def _name_q(self, terms: SearchTerms) -> Q:
        """Names containing the query, found in the list of distinct names (``column_names_containing``) and
        matched by equality on the name btree; no trigram index over 376,000 columns. Reads that list once
        per catalog version. Column URNs are only matched whole (the unique index)."""
        names = column_names_containing(terms.name)
        if names is None:
            name_q = Q(_name_lower__contains=terms.name)
        elif _is_postgres():  # one array parameter for hundreds of names; the btree answers = ANY too
            name_q = Q(_AnyOf(Collate(Lower("name"), "C"), names))
        else:
            name_q = Q(_name_key__in=names)
        return name_q | self._urn_q(terms) | _tag_q(terms.text)

    def _urn_q(self, terms: SearchTerms) -> Q:
        return Q(urn=terms.raw)

    @staticmethod
    def _urn_matches_exactly(terms: SearchTerms, urn: str) -> bool:
        return urn == terms.raw

    @staticmethod
    def _urn_contains(terms: SearchTerms, urn: str) -> bool:
        return False

    def _urn_sql(self, terms: SearchTerms) -> tuple[str, list]:
        return "(urn = %s)", [terms.raw]

    def _name_sql(self, terms: SearchTerms) -> tuple[str, list]:
        """``_name_q`` in SQL: the names containing the query from the list of distinct names, as one array."""
        names = column_names_containing(terms.name)
        tag, tag_params = self._tag_sql(terms)
        urn, urn_params = self._urn_sql(terms)
        if names is None:
            name, name_params = "lower(name) LIKE %s", [_like_contains(terms.name)]
        else:
            name, name_params = f"{self._NAME_KEY_SQL} = ANY(ARRAY(SELECT unnest(%s::text[])))", [names]
        return f"({name} OR {urn} OR {tag})", [*name_params, *urn_params, *tag_params]

    def pii(self, is_pii: bool = True) -> ColumnQuerySet:
        return self.filter(pii_q()) if is_pii else self.exclude(pii_q())

    def of_pii_type(self, pii_type: str) -> ColumnQuerySet:
        return self.filter(pii_q(), pii_type=pii_type)

    def for_list(self) -> ColumnQuerySet:
        """The capsule joined, with only the fields a list row shows (``COLUMN_LIST_ONLY``)."""
        return self.select_related("capsule").only(*COLUMN_LIST_ONLY)


# What list rows show (API list serializers, the capsule table, search results): other fields are not
# fetched, so reading one on a list row would cost a query per row (the query-count tests would fail).
CAPSULE_LIST_ONLY = (
    "urn", "name", "capsule_type", "layer", "materialization", "description", "database_name", "schema_name",
    "relation_name", "tags", "has_tests", "test_count", "doc_coverage", "access", "group_name", "version",
    "lineage_status", "updated_at",
    "domain", "domain__name",
    "owner", "owner__name", "owner__email",
    "source_system", "source_system__name", "source_system__source_type",
)  # fmt: skip
COLUMN_LIST_ONLY = (
    "urn", "name", "data_type", "ordinal_position", "is_nullable", "description", "origin", "tags", "tests",
    "has_tests", "test_count", "semantic_type", "pii_type", "pii_confidence", "pii_masked", "pii_decision",
    "capsule", "capsule__urn", "capsule__name", "capsule__capsule_type", "capsule__layer",
)  # fmt: skip


def capsules() -> CapsuleQuerySet:
    """All capsules as a ``CapsuleQuerySet`` in their default order (name, urn)."""
    return CapsuleQuerySet(model=Capsule)


def columns() -> ColumnQuerySet:
    """All columns as a ``ColumnQuerySet`` in their default order (capsule, position, name)."""
    return ColumnQuerySet(model=Column)


def db_key(pk: Any) -> Any:
    """A primary key as raw SQL parameters and results spell it: as given on PostgreSQL, hex text on SQLite."""
    if connection.vendor == "postgresql":
        return pk
    return pk.hex if isinstance(pk, uuid.UUID) else str(pk).replace("-", "")


def sql_among(column: str, values: Iterable[Any], *, keys: bool = True) -> tuple[str, list[Any]]:
    """Raw SQL for ``column`` among ``values`` with one parameter however many there are: a PostgreSQL array, or
    a JSON array that SQLite unpacks (one parameter per value would meet SQLite's limit on a statement's
    parameters). ``keys``: the values are primary keys (UUIDs or their text), spelled as each database stores
    them; otherwise plain text or numbers. The one way raw-SQL selectors of every app select by id."""
    if keys:
        values = [db_key(pk) for pk in values]
        if connection.vendor == "postgresql":
            return f"{column} = ANY(%s::uuid[])", [values]
    else:
        values = list(values)
        if connection.vendor == "postgresql":
            return f"{column} = ANY(%s)", [values]
    return f"{column} IN (SELECT value FROM json_each(%s))", [orjson.dumps(values).decode()]


def in_batches(queryset: QuerySet, field: str, values: list) -> Iterator[QuerySet]:
    """``queryset`` restricted to rows whose ``field`` is one of ``values``: on PostgreSQL one query with the values
    as one array parameter (``= ANY(%s)``), on SQLite a query per 900 (its limit on a statement's parameters)."""
    if not values:
        return
    if connection.vendor == "postgresql":
        model = queryset.model
        qn = connection.ops.quote_name
        column = f"{qn(model._meta.db_table)}.{qn(model._meta.get_field(field).column)}"
        yield queryset.extra(where=[f"{column} = ANY(%s)"], params=[values])
        return
    for start in range(0, len(values), 900):
        yield queryset.filter(**{f"{field}__in": values[start : start + 900]})
