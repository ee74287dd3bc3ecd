"""Lineage edges between capsules and between columns."""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone

from dab_project.models import UUIDModel

__all__ = ["LINEAGE_TYPES", "SQL_ONLY_EDGE", "CapsuleLineage", "ColumnLineage", "ColumnLineageInput"]


# A capsule edge the column-lineage step found in a model's compiled SQL (a relation reached through a macro, or
# written by hand) that dbt's depends_on does not list. That step owns these rows; the loader owns every other type.
SQL_ONLY_EDGE = "sql_only"
# Capsule types whose columns are computed by SQL (and so get a column-lineage status); every other type's status
# is not_applicable, which the loader writes with a new capsule and the column-lineage step with a changed one.
LINEAGE_TYPES = ("model", "snapshot")


class CapsuleLineage(UUIDModel):
    """Data flows from ``source`` to ``target`` (a dbt ``depends_on`` relation, read the other way, or a relation
    only the compiled SQL names: ``edge_type`` ``sql_only``)."""

    source_urn = models.CharField(max_length=500)
    target_urn = models.CharField(max_length=500)
    source = models.ForeignKey(
        "catalog.Capsule", on_delete=models.CASCADE, related_name="downstream_edges", db_index=False
    )
    target = models.ForeignKey(
        "catalog.Capsule", on_delete=models.CASCADE, related_name="upstream_edges", db_index=False
    )
    edge_type = models.CharField(max_length=50, default="flows_to", db_default="flows_to")
    transformation = models.CharField(max_length=50, null=True, blank=True)
    meta = models.JSONField(default=dict, blank=True, db_default={})
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), editable=False)
    ingestion = models.ForeignKey(
        "ingestion.IngestionJob", on_delete=models.PROTECT, null=True, blank=True, related_name="capsule_edges"
    )

    class Meta:
        db_table = "capsule_lineage"
        ordering = ["source_urn", "target_urn"]
        verbose_name = "capsule lineage edge"
        indexes = [
            models.Index(fields=["source"], name="idx_capsule_lineage_source"),  # downstream traversal
            models.Index(fields=["target"], name="idx_capsule_lineage_target"),  # upstream traversal
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target", "edge_type"], name="%(app_label)s_%(class)s_unique_edge"
            ),
            models.CheckConstraint(condition=~Q(source=F("target")), name="%(app_label)s_%(class)s_no_self_loop"),
        ]

    def __str__(self) -> str:
        return f"{self.source_urn} -> {self.target_urn}"


class ColumnLineage(UUIDModel):
    """A column's value derives from another column, through ``transformation_type``."""

    source_urn = models.CharField(max_length=500)
    target_urn = models.CharField(max_length=500)
    source_column = models.ForeignKey(
        "catalog.Column", on_delete=models.CASCADE, related_name="downstream_edges", db_index=False
    )
    target_column = models.ForeignKey(
        "catalog.Column", on_delete=models.CASCADE, related_name="upstream_edges", db_index=False
    )
    transformation_type = models.CharField(max_length=50, null=True, blank=True)
    transformation_expr = models.TextField(null=True, blank=True)
    # Whether the target can still hold the source's value: decided once, by the SQL extractor (False when hashed,
    # counted or summed, ranked or measured, tested by a predicate, or when the source only steers the result).
    carries_value = models.BooleanField(default=True, db_default=True)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), editable=False)
    ingestion = models.ForeignKey(
        "ingestion.IngestionJob", on_delete=models.PROTECT, null=True, blank=True, related_name="column_edges"
    )

    class Meta:
        db_table = "column_lineage"
        ordering = ["source_urn", "target_urn"]
        verbose_name = "column lineage edge"
        indexes = [
            models.Index(fields=["source_column"], name="idx_column_lineage_source"),  # downstream traversal
            models.Index(fields=["target_column"], name="idx_column_lineage_target"),  # upstream traversal
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_column", "target_column"], name="%(app_label)s_%(class)s_unique_edge"
            ),
            models.CheckConstraint(
                condition=~Q(source_column=F("target_column")), name="%(app_label)s_%(class)s_no_self_loop"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_urn} -> {self.target_urn}"


class ColumnLineageInput(models.Model):
    """What a model's column lineage was last derived from: a fingerprint of its SQL, its columns and its parents.

    Kept beside the capsule, not in its ``attributes``, because the loader rewrites those whenever dbt's run
    results change. A model whose fingerprint is unchanged keeps its edges without being parsed again. No
    database constraint on the capsule: the loader deletes capsules in bulk without knowing this table, so the
    column-lineage step removes rows whose capsule is gone.
    """

    capsule = models.OneToOneField(
        "catalog.Capsule", on_delete=models.CASCADE, primary_key=True, db_constraint=False, related_name="lineage_input"
    )
    fingerprint = models.CharField(max_length=64)
    derived_at = models.DateTimeField(default=timezone.now)
    # What the model's SQL said of its own columns: a hash of the columns inferred from it (part of its readers'
    # fingerprints) and whether its output list is whole (no * over unknown columns), so readers may rely on it.
    outputs_hash = models.CharField(max_length=64, null=True, blank=True)
    outputs_complete = models.BooleanField(default=False, db_default=False)
    # Columns this model's SQL reads of a parent that the parent's known columns lack: {parent URN: [names]}. A
    # parent's columns inferred from usage are the union over its readers.
    reads = models.JSONField(default=dict, blank=True, db_default={})

    class Meta:
        db_table = "column_lineage_inputs"
        ordering = ["capsule"]  # served by the primary key
        verbose_name = "column lineage input"

    def __str__(self) -> str:
        return f"{self.capsule_id}: {self.fingerprint}"
