"""Conformance over HTTP: score with breakdowns and trend, violations and their triage, rules, evaluations."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.selectors import capsule_get
from conformance import selectors
from conformance.api.serializers import (
    BulkTriageSerializer,
    EvaluateSerializer,
    RuleSerializer,
    ScoreSnapshotDetailSerializer,
    ScoreSnapshotSerializer,
    TriageResultSerializer,
    TriageSerializer,
    ViolationDetailSerializer,
    ViolationSerializer,
)
from conformance.choices import EvaluationTrigger, TriageAction
from conformance.filters import RuleFilterSet, ViolationFilterSet
from conformance.models import Violation
from conformance.services import TriageError, conformance_evaluate, violation_triage, violations_triage
from dab_project.api import error_body
from dab_project.parsers import JSONParser

RULE_ID_REGEX = r"[A-Za-z][A-Za-z0-9_.\-]*"


def actor_of(request) -> str:
    """Who acts, for the audit trail: the signed-in user's name, or "api-key" for a service."""
    user = request.user
    return user.get_username() if getattr(user, "pk", None) is not None else "api-key"


class IsStewardOrService(permissions.BasePermission):
    """Reading needs a login or the API key; changing violations or evaluating needs staff or the API key."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(user.is_staff or getattr(user, "pk", None) is None)


class RuleViewSet(viewsets.ReadOnlyModelViewSet):
    """Rules with their rationale, remediation, the parameters in force and their latest pass rate."""

    serializer_class = RuleSerializer
    filterset_class = RuleFilterSet
    lookup_field = "rule_id"
    lookup_value_regex = RULE_ID_REGEX
    ordering_fields = ("rule_id", "rule_set", "severity", "pass_rate", "last_findings")

    def get_queryset(self):
        return selectors.rule_list()


class ViolationViewSet(viewsets.ReadOnlyModelViewSet):
    """Violations, worst first; filter by severity, rule, rule set, status, layer, domain, owner, capsule.

    Stewards (and services with the API key) acknowledge, resolve, waive (reason, optional expiry) or reopen
    them, one by one or in bulk; every change is kept in the violation's audit trail (``events``).
    """

    filterset_class = ViolationFilterSet
    permission_classes = (IsStewardOrService,)
    ordering_fields = ("detected_at", "failing_since", "severity")

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.violation_list().prefetch_related("events")
        return selectors.violation_list()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ViolationDetailSerializer
        if self.action == "triage":
            return BulkTriageSerializer
        if self.action in TriageAction.values:
            return TriageSerializer
        return ViolationSerializer

    def _change(self, request, pk, action_name: str):
        violation = self.get_object()
        serializer = TriageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            violation_triage(
                violation=violation,
                action=action_name,
                actor=actor_of(request),
                reason=serializer.validated_data.get("reason"),
                expires=serializer.validated_data.get("expires"),
            )
        except TriageError as exc:
            return Response(error_body(409, str(exc), request=request), status=status.HTTP_409_CONFLICT)
        return Response(ViolationDetailSerializer(selectors.violation_detail(pk=violation.pk)).data)

    @extend_schema(request=TriageSerializer, responses={200: ViolationDetailSerializer, 409: OpenApiResponse()})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Mark an open violation as seen; it still counts against the score."""
        return self._change(request, pk, TriageAction.ACKNOWLEDGE)

    @extend_schema(request=TriageSerializer, responses={200: ViolationDetailSerializer, 409: OpenApiResponse()})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Mark it fixed; the next evaluation reopens it if the rule still finds the problem."""
        return self._change(request, pk, TriageAction.RESOLVE)

    @extend_schema(request=TriageSerializer, responses={200: ViolationDetailSerializer, 409: OpenApiResponse()})
    @action(detail=True, methods=["post"])
    def waive(self, request, pk=None):
        """Accept it with a reason (required) until an optional expiry; it stops counting from the next
        evaluation and comes back when the waiver expires."""
        return self._change(request, pk, TriageAction.WAIVE)

    @extend_schema(request=TriageSerializer, responses={200: ViolationDetailSerializer, 409: OpenApiResponse()})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Undo an acknowledgement, a resolve or a steward's waiver."""
        return self._change(request, pk, TriageAction.REOPEN)

    @extend_schema(request=BulkTriageSerializer, responses={200: TriageResultSerializer})
    @action(detail=False, methods=["post"], parser_classes=[JSONParser])
    def triage(self, request):
        """One action on up to 1,000 violations; those it does not apply to are listed with the reason. The body
        is JSON (a list of ids has no faithful form encoding; an empty form value would read as null)."""
        serializer = BulkTriageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            result = violations_triage(
                violations=Violation.objects.filter(pk__in=data["ids"]).only("pk"),
                action=data["action"],
                actor=actor_of(request),
                reason=data.get("reason"),
                expires=data.get("expires"),
            )
        except TriageError as exc:
            return Response(error_body(400, str(exc), request=request), status=status.HTTP_400_BAD_REQUEST)
        found = {str(v) for v in data["ids"]} - set(result.to_dict()["changed"]) - set(result.skipped)
        skipped = {**result.skipped, **dict.fromkeys(found, "no such violation")}
        return Response({"changed": [str(v.pk) for v in result.changed], "skipped": skipped})


