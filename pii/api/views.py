"""Compliance endpoints for PII: inventory (JSON or CSV), exposure, and a column's trace.

``/compliance/pii-inventory`` and ``/compliance/pii-exposure`` take ``?format=csv`` (all rows, streamed);
JSON answers are paginated like every list. Filters are validated by ``PiiInventoryQuerySerializer``, so a
bad value is a 400 with the field named, never a silent empty answer.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse
from django_filters import ChoiceFilter
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from dab_project.api import PageNumberPagination
from lineage.api.renderers import CSVRenderer
from pii.filters import PiiInventoryFilterSet
from pii.selectors import (
    ExposedColumn,
    pii_exposure,
    pii_inventory_columns,
    pii_inventory_summary,
    pii_path_of,
    pii_trace,
)
from pii.services import pii_config

INVENTORY_CSV_HEADER = (
    "column_urn", "capsule", "column", "pii_type", "risk", "category", "confidence", "detected_by", "masked",
    "decision", "layer", "domain", "owner", "source_system", "origin",
)  # fmt: skip
EXPOSURE_CSV_HEADER = (
    "column_urn", "capsule", "column", "pii_type", "risk", "layer", "owner", "domain", "origin", "path", "exposures",
    "reasons",
)  # fmt: skip


class _Echo:
    """A file-like that hands back what csv.writer writes, so rows can be streamed."""

    def write(self, value: str) -> str:
        return value


def csv_stream(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(list(header))
    for row in rows:
        yield writer.writerow(["" if value is None else value for value in row])


def csv_response(header: Iterable[str], rows: Iterable[Iterable], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_stream(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def inventory_filters(params) -> PiiInventoryFilterSet:
    """The validated filters of a request; raises DRF's ValidationError (a 400 naming each field) on bad values."""
    filters = PiiInventoryFilterSet(params)
    if not filters.is_valid():
        raise serializers.ValidationError(filters.errors)
    return filters


def inventory_row(column) -> list:
    """One CSV row of the inventory."""
    kind = pii_config().types.get(column.pii_type)
    capsule = column.capsule
    return [
        column.urn, capsule.name, column.name, column.pii_type, kind.risk if kind else None,
        kind.category if kind else None, column.pii_confidence, column.pii_detected_by, column.pii_masked,
        column.pii_decision, capsule.layer, capsule.domain.name if capsule.domain_id else None,
        capsule.owner.name if capsule.owner_id else None,
        capsule.source_system.name if capsule.source_system_id else None, pii_path_of(column)[0],
    ]  # fmt: skip


def inventory_item(column) -> dict:
    """One column of the inventory as JSON."""
    kind = pii_config().types.get(column.pii_type)
    capsule = column.capsule
    path = pii_path_of(column)
    return {
        "urn": column.urn,
        "name": column.name,
        "capsule": {"urn": capsule.urn, "name": capsule.name, "type": capsule.capsule_type, "layer": capsule.layer,
                    "version": capsule.version},
        "pii_type": column.pii_type,
        "risk": kind.risk if kind else None,
        "category": kind.category if kind else None,
        "confidence": column.pii_confidence,
        "detected_by": column.pii_detected_by,
        "masked": column.pii_masked,
        "decision": column.pii_decision,
        "domain": capsule.domain.name if capsule.domain_id else None,
        "owner": capsule.owner.name if capsule.owner_id else None,
        "source_system": capsule.source_system.name if capsule.source_system_id else None,
        "origin": path[0],
        "path": list(path),
        "evidence": column.pii_evidence,
    }


def exposure_item(item: ExposedColumn) -> dict:
    column, capsule = item.column, item.column.capsule
    return {
        "urn": column.urn,
        "name": column.name,
        "capsule": {"urn": capsule.urn, "name": capsule.name, "type": capsule.capsule_type, "layer": capsule.layer,
                    "version": capsule.version},
        "pii_type": item.pii_type,
        "risk": item.risk,
        "confidence": column.pii_confidence,
        "detected_by": column.pii_detected_by,
        "owner": capsule.owner.name if capsule.owner_id else None,
        "domain": capsule.domain.name if capsule.domain_id else None,
        "origin": item.origin,
        "path": list(item.path),
        "exposures": list(item.exposures),
        "reasons": list(item.reasons),
    }


def exposure_row(item: ExposedColumn) -> list:
    column, capsule = item.column, item.column.capsule
    return [
        column.urn, capsule.name, column.name, item.pii_type, item.risk, capsule.layer,
        capsule.owner.name if capsule.owner_id else None, capsule.domain.name if capsule.domain_id else None,
        item.origin, " > ".join(item.path), "; ".join(e["name"] for e in item.exposures), "; ".join(item.reasons),
    ]  # fmt: skip


