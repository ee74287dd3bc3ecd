"""Read use-cases of the catalog: what each page and endpoint shows, in a fixed number of queries."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Avg, CharField, Count, Q, QuerySet, Value, Window
from django.db.models.functions import Cast

from catalog.models import Capsule, Column, Domain, Owner, SourceSystem
from catalog.querysets import CapsuleQuerySet, ColumnQuerySet, capsules, columns

__all__ = [
    "CatalogCoverage",
    "FacetCount",
    "SearchPage",
    "capsule_columns",
    "capsule_coverage",
    "capsule_detail_queryset",
    "capsule_downstream",
    "capsule_facet_counts",
    "capsule_get",
    "capsule_list",
    "capsule_stats",
    "capsule_upstream",
    "catalog_counts",
    "column_detail_queryset",
    "column_get",
    "column_list",
    "domain_get",
    "domain_list",
    "owner_get",
    "owner_list",
    "search_capsules",
    "search_columns",
    "source_system_list",
]


# -- capsules -----------------------------------------------------------------------------------------


def capsule_list() -> CapsuleQuerySet:
    """Capsules for a list: owner, domain and source system joined, column counts, heavy fields deferred.

    One query per page (the column count is a correlated subquery on the columns' capsule index)."""
    return capsules().for_list().with_column_count()


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
    user can switch to). One query: a GROUP BY per facet, joined with UNION ALL. Most frequent first.
    """
    branches = [
        qs.order_by()
        .values(value=Cast(CAPSULE_FACETS[facet], CharField()))
        .annotate(n=Count("pk"), facet=Value(facet))
        .values_list("facet", "value", "n")
        for facet, qs in querysets.items()
    ]
    result: dict[str, list[FacetCount]] = {facet: [] for facet in querysets}
    if not branches:
        return result
    union = branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]
    for facet, value, n in union:
        result[facet].append(FacetCount(value=_facet_value(facet, value), count=n))
    for counts in result.values():
        counts.sort(key=lambda c: (-c.count, c.value is None, c.value or ""))
    return result


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
    documentation coverage (two queries: the facet union and one aggregate)."""
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


# -- search -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchPage:
    """One page of ranked search results and how many matched in all."""

    results: list
    count: int


def _search_page(*, ranked: QuerySet, limit: int, offset: int) -> SearchPage:
    # The total rides along as a window count: the matches are scanned once for both the count and the
    # top-N sort. Past the last match no row comes back to carry it, so count separately then.
    rows = list(ranked.annotate(search_total=Window(Count("pk")))[offset : offset + limit])
    if rows:
        return SearchPage(results=rows, count=rows[0].search_total)
    return SearchPage(results=[], count=ranked.count() if offset else 0)


def search_capsules(*, query: str, limit: int = 20, offset: int = 0) -> SearchPage:
    """Capsules matching ``query``, best first (see ``CapsuleQuerySet.ranked``). One query."""
    return _search_page(ranked=capsules().for_list().ranked(query), limit=limit, offset=offset)


def search_columns(*, query: str, limit: int = 20, offset: int = 0) -> SearchPage:
    """Columns matching ``query``, best first (see ``ColumnQuerySet.ranked``). One query."""
    return _search_page(ranked=columns().for_list().ranked(query), limit=limit, offset=offset)


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


def catalog_counts() -> dict[str, int]:
    """Row counts for the dashboard: five cheap COUNT(*) queries."""
    return {
        "capsules": Capsule.objects.count(),
        "columns": Column.objects.count(),
        "domains": Domain.objects.count(),
        "owners": Owner.objects.count(),
        "source_systems": SourceSystem.objects.count(),
    }
