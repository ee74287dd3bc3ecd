"""The change report over HTTP: upload a head's artifacts (and optionally a base's) and read the report.
Nothing is stored; the answer is the report itself."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from dab_project.api import error_body
from ingestion.api.views import _too_large, _uploaded, triggered_by
from ingestion.changes.formats import FORMATS, render
from ingestion.changes.services import ArtifactSet, DiffError, diff_run

CONTENT_TYPES = {"markdown": "text/markdown; charset=utf-8", "sarif": "application/sarif+json",
                 "junit": "application/xml; charset=utf-8"}  # fmt: skip


class _FormBoolean(serializers.BooleanField):
    # DRF reads an omitted checkbox in form data as False; an omitted field here means its default.
    default_empty_html = serializers.empty


class DbtDiffSerializer(serializers.Serializer):
    head_manifest = serializers.FileField(help_text="the changed state's manifest.json")
    head_catalog = serializers.FileField(required=False, help_text="the changed state's catalog.json")
    head_run_results = serializers.FileField(required=False, help_text="the changed state's run_results.json")
    base_manifest = serializers.FileField(required=False, help_text="the base manifest.json (default: what DAB stored)")
    base_catalog = serializers.FileField(required=False, help_text="the base catalog.json")
    source_system = serializers.CharField(
        required=False, max_length=100, help_text="the stored project to compare with"
    )
    format = serializers.ChoiceField(choices=FORMATS, default="json")
    evaluate = _FormBoolean(default=True, help_text="compute the PII and conformance deltas (default true)")

    def validate(self, attrs):
        if attrs.get("base_catalog") and not attrs.get("base_manifest"):
            raise serializers.ValidationError({"base_catalog": "needs base_manifest: the stored base has its own"})
        return attrs


class DbtDiffView(APIView):
    """What a change to a dbt project breaks: the report of ``dab diff dbt`` (JSON unless ``format`` says)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request=DbtDiffSerializer,
        responses={
            200: OpenApiResponse(description="the change report (JSON; Markdown, SARIF or JUnit when asked)"),
            400: OpenApiResponse(description="bad input, or nothing stored to compare with; the error says which"),
            413: OpenApiResponse(description="an artifact is larger than INGEST_MAX_UPLOAD_MB"),
        },
        tags=["ingestion"],
    )
    def post(self, request):
        too_large = _too_large(request)
        if too_large:
            return Response(error_body(413, too_large, request=request), status=413)
        serializer = DbtDiffSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def artifacts(prefix: str) -> ArtifactSet | None:
            if not data.get(f"{prefix}_manifest"):
                return None
            return ArtifactSet(
                manifest=_uploaded("manifest", data[f"{prefix}_manifest"]),
                catalog=_uploaded("catalog", data[f"{prefix}_catalog"]) if data.get(f"{prefix}_catalog") else None,
                run_results=_uploaded("run_results", data[f"{prefix}_run_results"])
                if data.get(f"{prefix}_run_results") else None,
            )  # fmt: skip

        try:
            report = diff_run(head=artifacts("head"), base=artifacts("base"), source_system=data.get("source_system"),
                              upload=True, evaluate=data["evaluate"], actor=triggered_by(request))  # fmt: skip
        except DiffError as exc:
            code = 413 if "limit" in str(exc) else 400
            return Response(error_body(code, str(exc), request=request), status=code)
        if data["format"] == "json":
            return Response(report.as_dict())
        return HttpResponse(render(report, fmt=data["format"]), content_type=CONTENT_TYPES[data["format"]])
