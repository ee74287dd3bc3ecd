"""Ingestion over HTTP: upload dbt artifacts, follow jobs."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from dab_project.api import error_body
from ingestion import selectors
from ingestion.api.serializers import IngestionJobSerializer
from ingestion.services import Artifact, dbt_ingest

ARTIFACT_FIELDS = ("manifest", "catalog", "run_results")


class DbtUploadSerializer(serializers.Serializer):
    manifest = serializers.FileField(help_text="manifest.json")
    catalog = serializers.FileField(required=False, help_text="catalog.json (dbt docs generate)")
    run_results = serializers.FileField(required=False, help_text="run_results.json")
    dbt_project = serializers.FileField(
        required=False, help_text="dbt_project.yml: its dbt-project-evaluator vars become the project's settings"
    )
    evaluator_exceptions = serializers.FileField(
        required=False, help_text="dbt_project_evaluator_exceptions.csv: the evaluator's exceptions"
    )
    project_name = serializers.CharField(required=False, max_length=100)
    dry_run = serializers.BooleanField(required=False, default=False)


def _uploaded(kind: str, upload) -> Artifact:
    return Artifact(kind=kind, label=upload.name or kind, file=upload, size=upload.size)


def triggered_by(request) -> str:
    user = request.user
    return f"api:{user}" if getattr(user, "pk", None) is None else f"user:{user.get_username()}"


class DbtIngestView(APIView):
    """Upload dbt artifacts (multipart) and ingest them; answers with the finished job."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request=DbtUploadSerializer,
        responses={
            201: IngestionJobSerializer,
            400: OpenApiResponse(description="bad input; the error names the problem and the failed job"),
            413: OpenApiResponse(description="an artifact is larger than INGEST_MAX_UPLOAD_MB"),
        },
        tags=["ingestion"],
    )
    def post(self, request):
        too_large = _too_large(request)
        if too_large:
            return Response(error_body(413, too_large, request=request), status=413)
        serializer = DbtUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job = dbt_ingest(
            manifest=_uploaded("manifest", data["manifest"]),
            catalog=_uploaded("catalog", data["catalog"]) if data.get("catalog") else None,
            run_results=_uploaded("run_results", data["run_results"]) if data.get("run_results") else None,
            project_name=data.get("project_name"),
            dry_run=data["dry_run"],
            triggered_by=triggered_by(request),
            upload=True,
            dbt_project=_uploaded("dbt_project", data["dbt_project"]) if data.get("dbt_project") else None,
            evaluator_exceptions=_uploaded("evaluator_exceptions", data["evaluator_exceptions"])
            if data.get("evaluator_exceptions")
            else None,
        )
        body = IngestionJobSerializer(job).data
        if job.status != "completed":
            code = 413 if "limit" in (job.error_message or "") else 400
            return Response(error_body(code, job.error_message, details={"job": body}, request=request), status=code)
        return Response(body, status=status.HTTP_201_CREATED)


def _too_large(request) -> str | None:
    """Refuse oversized uploads from Content-Length, before reading the body."""
    limit = settings.INGEST_MAX_UPLOAD_MB * 1024 * 1024
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    # Three artifacts may each be up to the limit; anything beyond that can't be a valid upload.
    if length > limit * len(ARTIFACT_FIELDS) + 1024 * 1024:
        megabytes = length / 1024 / 1024
        return f"the upload is {megabytes:.0f} MB, over the limit of {settings.INGEST_MAX_UPLOAD_MB} MB per artifact"
    return None


class IngestStatusView(APIView):
    """The newest ingestion job and any still running."""

    @extend_schema(
        responses=inline_serializer(
            "IngestStatus",
            {"latest": IngestionJobSerializer(allow_null=True), "running": IngestionJobSerializer(many=True)},
        ),
        tags=["ingestion"],
    )
    def get(self, request):
        latest = selectors.job_latest()
        running = selectors.job_list().filter(status="running")
        return Response(
            {
                "latest": IngestionJobSerializer(latest).data if latest else None,
                "running": IngestionJobSerializer(running, many=True).data,
            }
        )


@extend_schema(tags=["ingestion"])  # one group in the API docs with the upload and status (not "ingest")
class IngestionJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Ingestion history, newest first."""

    serializer_class = IngestionJobSerializer
    filterset_fields = ("status", "source_name")
    ordering_fields = ("started_at",)

    def get_queryset(self):
        return selectors.job_list()

    def get_object(self):
        try:
            pk = uuid.UUID(str(self.kwargs["pk"]))
        except ValueError:
            raise Http404("No such ingestion job.") from None
        return get_object_or_404(self.get_queryset(), pk=pk)
