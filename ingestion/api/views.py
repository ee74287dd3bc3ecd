"""Ingestion over HTTP: upload dbt artifacts, follow jobs."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from dab_project.api import error_body
from ingestion import selectors
from ingestion.api.serializers import IngestionJobSerializer
from ingestion.jobs import JobRetryError, dbt_job_enqueue, job_retry
from ingestion.services import Artifact

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
    force = serializers.BooleanField(
        required=False, default=False, help_text="run the whole pipeline even when nothing changed since the last run"
    )


def _uploaded(kind: str, upload) -> Artifact:
    return Artifact(kind=kind, label=upload.name or kind, file=upload, size=upload.size)


def triggered_by(request) -> str:
    user = request.user
    return f"api:{user}" if getattr(user, "pk", None) is None else f"user:{user.get_username()}"


class DbtIngestView(APIView):
    """Upload dbt artifacts (multipart): checked and stored at once, ingested by a background worker.

    Answers 202 Accepted with the queued job; poll its ``url`` for the stage and progress. Input that can be
    refused without running the pipeline (too large, not JSON, the wrong artifact, invalid evaluator settings) is
    refused at once with a 4xx naming the problem and the failed job, and nothing is stored.
    """

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request=DbtUploadSerializer,
        responses={
            202: OpenApiResponse(
                IngestionJobSerializer, description="queued; the Location header and the job's url follow it"
            ),
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

        def artifact(kind: str) -> Artifact | None:
            return _uploaded(kind, data[kind]) if data.get(kind) else None

        job = dbt_job_enqueue(
            manifest=_uploaded("manifest", data["manifest"]),
            catalog=artifact("catalog"),
            run_results=artifact("run_results"),
            project_name=data.get("project_name"),
            dry_run=data["dry_run"],
            force=data["force"],
            triggered_by=triggered_by(request),
            dbt_project=artifact("dbt_project"),
            evaluator_exceptions=artifact("evaluator_exceptions"),
        )
        body = IngestionJobSerializer(job, context={"request": request}).data
        if job.status == "failed":
            code = 413 if "limit" in (job.error_message or "") else 400
            return Response(error_body(code, job.error_message, details={"job": body}, request=request), status=code)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


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
    """The newest ingestion job and any still running or queued."""

    @extend_schema(
        responses=inline_serializer(
            "IngestStatus",
            {"latest": IngestionJobSerializer(allow_null=True), "running": IngestionJobSerializer(many=True)},
        ),
        tags=["ingestion"],
    )
    def get(self, request):
        latest = selectors.job_latest()
        running = selectors.job_list().filter(status__in=["queued", "running"])
        context = {"request": request}
        return Response(
            {
                "latest": IngestionJobSerializer(latest, context=context).data if latest else None,
                "running": IngestionJobSerializer(running, many=True, context=context).data,
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

    @extend_schema(
        request=None,
        responses={
            202: IngestionJobSerializer,
            409: OpenApiResponse(description="the job can't be retried (not failed, already retried, no artifacts)"),
        },
        tags=["ingestion"],
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue a failed job again over its stored artifacts; answers 202 with the new job."""
        try:
            job = job_retry(job=self.get_object(), triggered_by=triggered_by(request))
        except JobRetryError as exc:
            return Response(error_body(409, str(exc), request=request), status=409)
        body = IngestionJobSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})
