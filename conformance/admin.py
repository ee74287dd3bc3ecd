from django.contrib import admin

from conformance.models import Rule, Violation


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("rule_id", "name", "severity", "category", "rule_set", "scope", "enabled")
    list_filter = ("enabled", "severity", "category", "rule_set", "scope")
    list_editable = ("enabled",)
    search_fields = ("rule_id", "name", "description")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Violation)
class ViolationAdmin(admin.ModelAdmin):
    list_display = ("rule", "capsule", "column", "severity", "status", "detected_at", "last_seen_at")
    list_filter = ("status", "severity", "rule__rule_set")
    list_select_related = ("rule", "capsule", "column")
    search_fields = ("message", "capsule__name", "rule__rule_id")
    raw_id_fields = ("rule", "capsule", "column", "ingestion")
    readonly_fields = ("fingerprint", "detected_at", "last_seen_at")
    show_full_result_count = False
