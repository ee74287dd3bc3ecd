from django.contrib import admin

from dab_project.admin import ReadOnlyAdmin
from ingestion.models import (
    CapsuleChange,
    ColumnsDigest,
    IngestionArtifact,
    IngestionJob,
    NodeDigest,
    RunObservation,
)


@admin.register(IngestionJob)
class IngestionJobAdmin(admin.ModelAdmin):
    list_display = ("started_at", "source_type", "source_name", "status", "stage", "completed_at", "triggered_by")
    list_filter = ("status", "source_type")
    search_fields = ("source_name", "error_message")
    date_hierarchy = "started_at"
    readonly_fields = [field.name for field in IngestionJob._meta.fields]

    def has_add_permission(self, request):
        return False  # jobs are created by ingestion runs only


@admin.register(IngestionArtifact)
class IngestionArtifactAdmin(ReadOnlyAdmin):
    """Uploaded artifacts waiting for (or kept for a retry of) their job; their bytes are not shown."""

    list_display = ("job", "kind", "label", "size")
    list_filter = ("kind",)
    list_select_related = ("job",)
    raw_id_fields = ("job",)
    fields = ("job", "kind", "label", "size")
    readonly_fields = fields  # stored by uploads only


@admin.register(CapsuleChange)
class CapsuleChangeAdmin(admin.ModelAdmin):
    """Recorded changes, for staff who need to look one up; written by ingestions only."""

    list_display = ("at", "source_system", "kind", "name", "column", "aspect")
    list_filter = ("kind",)
    list_select_related = ("source_system",)
    search_fields = ("urn", "name", "column")
    raw_id_fields = ("ingestion", "source_system")
    date_hierarchy = "at"


@admin.register(RunObservation)
class RunObservationAdmin(admin.ModelAdmin):
    """Run results as they moved over time; written by ingestions only."""

    list_display = ("run", "at", "source_system", "kind", "name", "status", "execution_time")
    list_filter = ("kind", "status")
    list_select_related = ("source_system",)
    search_fields = ("urn", "name")
    raw_id_fields = ("ingestion", "source_system")


@admin.register(ColumnsDigest)
class ColumnsDigestAdmin(ReadOnlyAdmin):
    """What each capsule's stored columns were built from (the loader's bookkeeping); read-only."""

    list_display = ("capsule_id", "digest", "columns_hash")
    search_fields = ("digest", "columns_hash")
    fields = ("capsule_id", "digest", "columns_hash")
    readonly_fields = fields


@admin.register(NodeDigest)
class NodeDigestAdmin(ReadOnlyAdmin):
    """What each kept capsule's row was last built from (the lean re-ingest's bookkeeping); read-only."""

    list_display = ("capsule_id", "digest", "key", "column_count")
    search_fields = ("digest", "key")
    fields = ("capsule_id", "digest", "key", "column_count")
    readonly_fields = fields
