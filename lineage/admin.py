from django.contrib import admin

from lineage.models import CapsuleLineage, ColumnLineage, ColumnLineageInput


@admin.register(CapsuleLineage)
class CapsuleLineageAdmin(admin.ModelAdmin):
    list_display = ("source_urn", "target_urn", "edge_type", "created_at")
    list_filter = ("edge_type",)
    search_fields = ("source_urn", "target_urn")
    raw_id_fields = ("source", "target", "ingestion")
    show_full_result_count = False


@admin.register(ColumnLineage)
class ColumnLineageAdmin(admin.ModelAdmin):
    list_display = ("source_urn", "target_urn", "transformation_type", "created_at")
    list_filter = ("transformation_type",)
    search_fields = ("source_urn", "target_urn")
    raw_id_fields = ("source_column", "target_column", "ingestion")
    show_full_result_count = False


@admin.register(ColumnLineageInput)
class ColumnLineageInputAdmin(admin.ModelAdmin):
    """What each model's column lineage was last derived from (the pipeline writes it). Deleting a row makes the
    next ingestion derive that model again."""

    list_display = ("capsule", "fingerprint", "derived_at")
    search_fields = ("capsule__urn",)
    raw_id_fields = ("capsule",)
    show_full_result_count = False
