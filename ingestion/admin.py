from django.contrib import admin

from ingestion.models import IngestionJob


@admin.register(IngestionJob)
class IngestionJobAdmin(admin.ModelAdmin):
    list_display = ("started_at", "source_type", "source_name", "status", "completed_at", "triggered_by")
    list_filter = ("status", "source_type")
    search_fields = ("source_name", "error_message")
    date_hierarchy = "started_at"
    readonly_fields = [field.name for field in IngestionJob._meta.fields]

    def has_add_permission(self, request):
        return False  # jobs are created by ingestion runs only
