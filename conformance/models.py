"""Architecture rules and the violations an evaluation finds."""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

from conformance.choices import RuleScope, Severity, ViolationStatus
from dab_project.models import TimeStampedModel, UUIDModel

__all__ = ["Rule", "Violation"]


class Rule(TimeStampedModel):
    """One architecture rule, synced from YAML; stewards may disable or re-parametrise it in the admin."""

    rule_id = models.CharField(max_length=50, unique=True)
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    severity = models.CharField(max_length=20, choices=Severity.choices, default=Severity.WARNING, db_default="warning")
    category = models.CharField(max_length=50)
    rule_set = models.CharField(max_length=50, null=True, blank=True)
    scope = models.CharField(max_length=50, choices=RuleScope.choices)
    definition = models.JSONField()
    enabled = models.BooleanField(default=True, db_default=True)
    meta = models.JSONField(default=dict, blank=True, db_default={})
    rationale = models.TextField(null=True, blank=True)
    remediation = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "rules"
        ordering = ["rule_id"]
        verbose_name = "rule"
        indexes = [
            models.Index(fields=["rule_set", "rule_id"], name="idx_rules_rule_set"),  # rules page per set
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="%(app_label)s_%(class)s_severity_valid"
            ),
            models.CheckConstraint(condition=Q(scope__in=RuleScope.values), name="%(app_label)s_%(class)s_scope_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.name}"


class Violation(UUIDModel):
    """A rule failing on one capsule or column; it keeps its identity while the same problem persists."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="violations", db_index=False)
    capsule = models.ForeignKey(
        "catalog.Capsule", on_delete=models.CASCADE, null=True, blank=True, related_name="violations", db_index=False
    )
    column = models.ForeignKey(
        "catalog.Column", on_delete=models.CASCADE, null=True, blank=True, related_name="violations"
    )
    severity = models.CharField(max_length=20, choices=Severity.choices)
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True, db_default={})
    status = models.CharField(
        max_length=20, choices=ViolationStatus.choices, default=ViolationStatus.OPEN, db_default="open"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=255, null=True, blank=True)
    detected_at = models.DateTimeField(default=timezone.now, db_default=Now())
    ingestion = models.ForeignKey(
        "ingestion.IngestionJob", on_delete=models.PROTECT, null=True, blank=True, related_name="violations"
    )
    # Stable identity of "this problem on this object" across evaluations (rule + object + detail key).
    fingerprint = models.CharField(max_length=64, unique=True)
    last_seen_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        db_table = "violations"
        ordering = ["-detected_at", "id"]
        verbose_name = "violation"
        indexes = [
            models.Index(fields=["capsule"], name="idx_violations_capsule"),  # capsule page's violations
            models.Index(fields=["rule"], name="idx_violations_rule"),  # rule pass rates
            models.Index(fields=["severity"], name="idx_violations_severity"),  # ?severity=
            models.Index(fields=["status", "severity"], name="idx_violations_status"),  # open violations list
            models.Index(fields=["-detected_at", "id"], name="idx_violations_detected"),  # default ordering
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="%(app_label)s_%(class)s_severity_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ViolationStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.message[:60]}"
