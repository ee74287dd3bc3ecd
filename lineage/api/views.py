"""Lineage endpoints: traversal, impact, paths and the neighbourhood graph. Thin: selectors do the work."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Capsule, Column
from lineage import selectors
from lineage.api.renderers import CSVRenderer
from lineage.api.serializers import (
    GraphQuerySerializer,
    ImpactQuerySerializer,
    LineageQuerySerializer,
    PathsQuerySerializer,
)

_URN = OpenApiParameter("urn", OpenApiTypes.STR, OpenApiParameter.PATH, description="URN of the capsule or column")
_NO_SUCH_URN = OpenApiResponse(description="No capsule or column has a URN the query names.")
# ``?format=csv`` answers one row per affected capsule as CSV.
_IMPACT_RESPONSES = {(200, "application/json"): OpenApiTypes.OBJECT, (200, "text/csv"): OpenApiTypes.STR}


def _query(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class CapsuleLineageView(APIView):
    """Capsules (``level=capsule``) or columns (``level=column``) upstream, downstream or both of a capsule."""

    @extend_schema(parameters=[_URN, LineageQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request, urn: str):
        query = _query(LineageQuerySerializer, request)
        capsule = get_object_or_404(Capsule.objects.only("id", "urn"), urn=urn)
        result = selectors.capsule_lineage(
            capsule=capsule,
            direction=query["direction"],
            depth=selectors.depth_resolve(requested=query.get("depth")),
            level=query["level"],
        )
        return Response(result.as_dict())


class ColumnLineageView(APIView):
    """Columns upstream, downstream or both of a column, with each edge's transformation and expression."""

    @extend_schema(parameters=[_URN, LineageQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request, urn: str):
        query = _query(LineageQuerySerializer, request)
        column = get_object_or_404(Column.objects.only("id", "urn"), urn=urn)
        result = selectors.column_lineage(
            column=column,
            direction=query["direction"],
            depth=selectors.depth_resolve(requested=query.get("depth")),
        )
        return Response(result.as_dict())


class _ImpactView(APIView):
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CSVRenderer]

    def respond(self, request, impact: selectors.Impact) -> Response:
        if request.accepted_renderer.format == "csv":
            name = impact.root.rsplit(":", 1)[-1].replace('"', "")
            return Response(
                list(impact.csv_rows()), headers={"Content-Disposition": f'attachment; filename="impact-{name}.csv"'}
            )
        return Response(impact.as_dict())


class CapsuleImpactView(_ImpactView):
    """Everything downstream of a capsule, grouped by depth, layer, owner and domain, exposures called out.
    ``?format=csv`` exports one row per affected capsule."""

    @extend_schema(parameters=[_URN, ImpactQuerySerializer], responses=_IMPACT_RESPONSES)
    def get(self, request, urn: str):
        query = _query(ImpactQuerySerializer, request)
        capsule = get_object_or_404(Capsule.objects.only("id", "urn", "name"), urn=urn)
        impact = selectors.impact_analyse(capsule=capsule, depth=selectors.depth_resolve(requested=query.get("depth")))
        return self.respond(request, impact)


class ColumnImpactView(_ImpactView):
    """Everything downstream of a column: the capsules and columns it feeds (with each transformation) and
    the exposures reading them. ``?format=csv`` exports one row per affected column."""

    @extend_schema(parameters=[_URN, ImpactQuerySerializer], responses=_IMPACT_RESPONSES)
    def get(self, request, urn: str):
        query = _query(ImpactQuerySerializer, request)
        column = get_object_or_404(Column.objects.select_related("capsule"), urn=urn)
        impact = selectors.impact_analyse(column=column, depth=selectors.depth_resolve(requested=query.get("depth")))
        return self.respond(request, impact)


class PathsView(APIView):
    """How one capsule (or column) reaches another: every shortest path (``?from=URN&to=URN``)."""

    @extend_schema(parameters=[PathsQuerySerializer], responses={200: OpenApiTypes.OBJECT, 404: _NO_SUCH_URN})
    def get(self, request):
        query = _query(PathsQuerySerializer, request)
        try:
            result = selectors.lineage_paths(
                source_urn=query["from"],
                target_urn=query["to"],
                depth=selectors.depth_resolve(requested=query.get("depth")),
            )
        except Capsule.DoesNotExist as exc:
            raise NotFound(str(exc)) from None
        return Response(result.as_dict())


class GraphView(APIView):
    """The neighbourhood of a capsule or column as nodes and edges to draw, grouped past ``max_nodes``."""

    @extend_schema(parameters=[GraphQuerySerializer], responses={200: OpenApiTypes.OBJECT, 404: _NO_SUCH_URN})
    def get(self, request):
        query = _query(GraphQuerySerializer, request)
        try:
            graph = selectors.lineage_graph(
                urn=query["urn"],
                upstream=query.get("upstream"),
                downstream=query.get("downstream"),
                level=query["level"],
                max_nodes=query.get("max_nodes") or selectors.GRAPH_MAX_NODES,
            )
        except Capsule.DoesNotExist as exc:
            raise NotFound(str(exc)) from None
        return Response(graph)
