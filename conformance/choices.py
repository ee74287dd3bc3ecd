"""Value sets of the conformance app."""

from django.db import models


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    ERROR = "error", "Error"
    WARNING = "warning", "Warning"
    INFO = "info", "Info"


class RuleScope(models.TextChoices):
    CAPSULE = "capsule", "Capsule"
    COLUMN = "column", "Column"
    GRAPH = "graph", "Lineage / graph"


class ViolationStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    WAIVED = "waived", "Waived"


# Statuses a violation can be in while its rule still finds the problem.
ACTIVE_STATUSES = (ViolationStatus.OPEN, ViolationStatus.ACKNOWLEDGED, ViolationStatus.WAIVED)


class WaiverSource(models.TextChoices):
    RULE_FILE = "rule_file", "Rule file"
    STEWARD = "steward", "Steward"
    PROJECT = "project", "Project settings"  # a dbt-project-evaluator exception of the project


class EvaluationTrigger(models.TextChoices):
    INGESTION = "ingestion", "After ingestion"
    CLI = "cli", "Command line"
    API = "api", "API"
    UI = "ui", "Web page"
    SCHEDULED = "scheduled", "Scheduled"


class RuleStatus(models.TextChoices):
    """How a rule fared in its latest evaluation (conformance.engine.RuleResult.status)."""

    EVALUATED = "evaluated", "Evaluated"
    SKIPPED = "skipped", "Skipped"
    ERROR = "error", "Error"
    DISABLED = "disabled", "Disabled"


class TriageAction(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", "Acknowledge"
    RESOLVE = "resolve", "Resolve"
    WAIVE = "waive", "Waive"
    REOPEN = "reopen", "Reopen"