class CapsuleViolationsView(ListAPIView):
    """The violations on one capsule and its columns; the violation filters apply (all statuses by default)."""

    serializer_class = ViolationSerializer
    filterset_class = ViolationFilterSet

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no URN
            return Violation.objects.none()
        try:
            capsule = capsule_get(urn=self.kwargs["urn"])
        except ObjectDoesNotExist:
            raise Http404(f"No capsule {self.kwargs['urn']}.") from None
        return selectors.capsule_violations(capsule=capsule, include_resolved=True)


class ScoreSnapshotViewSet(viewsets.ReadOnlyModelViewSet):
    """Stored evaluations, newest first; one of them with its full report (every breakdown, per rule) and
    the capsules to fix first."""

    ordering_fields = ("evaluated_at", "score")

    def get_queryset(self):
        queryset = selectors.snapshot_list()
        return queryset if self.action == "retrieve" else queryset.defer("report", "offenders")

    def get_serializer_class(self):
        return ScoreSnapshotDetailSerializer if self.action == "retrieve" else ScoreSnapshotSerializer


class ScoreQuerySerializer(serializers.Serializer):
    trend = serializers.IntegerField(
        min_value=1, max_value=500, default=30, help_text="how many evaluations the trend lists (default 30)"
    )


class ScoreView(APIView):
    """The latest conformance score of every rule: overall and severity-weighted, breakdowns per rule set,
    category, layer, domain and owner, what changed since the evaluation before, the capsules to fix first
    and the trend of the last evaluations."""

    @extend_schema(
        parameters=[ScoreQuerySerializer],
        responses={
            200: inline_serializer(
                "ConformanceScore",
                {
                    "evaluated_at": serializers.DateTimeField(),
                    "score": serializers.FloatField(),
                    "weighted_score": serializers.FloatField(),
                },
            ),
            404: OpenApiResponse(description="no evaluation stored yet"),
        },
        tags=["conformance"],
    )
    def get(self, request):
        query = ScoreQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit = query.validated_data["trend"]
        snapshot = selectors.snapshot_latest()
        if snapshot is None:
            message = "No evaluation yet: ingest a project or run `dab conformance check`."
            return Response(error_body(404, message, request=request), status=status.HTTP_404_NOT_FOUND)
        report = snapshot.report or {}
        previous = selectors.snapshot_list(full_only=True).filter(evaluated_at__lt=snapshot.evaluated_at).first()
        body = {
            **ScoreSnapshotSerializer(snapshot).data,
            "overall": report.get("overall"),
            "weights": report.get("weights"),
            "critical_cap": report.get("critical_cap"),
            **{key: report.get(key, {}) for key in ("by_rule_set", "by_category", "by_layer", "by_domain", "by_owner")},
            "since_previous": {
                "previous": str(previous.pk) if previous else None,
                "previous_score": previous.score if previous else None,
                "new": snapshot.new_count,
                "fixed": snapshot.fixed_count,
            },
            "offenders": snapshot.offenders,
            "trend": [
                {
                    "evaluated_at": point.evaluated_at,
                    "score": point.score,
                    "weighted_score": point.weighted_score,
                    "findings": point.findings,
                    "new": point.new,
                    "fixed": point.fixed,
                    "trigger": point.trigger,
                }
                for point in selectors.snapshot_trend(limit=limit)
            ],
        }
        return Response(body)


class EvaluateView(APIView):
    """Evaluate the rules now (all, or one ``rule_set``) and store the outcome; answers with the evaluation.

    Takes as long as an evaluation (seconds for a large project); stewards and the API key only."""

    permission_classes = (IsStewardOrService,)
    parser_classes = (JSONParser,)  # a JSON body or none: a form or multipart body would read as "no rule set"

    @extend_schema(request=EvaluateSerializer, responses={201: ScoreSnapshotSerializer}, tags=["conformance"])
    def post(self, request):
        serializer = EvaluateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule_set = serializer.validated_data.get("rule_set") or None
        try:
            run = conformance_evaluate(
                rule_set=rule_set, trigger=EvaluationTrigger.API, triggered_by=f"api:{actor_of(request)}"
            )
        except ValueError as exc:
            return Response(error_body(400, str(exc), request=request), status=status.HTTP_400_BAD_REQUEST)
        body = {**ScoreSnapshotSerializer(run.snapshot).data, "stats": run.stats()}
        return Response(body, status=status.HTTP_201_CREATED)
