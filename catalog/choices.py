"""Value sets of the catalog's fields."""

from django.db import models


class CapsuleType(models.TextChoices):
    MODEL = "model", "Model"
    SOURCE = "source", "Source"
    SEED = "seed", "Seed"
    SNAPSHOT = "snapshot", "Snapshot"
    EXPOSURE = "exposure", "Exposure"
    METRIC = "metric", "Metric"
    SEMANTIC_MODEL = "semantic_model", "Semantic model"
    SAVED_QUERY = "saved_query", "Saved query"
    ANALYSIS = "analysis", "Analysis"


class Layer(models.TextChoices):
    """Canonical architecture layers; medallion names (bronze, silver, gold) map onto them."""

    RAW = "raw", "Raw (bronze)"
    STAGING = "staging", "Staging (silver)"
    INTERMEDIATE = "intermediate", "Intermediate"
    MARTS = "marts", "Marts (gold)"
    CONSUMPTION = "consumption", "Consumption"


class OwnerType(models.TextChoices):
    TEAM = "team", "Team"
    PERSON = "person", "Person"
    GROUP = "group", "dbt group"


class PiiDecision(models.TextChoices):
    """A steward's verdict on a column's PII classification; it outlives re-detection."""

    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"


class LineageStatus(models.TextChoices):
    """How far column lineage could be derived for a capsule."""

    PARSED = "parsed", "Parsed"
    PARTIAL = "partial", "Partial"
    FAILED = "failed", "Failed"
    NO_SQL = "no_sql", "No compiled SQL"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class ColumnOrigin(models.TextChoices):
    """Where DAB learnt of a column. Inferred columns exist because SQL produces or reads them while neither the
    catalog nor the manifest lists them; they take part in lineage, impact and PII, never in documentation or test
    coverage (those judge what the project declares)."""

    CATALOG = "catalog", "warehouse catalog"
    MANIFEST = "manifest", "dbt manifest"
    SQL = "sql", "inferred from SQL"
    USAGE = "usage", "inferred from usage"


INFERRED_ORIGINS = (ColumnOrigin.SQL.value, ColumnOrigin.USAGE.value)
