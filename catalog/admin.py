from django.contrib import admin

from catalog.models import Capsule, Column, Domain, Owner, SourceSystem


@admin.register(SourceSystem)
class SourceSystemAdmin(admin.ModelAdmin):
    list_display = ("name", "source_type", "created_at", "updated_at")
    list_filter = ("source_type",)
    search_fields = ("name", "description")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Owner)
class OwnerAdmin(admin.ModelAdmin):
    list_display = ("name", "owner_type", "email", "slack_channel", "updated_at")
    list_filter = ("owner_type",)
    search_fields = ("name", "email", "slack_channel")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "owner", "updated_at")
    list_select_related = ("parent", "owner")
    search_fields = ("name", "description")
    autocomplete_fields = ("parent", "owner")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Capsule)
class CapsuleAdmin(admin.ModelAdmin):
    list_display = ("name", "capsule_type", "layer", "materialization", "domain", "owner", "source_system", "has_tests")
    list_filter = ("capsule_type", "layer", "materialization", "has_tests", "source_system")
    list_select_related = ("domain", "owner", "source_system")
    search_fields = ("name", "urn", "unique_id")
    autocomplete_fields = ("domain", "owner")
    raw_id_fields = ("ingestion",)
    readonly_fields = ("urn", "unique_id", "created_at", "updated_at", "content_hash")
    show_full_result_count = False  # COUNT(*) over every capsule on each page is wasted at 10,000+

    def save_model(self, request, obj, form, change):
        # A steward's owner or domain outlives re-ingestion until dbt itself names one (ingestion/loader.py).
        for field in ("owner", "domain"):
            if field in form.changed_data:
                obj.attributes = {**(obj.attributes or {}), f"{field}_source": "steward"}
        super().save_model(request, obj, form, change)


@admin.register(Column)
class ColumnAdmin(admin.ModelAdmin):
    list_display = ("name", "capsule", "data_type", "pii_type", "pii_masked", "pii_confidence", "pii_detected_by",
                    "pii_decision", "semantic_type", "has_tests")
    list_filter = ("pii_type", "pii_decision", "pii_detected_by", "pii_masked", "semantic_type", "has_tests")
    list_select_related = ("capsule",)
    search_fields = ("name", "urn")
    raw_id_fields = ("capsule",)
    readonly_fields = ("urn", "created_at", "updated_at", "content_hash", "pii_evidence", "pii_confidence",
                       "pii_type", "pii_detected_by", "pii_masked", "pii_decided_by",
                       "pii_decided_at")
    show_full_result_count = False
