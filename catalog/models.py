"""The catalog: where data comes from, who owns it, and the capsules and columns themselves.

Tables follow the seed schema (`source_systems`, `owners`, `domains`, `capsules`, `columns`); the extra
columns hold what the seed's design needs but never stored (dbt identity, tests, PII evidence, steward
decisions, column-lineage status).
"""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Now
from django.urls import reverse
from django.utils import timezone

from catalog.choices import INFERRED_ORIGINS, ColumnOrigin, LineageStatus, OwnerType, PiiDecision
from dab_project.models import TimeStampedModel

__all__ = ["Capsule", "Column", "Domain", "Owner", "SourceSystem"]


class SourceSystem(TimeStampedModel):
    """A system DAB reads metadata from; for dbt, one dbt project (its adapter in ``meta``)."""

    name = models.CharField(max_length=100, unique=True)
    source_type = models.CharField(max_length=50)
    description = models.TextField(null=True, blank=True)
    connection_info = models.JSONField(default=dict, blank=True, db_default={})
    meta = models.JSONField(default=dict, blank=True, db_default={})

    class Meta:
        db_table = "source_systems"
        ordering = ["name"]  # served by the unique index on name
        verbose_name = "source system"

    def __str__(self) -> str:
        return self.name


class Owner(TimeStampedModel):
    """A team or person accountable for data assets, read from dbt meta/groups or entered by a steward."""

    name = models.CharField(max_length=255)
    owner_type = models.CharField(max_length=50, choices=OwnerType.choices, default=OwnerType.TEAM, db_default="team")
    email = models.CharField(max_length=255, null=True, blank=True)
    slack_channel = models.CharField(max_length=100, null=True, blank=True)
    meta = models.JSONField(default=dict, blank=True, db_default={})

    class Meta:
        db_table = "owners"
        ordering = ["name"]
        verbose_name = "owner"
        constraints = [
            # Ingestion upserts owners by name; two rows with one name would split their capsules.
            models.UniqueConstraint(Lower("name"), name="%(app_label)s_%(class)s_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:owner_detail", kwargs={"pk": self.pk})


class Domain(TimeStampedModel):
    """A business domain (sales, finance, ...) that groups capsules; domains nest through ``parent``."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(null=True, blank=True)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    owner = models.ForeignKey(Owner, on_delete=models.PROTECT, null=True, blank=True, related_name="domains")
    meta = models.JSONField(default=dict, blank=True, db_default={})

    class Meta:
        db_table = "domains"
        ordering = ["name"]
        verbose_name = "domain"
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="%(app_label)s_%(class)s_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:domain_detail", kwargs={"name": self.name})


class Capsule(TimeStampedModel):
    """One data asset: a dbt model, source table, seed, snapshot, exposure, metric or semantic model."""

    urn = models.CharField(max_length=500, unique=True)
    name = models.CharField(max_length=255)
    capsule_type = models.CharField(max_length=50)
    source_system = models.ForeignKey(
        SourceSystem, on_delete=models.PROTECT, null=True, blank=True, related_name="capsules", db_index=False
    )
    database_name = models.CharField(max_length=255, null=True, blank=True)
    schema_name = models.CharField(max_length=255, null=True, blank=True)
    domain = models.ForeignKey(
        Domain, on_delete=models.PROTECT, null=True, blank=True, related_name="capsules", db_index=False
    )
    owner = models.ForeignKey(Owner, on_delete=models.PROTECT, null=True, blank=True, related_name="capsules")
    layer = models.CharField(max_length=50, null=True, blank=True)
    materialization = models.CharField(max_length=50, null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    meta = models.JSONField(default=dict, blank=True, db_default={})
    tags = models.JSONField(default=list, blank=True, db_default=[])
    has_tests = models.BooleanField(default=False, db_default=False)
    test_count = models.IntegerField(default=0, db_default=0)
    doc_coverage = models.FloatField(default=0.0, db_default=0.0)
    ingestion = models.ForeignKey(
        "ingestion.IngestionJob", on_delete=models.PROTECT, null=True, blank=True, related_name="capsules"
    )

    # dbt identity and facts beyond the seed's columns.
    unique_id = models.CharField(max_length=500, null=True, blank=True)
    relation_name = models.CharField(max_length=255, null=True, blank=True)
    package_name = models.CharField(max_length=255, null=True, blank=True)
    original_file_path = models.TextField(null=True, blank=True)
    access = models.CharField(max_length=20, null=True, blank=True)
    group_name = models.CharField(max_length=255, null=True, blank=True)
    contract_enforced = models.BooleanField(default=False, db_default=False)
    version = models.CharField(max_length=50, null=True, blank=True)
    checksum = models.CharField(max_length=128, null=True, blank=True)
    compiled_sql = models.TextField(null=True, blank=True)
    raw_sql = models.TextField(null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True, db_default={})  # type-specific dbt facts
    tests = models.JSONField(default=list, blank=True, db_default=[])  # tests attached to this capsule
    # Column lineage honesty: how far it could be derived from the compiled SQL, and why not.
    lineage_status = models.CharField(max_length=20, choices=LineageStatus.choices, null=True, blank=True)
    lineage_error = models.TextField(null=True, blank=True)
    # Hashes of every ingested field (the capsule's own, and all its columns' together), so an unchanged
    # re-ingest skips a capsule and its columns without reading or comparing them.
    content_hash = models.CharField(max_length=64, null=True, blank=True)
    columns_hash = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        db_table = "capsules"
        ordering = ["name", "urn"]
        verbose_name = "capsule"
        indexes = [
            models.Index(fields=["layer"], name="idx_capsules_layer"),  # browse/filter by layer
            models.Index(fields=["capsule_type"], name="idx_capsules_type"),  # browse/filter by type
            models.Index(fields=["domain"], name="idx_capsules_domain"),  # domain pages
            models.Index(fields=["name", "urn"], name="idx_capsules_name"),  # default ordering of every list
            models.Index(fields=["source_system", "urn"], name="idx_capsules_source"),  # loader's diff per project
            # The GIN index on tags is PostgreSQL-only; see migration 0002.
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(doc_coverage__gte=0.0) & Q(doc_coverage__lte=1.0),
                name="%(app_label)s_%(class)s_doc_coverage_range",
            ),
            models.CheckConstraint(
                condition=(Q(has_tests=True) & Q(test_count__gt=0)) | (Q(has_tests=False) & Q(test_count=0)),
                name="%(app_label)s_%(class)s_has_tests_matches_count",
            ),
            models.CheckConstraint(
                condition=Q(lineage_status__isnull=True) | Q(lineage_status__in=LineageStatus.values),
                name="%(app_label)s_%(class)s_lineage_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:capsule_detail", kwargs={"urn": self.urn})

    @property
    def qualified_name(self) -> str:
        """database.schema.relation, as the warehouse knows it."""
        return ".".join(part for part in (self.database_name, self.schema_name, self.relation_name) if part)


class Column(TimeStampedModel):
    """One column of a capsule: the union of what the manifest documents and the catalog observed."""

    # Hundreds of thousands of rows arrive per ingestion, so no index without a query: not on created_at,
    # and the URN is unique through a constraint (unique=True would add a LIKE index nobody uses).
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), editable=False)
    urn = models.CharField(max_length=500)
    capsule = models.ForeignKey(Capsule, on_delete=models.CASCADE, related_name="columns", db_index=False)
    name = models.CharField(max_length=255)
    # The seed had 100 characters; nested warehouse types (STRUCT<...>) are longer.
    data_type = models.CharField(max_length=1000, null=True, blank=True)
    ordinal_position = models.IntegerField(null=True, blank=True)
    is_nullable = models.BooleanField(default=True, db_default=True)
    semantic_type = models.CharField(max_length=50, null=True, blank=True)
    pii_type = models.CharField(max_length=50, null=True, blank=True)
    pii_detected_by = models.CharField(max_length=50, null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    meta = models.JSONField(default=dict, blank=True, db_default={})
    tags = models.JSONField(default=list, blank=True, db_default=[])
    stats = models.JSONField(default=dict, blank=True, db_default={})
    has_tests = models.BooleanField(default=False, db_default=False)
    test_count = models.IntegerField(default=0, db_default=0)

    tests = models.JSONField(default=list, blank=True, db_default=[])  # test types attached to this column
    constraints = models.JSONField(default=list, blank=True, db_default=[])  # dbt column constraints
    in_manifest = models.BooleanField(default=True, db_default=True)
    in_catalog = models.BooleanField(default=False, db_default=False)
    # catalog or manifest for what the project declares (the loader's); sql or usage for what column lineage
    # inferred (lineage.services'), which the loader leaves alone and a declared column of the same name replaces.
    origin = models.CharField(
        max_length=20, choices=ColumnOrigin.choices, default=ColumnOrigin.MANIFEST, db_default=ColumnOrigin.MANIFEST
    )
    # PII classification: confidence and the evidence behind it, and whether the value is masked (hashed).
    pii_confidence = models.FloatField(null=True, blank=True)
    pii_evidence = models.JSONField(default=list, blank=True, db_default=[])
    pii_masked = models.BooleanField(default=False, db_default=False)
    # A steward's decision outlives re-ingestion and re-detection.
    pii_decision = models.CharField(max_length=20, choices=PiiDecision.choices, null=True, blank=True)
    pii_decided_type = models.CharField(max_length=50, null=True, blank=True)
    pii_decided_by = models.CharField(max_length=255, null=True, blank=True)
    pii_decided_at = models.DateTimeField(null=True, blank=True)
    pii_decision_note = models.TextField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        db_table = "columns"
        ordering = ["capsule", "ordinal_position", "name"]
        verbose_name = "column"
        indexes = [
            models.Index(fields=["capsule", "ordinal_position", "name"], name="idx_columns_capsule"),  # columns tab
            # Partial: most columns have neither, and these indexes serve lookups of one value.
            models.Index(
                fields=["semantic_type"], name="idx_columns_semantic_type", condition=Q(semantic_type__isnull=False)
            ),  # ?semantic_type=
            models.Index(fields=["pii_type"], name="idx_columns_pii_type", condition=Q(pii_type__isnull=False)),  # PII
        ]
        constraints = [
            models.UniqueConstraint(fields=["urn"], name="%(app_label)s_%(class)s_unique_urn"),
            models.CheckConstraint(
                condition=Q(pii_confidence__isnull=True) | (Q(pii_confidence__gte=0.0) & Q(pii_confidence__lte=1.0)),
                name="%(app_label)s_%(class)s_pii_confidence_range",
            ),
            models.CheckConstraint(
                condition=Q(pii_decision__isnull=True) | Q(pii_decision__in=PiiDecision.values),
                name="%(app_label)s_%(class)s_pii_decision_valid",
            ),
            models.CheckConstraint(
                condition=Q(origin__in=ColumnOrigin.values), name="%(app_label)s_%(class)s_origin_valid"
            ),
            models.CheckConstraint(
                condition=(Q(has_tests=True) & Q(test_count__gt=0)) | (Q(has_tests=False) & Q(test_count=0)),
                name="%(app_label)s_%(class)s_has_tests_matches_count",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:column_detail", kwargs={"urn": self.urn})

    @property
    def is_inferred(self) -> bool:
        return self.origin in INFERRED_ORIGINS
