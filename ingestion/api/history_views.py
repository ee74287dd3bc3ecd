"""Change history over HTTP: a capsule's history, and the changes of a project since a date."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Capsule
from ingestion.changes.selectors import capsule_change_history, capsule_run_history, change_list
from ingestion.filters import CapsuleChangeFilterSet
from ingestion.models import CapsuleChange


class CapsuleChangeSerializer(serializers.ModelSerializer):
    source_system = serializers.CharField(source="source_system.name", read_only=True)
    ingestion = serializers.UUIDField(source="ingestion_id", read_only=True)

    class Meta:
        model = CapsuleChange
        fields = ("at", "ingestion", "source_system", "kind", "urn", "name", "capsule_type", "aspect", "column",
                  "before", "after", "evidence", "base_urn")  # fmt: skip


class ChangeListView(generics.ListAPIView):
    """Changes recorded by ingestions, newest first: ``?since=2026-01-05T00:00Z&source_system=acme_shop``."""

    serializer_class = CapsuleChangeSerializer
    filterset_class = CapsuleChangeFilterSet

    def get_queryset(self):
        return change_list()


RunPoint = inline_serializer("RunPoint", {"run": serializers.IntegerField(), "at": serializers.DateTimeField(),
                                          "status": serializers.CharField(allow_null=True),
                                          "execution_time": serializers.FloatField(allow_null=True)})  # fmt: skip


class CapsuleHistoryView(APIView):
    """A capsule's recorded changes (across renames), its execution times and its tests' status histories."""

    @extend_schema(
        responses=inline_serializer("CapsuleHistory", {
            "urn": serializers.CharField(),
            "changes": CapsuleChangeSerializer(many=True),
            "execution_times": RunPoint,
            "tests": inline_serializer("TestHistory", {"urn": serializers.CharField(), "name": serializers.CharField(),
                                                       "flips": serializers.IntegerField(),
                                                       "flaky": serializers.BooleanField(), "runs": RunPoint}),
        }),
        tags=["ingestion"],
    )  # fmt: skip
    def get(self, request, urn: str):
        capsule = Capsule.objects.filter(urn=urn).only("id", "urn", "source_system_id", "tests").first()
        if capsule is None:
            raise Http404("No capsule has this URN.")
        runs = capsule_run_history(capsule=capsule)

        def points(history):
            return [{"run": r, "at": at, "status": s, "execution_time": t} for r, at, s, t in history.points]

        return Response({
            "urn": capsule.urn,
            "changes": CapsuleChangeSerializer(capsule_change_history(urn=capsule.urn), many=True).data,
            "execution_times": points(runs["model"][0]) if runs["model"] else [],
            "tests": [{"urn": h.urn, "name": h.name, "flips": h.flips, "flaky": h.flaky, "runs": points(h)}
                      for h in runs["tests"]],
        })  # fmt: skip
