"""Architecture rules, the violations an evaluation finds, their audit trail and the score of each evaluation."""

import uuid
from datetime import datetime

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone

from conformance.choices import (
    EvaluationTrigger,
    RuleScope,
    RuleStatus,
    Severity,
    ViolationStatus,
    WaiverSource,
)
from dab_project.models import TimeStampedModel, UUIDModel

__all__ = ["ProjectConfig", "Rule", "RuleCapsuleCount", "ScoreSnapshot", "Violation", "ViolationEvent"]


class Rule(TimeStampedModel):
    """One architecture rule, synced from YAML; stewards may disable or re-parametrise it in the admin.

    ``definition`` is the rule as its file says (``RuleSpec.to_dict()``); a sync overwrites it. What a
    steward decides lives beside it and a sync never touches it: ``enabled_by_steward`` (None follows the
    file) and ``parameters_override`` (check parameters laid over the file's). ``enabled`` is the result.
    A rule that leaves the files keeps its row and its violations' history, marked by ``removed_at``.
    """

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

    source = models.CharField(max_length=500, null=True, blank=True)  # the rule file it was synced from
    enabled_in_source = models.BooleanField(default=True, db_default=True)
    enabled_by_steward = models.BooleanField(null=True, blank=True)
    parameters_override = models.JSONField(default=dict, blank=True, db_default={})
    changed_by = models.CharField(max_length=255, null=True, blank=True)  # who last overrode it
    synced_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    # The latest evaluation that included the rule: the rules page's pass rate without reading snapshots.
    last_evaluated_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=20, choices=RuleStatus.choices, null=True, blank=True)
    last_reason = models.TextField(null=True, blank=True)
    last_applicable = models.IntegerField(null=True, blank=True)
    last_failing = models.IntegerField(null=True, blank=True)
    last_findings = models.IntegerField(null=True, blank=True)
    last_waived = models.IntegerField(null=True, blank=True)
    pass_rate = models.FloatField(null=True, blank=True)

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

    def get_absolute_url(self) -> str:
        return reverse("conformance:rule_detail", kwargs={"rule_id": self.rule_id})

    @property
    def check_type(self) -> str:
        return (self.definition or {}).get("check", {}).get("type", "")

    @property
    def is_overridden(self) -> bool:
        return self.enabled_by_steward is not None or bool(self.parameters_override)


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
    # When an evaluation last found it, as of the row's last write; see ``seen_at`` for the current value.
    last_seen_at = models.DateTimeField(default=timezone.now, db_default=Now())
    # Since when the rule has found it in every evaluation: reset when it comes back after being fixed,
    # kept through a steward's status changes. "New since an evaluation" compares against it.
    failing_since = models.DateTimeField(default=timezone.now, db_default=Now())
    digest = models.CharField(max_length=32, default="", blank=True, db_default="")  # of severity, message, details
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=255, null=True, blank=True)
    waiver_source = models.CharField(max_length=20, choices=WaiverSource.choices, null=True, blank=True)
    waiver_reason = models.TextField(null=True, blank=True)
    waiver_expires = models.DateField(null=True, blank=True)  # the waiver holds through this whole day
    waived_by = models.CharField(max_length=255, null=True, blank=True)
    waived_at = models.DateTimeField(null=True, blank=True)

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
            models.Index(fields=["failing_since"], name="idx_violations_failing_since"),  # new in an evaluation
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="%(app_label)s_%(class)s_severity_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ViolationStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            # A waiver without a reason is not a decision anyone can audit.
            models.CheckConstraint(
                condition=~Q(status=ViolationStatus.WAIVED) | (Q(waiver_reason__isnull=False) & ~Q(waiver_reason="")),
                name="%(app_label)s_%(class)s_waived_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=ViolationStatus.RESOLVED) | Q(resolved_at__isnull=False),
                name="%(app_label)s_%(class)s_resolved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.message[:60]}"

    def get_absolute_url(self) -> str:
        return reverse("conformance:violation_detail", kwargs={"pk": self.pk})

    @property
    def is_active(self) -> bool:
        return self.status != ViolationStatus.RESOLVED

    @property
    def object_label(self) -> str:
        """How people name its object: ``capsule`` (``source.table``, ``model.v2``), ``capsule.column``,
        or ``project``. Reads ``capsule`` and ``column`` (select them with the violation)."""
        if self.capsule_id is None:
            return "project"
        capsule = self.capsule
        source_name = (capsule.attributes or {}).get("source_name") if capsule.capsule_type == "source" else None
        if source_name:
            name = f"{source_name}.{capsule.name}"
        elif capsule.version:
            name = f"{capsule.name}.v{capsule.version}"
        else:
            name = capsule.name
        return f"{name}.{self.column.name}" if self.column_id is not None else name

    @property
    def seen_at(self) -> datetime:
        """When an evaluation last found it. An active violation was found by its rule's latest evaluation
        (unchanged rows are not rewritten each run); a resolved one keeps the time it was last found.
        Reads ``rule`` (select it with the violation)."""
        if self.status == ViolationStatus.RESOLVED:
            return self.last_seen_at
        evaluated = self.rule.last_evaluated_at
        return max(self.last_seen_at, evaluated) if evaluated is not None else self.last_seen_at


class ScoreSnapshot(UUIDModel):
    """One stored evaluation: its scores with every breakdown, what changed since the one before, timings.

    ``rule_set`` is None when every enabled rule ran (the trend follows those); ``report`` is
    ``ScoreReport.to_dict()``; ``offenders`` the capsules to fix first (severity, then downstream impact).
    """

    evaluated_at = models.DateTimeField(default=timezone.now, db_default=Now())
    ingestion = models.ForeignKey(
        "ingestion.IngestionJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="score_snapshots",
        db_index=False,
    )
    trigger = models.CharField(max_length=20, choices=EvaluationTrigger.choices)
    triggered_by = models.CharField(max_length=255, null=True, blank=True)
    rule_set = models.CharField(max_length=50, null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    weighted_score = models.FloatField(null=True, blank=True)
    capsules = models.IntegerField(default=0, db_default=0)
    columns = models.IntegerField(default=0, db_default=0)
    rules_evaluated = models.IntegerField(default=0, db_default=0)
    rules_skipped = models.IntegerField(default=0, db_default=0)
    rules_errored = models.IntegerField(default=0, db_default=0)
    rules_disabled = models.IntegerField(default=0, db_default=0)
    findings = models.IntegerField(default=0, db_default=0)  # active (unwaived) findings
    waived = models.IntegerField(default=0, db_default=0)
    by_severity = models.JSONField(default=dict, blank=True, db_default={})
    new_count = models.IntegerField(default=0, db_default=0)  # first found, or found again after a fix
    fixed_count = models.IntegerField(default=0, db_default=0)  # no longer found: resolved by DAB
    report = models.JSONField(default=dict, blank=True, db_default={})
    offenders = models.JSONField(default=list, blank=True, db_default=[])
    timings = models.JSONField(default=dict, blank=True, db_default={})
    # conformance_settings_fingerprint() when it was taken (full runs of the stored rules): an evaluation after a
    # change may build on this one only while the rules, waivers and project settings are still those
    settings_fingerprint = models.CharField(max_length=40, null=True, blank=True)
    # What the graph held when it was evaluated (``conformance.services.graph_state``: the time its evaluation read
    # it and each input table's row count): `dab conformance check` finds what changed since from these
    graph_state = models.JSONField(default=dict, blank=True, db_default={})

    class Meta:
        db_table = "score_snapshots"
        ordering = ["-evaluated_at"]
        verbose_name = "score snapshot"
        indexes = [
            models.Index(fields=["-evaluated_at"], name="idx_score_snapshots_at"),  # latest, history
            models.Index(fields=["rule_set", "-evaluated_at"], name="idx_score_snapshots_set"),  # trend of full runs
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(trigger__in=EvaluationTrigger.values), name="%(app_label)s_%(class)s_trigger_valid"
            ),
        ]

    def __str__(self) -> str:
        score = "—" if self.score is None else f"{self.score:.1f}"
        return f"{self.evaluated_at:%Y-%m-%d %H:%M} {self.rule_set or 'all rules'}: {score}"

    def get_absolute_url(self) -> str:
        return reverse("conformance:snapshot_detail", kwargs={"pk": self.pk})

    @property
    def is_full(self) -> bool:
        return self.rule_set is None


class ViolationEvent(models.Model):
    """One change of a violation's status, by whom and why: the audit trail of triage and waivers.

    Stewards' actions, waivers from rule files and the evaluation's own changes (resolved when no longer
    found, reopened when found again or when a waiver expires) all leave one row. The trail outlives its
    violation (ingestion deletes a vanished capsule's violations in bulk): no database constraint ties it,
    and ``fingerprint`` still names the problem, which keeps its fingerprint if it ever comes back.
    """

    violation = models.ForeignKey(
        Violation, on_delete=models.DO_NOTHING, db_constraint=False, related_name="events", db_index=False
    )
    fingerprint = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now, db_default=Now())
    actor = models.CharField(max_length=255)  # a user name, "dab" (the evaluation), "api-key", a rule file's signer
    from_status = models.CharField(max_length=20, choices=ViolationStatus.choices, null=True, blank=True)
    to_status = models.CharField(max_length=20, choices=ViolationStatus.choices)
    reason = models.TextField(null=True, blank=True)
    expires = models.DateField(null=True, blank=True)  # a waiver's expiry
    evaluation = models.ForeignKey(
        ScoreSnapshot, on_delete=models.SET_NULL, null=True, blank=True, related_name="events", db_index=False
    )

    class Meta:
        db_table = "violation_events"
        ordering = ["-at", "-id"]
        verbose_name = "violation event"
        indexes = [
            models.Index(fields=["violation", "-at"], name="idx_violation_events_violation"),  # a violation's trail
            models.Index(fields=["evaluation", "to_status"], name="idx_violation_events_eval"),  # fixed in a run
            models.Index(fields=["-at", "-id"], name="idx_violation_events_at"),  # the audit log, newest first
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_status__in=ViolationStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor}: {self.from_status or '—'} → {self.to_status}"


