"""Conformance API shapes: rules with their pass rate, violations with their audit trail, scores, triage input."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers
from rest_framework.utils import html

from conformance.choices import TriageAction
from conformance.models import Rule, ScoreSnapshot, Violation, ViolationEvent

MAX_BULK = 1000  # violations per bulk triage request


class ViolationRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rule
        fields = ("rule_id", "name", "rule_set", "category")


class RuleSerializer(serializers.ModelSerializer):
    """A rule as the engine runs it, what the steward changed, and how it fared in its latest evaluation."""

    check_type = serializers.CharField(read_only=True)
    check = serializers.SerializerMethodField()
    filter = serializers.SerializerMethodField()
    waivers = serializers.SerializerMethodField()
    applicable = serializers.IntegerField(source="last_applicable", read_only=True, allow_null=True)
    failing = serializers.IntegerField(source="last_failing", read_only=True, allow_null=True)
    findings = serializers.IntegerField(source="last_findings", read_only=True, allow_null=True)
    waived = serializers.IntegerField(source="last_waived", read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Rule
        fields = (
            "rule_id",
            "name",
            "description",
            "rationale",
            "remediation",
            "severity",
            "category",
            "rule_set",
            "scope",
            "check_type",
            "check",
            "filter",
            "waivers",
            "enabled",
            "enabled_in_source",
            "enabled_by_steward",
            "parameters_override",
            "changed_by",
            "source",
            "removed_at",
            "last_evaluated_at",
            "last_status",
            "last_reason",
            "applicable",
            "failing",
            "findings",
            "waived",
            "pass_rate",
            "url",
        )

    def get_check(self, rule: Rule) -> dict:
        """The check's parameters in force: the file's with the steward's over them."""
        return {**(rule.definition or {}).get("check", {}), **(rule.parameters_override or {})}

    def get_filter(self, rule: Rule) -> dict:
        return (rule.definition or {}).get("filter", {})

    def get_waivers(self, rule: Rule) -> list:
        return (rule.definition or {}).get("waivers", [])

    def get_url(self, rule: Rule) -> str:
        return rule.get_absolute_url()


class ViolationCapsuleSerializer(serializers.Serializer):
    urn = serializers.CharField()
    name = serializers.CharField()
    capsule_type = serializers.CharField()
    layer = serializers.CharField(allow_null=True)
    domain = serializers.CharField(source="domain.name", allow_null=True, default=None)
    owner = serializers.CharField(source="owner.name", allow_null=True, default=None)
    url = serializers.CharField(source="get_absolute_url")


class ViolationColumnSerializer(serializers.Serializer):
    urn = serializers.CharField()
    name = serializers.CharField()


class WaiverSerializer(serializers.Serializer):
    source = serializers.CharField(source="waiver_source")
    reason = serializers.CharField(source="waiver_reason")
    expires = serializers.DateField(source="waiver_expires", allow_null=True)
    by = serializers.CharField(source="waived_by", allow_null=True)
    at = serializers.DateTimeField(source="waived_at", allow_null=True)


class ViolationEventSerializer(serializers.ModelSerializer):
    evaluation = serializers.UUIDField(source="evaluation_id", allow_null=True, read_only=True)

    class Meta:
        model = ViolationEvent
        fields = ("at", "actor", "from_status", "to_status", "reason", "expires", "evaluation")


class ViolationSerializer(serializers.ModelSerializer):
    """One violation; ``last_seen_at`` is when an evaluation last found it (see Violation.seen_at)."""

    rule = ViolationRuleSerializer(read_only=True)
    capsule = ViolationCapsuleSerializer(read_only=True, allow_null=True)
    column = ViolationColumnSerializer(read_only=True, allow_null=True)
    last_seen_at = serializers.DateTimeField(source="seen_at", read_only=True)
    waiver = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Violation
        fields = (
            "id",
            "rule",
            "severity",
            "status",
            "message",
            "details",
            "capsule",
            "column",
            "fingerprint",
            "detected_at",
            "failing_since",
            "last_seen_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "waiver",
            "url",
        )

    def get_waiver(self, violation: Violation) -> dict | None:
        if violation.waiver_source is None:
            return None
        return WaiverSerializer(violation).data

    def get_url(self, violation: Violation) -> str:
        return violation.get_absolute_url()


class ViolationDetailSerializer(ViolationSerializer):
    """A violation with its rule's rationale and remediation and its audit trail."""

    rationale = serializers.CharField(source="rule.rationale", read_only=True)
    remediation = serializers.CharField(source="rule.remediation", read_only=True)
    events = ViolationEventSerializer(many=True, read_only=True)

    class Meta(ViolationSerializer.Meta):
        fields = (*ViolationSerializer.Meta.fields, "rationale", "remediation", "events")


class _DateOrNull(serializers.DateField):
    """A date, or null in JSON. DRF reads an empty form value as null; here it is what it looks like, not a
    date (400), so a form and the schema agree: leave the field out for "no expiry"."""

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)


class TriageSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    expires = _DateOrNull(required=False, allow_null=True, help_text="waive only: the last day it holds")


class BulkTriageSerializer(TriageSerializer):
    ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=MAX_BULK)
    action = serializers.ChoiceField(choices=TriageAction.choices)


class TriageResultSerializer(serializers.Serializer):
    changed = serializers.ListField(child=serializers.UUIDField())
    skipped = serializers.DictField(child=serializers.CharField(), help_text="violation id -> why it was left alone")


class EvaluateSerializer(serializers.Serializer):
    rule_set = serializers.CharField(required=False, allow_blank=True, max_length=50)


class ScoreSnapshotSerializer(serializers.ModelSerializer):
    """One stored evaluation (without its full report)."""

    url = serializers.SerializerMethodField()

    class Meta:
        model = ScoreSnapshot
        fields = (
            "id",
            "evaluated_at",
            "trigger",
            "triggered_by",
            "ingestion",
            "rule_set",
            "score",
            "weighted_score",
            "capsules",
            "columns",
            "rules_evaluated",
            "rules_skipped",
            "rules_errored",
            "rules_disabled",
            "findings",
            "waived",
            "by_severity",
            "new_count",
            "fixed_count",
            "timings",
            "url",
        )

    def get_url(self, snapshot: ScoreSnapshot) -> str:
        return f"{settings.API_PREFIX}/conformance/evaluations/{snapshot.pk}"


class ScoreSnapshotDetailSerializer(ScoreSnapshotSerializer):
    class Meta(ScoreSnapshotSerializer.Meta):
        fields = (*ScoreSnapshotSerializer.Meta.fields, "report", "offenders")
