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