class RuleCapsuleCount(models.Model):
    """What one rule counted on one capsule at its latest evaluation: the columns a column rule judged there, or,
    for a project-level measure over columns (``coverage`` of documented or tested columns), the capsule's columns
    it counted (``applicable``) and those it found covered (``counted``).

    An evaluation after a change loads the columns of the capsules its rules judge again only; these rows stand
    for every other capsule's, in the scores and in project-level measures. The row whose ``capsule_id`` is
    ``EVERY_CAPSULE`` marks a rule whose rows cover every capsule (an evaluation that loaded every column wrote
    them); a rule without it makes the next evaluation load every column. Derived data, rewritten by evaluations
    only: no foreign key to the capsule (ingestion deletes capsules in bulk, and a removed capsule makes the next
    evaluation a full one, which rewrites the rows).
    """

    EVERY_CAPSULE = uuid.UUID(int=0)

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="capsule_counts", db_index=False)
    capsule_id = models.UUIDField()
    applicable = models.PositiveIntegerField()
    counted = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "conformance_rule_capsule_counts"
        ordering = ["rule", "capsule_id"]
        verbose_name = "rule count per capsule"
        constraints = [
            # also the index of the evaluation's reads (a rule's rows, or some capsules' rows of a rule)
            models.UniqueConstraint(fields=["rule", "capsule_id"], name="%(app_label)s_%(class)s_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} on {self.capsule_id}: {self.counted}/{self.applicable}"


class ProjectConfig(TimeStampedModel):
    """What one dbt project (a source system) asks of conformance: its excludes and its evaluator set-up.

    The native knobs (``exclude_packages``, ``exclude_paths`` globs, ``exclude_names`` globs) are set in the
    admin or a project YAML; ``evaluator_vars`` are the dbt-project-evaluator variables read from the project's
    ``dbt_project.yml`` (validated, Jinja rendered), ``evaluator_not_understood`` the ones that could not be
    rendered, ``evaluator_exceptions`` the rows of its exceptions seed. ``conformance.selectors.project_scope``
    turns every row into the engine's settings; ``conformance_settings_fingerprint`` changes with any of them.
    """

    source_system = models.OneToOneField(
        "catalog.SourceSystem", on_delete=models.CASCADE, related_name="conformance_config"
    )
    exclude_packages = models.JSONField(default=list, blank=True, db_default=[])
    exclude_paths = models.JSONField(default=list, blank=True, db_default=[])
    exclude_names = models.JSONField(default=list, blank=True, db_default=[])
    evaluator_vars = models.JSONField(default=dict, blank=True, db_default={})
    evaluator_not_understood = models.JSONField(default=list, blank=True, db_default=[])
    evaluator_exceptions = models.JSONField(default=list, blank=True, db_default=[])
    evaluator_source = models.CharField(max_length=500, null=True, blank=True)  # the files they came from
    changed_by = models.CharField(max_length=255, null=True, blank=True)

    class Meta:
        db_table = "conformance_project_configs"
        ordering = ["source_system"]  # served by the unique index on source_system
        verbose_name = "project conformance settings"
        verbose_name_plural = "project conformance settings"

    def __str__(self) -> str:
        return f"conformance settings of {self.source_system}"