_FORMAT = OpenApiParameter("format", str, enum=["json", "csv"], description="csv: every row, as a download")
_PAGES = [OpenApiParameter("page", int), OpenApiParameter("page_size", int)]
_JSON_OR_CSV = {(200, "application/json"): OpenApiTypes.OBJECT, (200, "text/csv"): OpenApiTypes.STR}
def _pii_types() -> list[str] | None:
    """The PII types of the vocabulary, for the schema; None (no enum) when the vocabulary does not load now."""
    try:
        return ["", *sorted(pii_config().types)]
    except Exception:  # the API itself will name the problem on the first request
        return None


class _PiiTypesEnum(Sequence):
    """``_pii_types()`` read when the schema is generated, not at import: compiling the vocabulary (half a second)
    would otherwise fall on every process that loads the URLs, the CLI reversing a job's URL among them."""

    def __getitem__(self, index):
        return (_pii_types() or [])[index]

    def __len__(self) -> int:
        return len(_pii_types() or [])


def _choices(name: str, f) -> list[str] | None:
    if name == "pii_type":
        return _PiiTypesEnum()
    return ["", *(value for value, _ in f.extra["choices"])] if isinstance(f, ChoiceFilter) else None


_INVENTORY_FILTERS = [
    OpenApiParameter(name, bool if name == "masked" else str, enum=_choices(name, f),
                     description=f.extra.get("help_text") or f.label or "")
    for name, f in PiiInventoryFilterSet.base_filters.items()
]


class PiiInventoryView(APIView):
    """Every column holding PII (no steward rejected it), with counts by type, layer, domain, owner and signal.

    JSON: ``summary`` (the counts) and the page of ``results``; CSV (``?format=csv``): all rows.
    """

    renderer_classes = (JSONRenderer, BrowsableAPIRenderer, CSVRenderer)
    pagination_class = PageNumberPagination

    @extend_schema(parameters=[*_INVENTORY_FILTERS, _FORMAT, *_PAGES], responses=_JSON_OR_CSV)
    def get(self, request):
        filters = inventory_filters(request.query_params)
        self.pagination_class.params_check(request)  # CSV ignores them, but they must still make sense
        columns = pii_inventory_columns(filters=filters)
        if request.accepted_renderer.format == "csv":
            rows = (inventory_row(c) for c in columns.iterator(chunk_size=2000))
            return csv_response(INVENTORY_CSV_HEADER, rows, "pii-inventory.csv")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(columns, request, view=self)
        response = paginator.get_paginated_response([inventory_item(c) for c in page])
        response.data["summary"] = pii_inventory_summary(filters=filters)
        return response


class PiiExposureView(APIView):
    """Unmasked PII reaching consumers: columns of marts/consumption capsules, or of capsules an exposure
    reads, each with the path from its origin and the exposures that read it.

    JSON: paginated ``results`` plus ``exposures`` (every exposure reading exposed PII); CSV: all rows.
    """

    renderer_classes = (JSONRenderer, BrowsableAPIRenderer, CSVRenderer)
    pagination_class = PageNumberPagination

    @extend_schema(parameters=[OpenApiParameter("pii_type", str, enum=_PiiTypesEnum()), _FORMAT, *_PAGES],
                   responses=_JSON_OR_CSV)
    def get(self, request):
        pii_type = request.query_params.get("pii_type") or None
        if pii_type and pii_type not in pii_config().types:
            raise serializers.ValidationError({"pii_type": [f"unknown PII type '{pii_type}'"]})
        self.pagination_class.params_check(request)  # CSV ignores them, but they must still make sense
        exposure = pii_exposure(pii_type=pii_type)
        if request.accepted_renderer.format == "csv":
            rows = (exposure_row(i) for chunk in _chunks(exposure.columns.iterator(chunk_size=2000))
                    for i in exposure.items(chunk))
            return csv_response(EXPOSURE_CSV_HEADER, rows, "pii-exposure.csv")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(exposure.columns, request, view=self)
        response = paginator.get_paginated_response([exposure_item(i) for i in exposure.items(page)])
        response.data["exposures"] = exposure.exposures_reached()
        return response


def _chunks(iterator, size: int = 2000):
    chunk = []
    for item in iterator:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class PiiTraceQuerySerializer(serializers.Serializer):
    depth = serializers.IntegerField(min_value=1, max_value=100, required=False, help_text="hops each way")


class PiiTraceView(APIView):
    """A column's PII origins upstream and every downstream consumer, each hop with its transformation."""

    @extend_schema(parameters=[PiiTraceQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request, urn: str):
        query = PiiTraceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        trace = pii_trace(urn=urn, max_depth=query.validated_data.get("depth"))
        if trace is None:
            raise NotFound(f"no column {urn}")
        return Response(trace.as_dict())
