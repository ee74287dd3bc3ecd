from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from catalog.choices import PiiDecision
from catalog.models import Capsule, Column, Domain, Owner, SourceSystem
from catalog.services import columns_pii_decide


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
                       "pii_type", "pii_detected_by", "pii_masked", "pii_evidence_table", "pii_decided_by",
                       "pii_decided_at")
    show_full_result_count = False
    actions = ("pii_confirm", "pii_reject", "pii_decision_clear")

    # -- PII review (issue #6): the detector's fields are read-only; a steward's decision goes through
    # catalog.services.columns_pii_decide, which re-classifies the column and re-propagates downstream.

    @admin.display(description="PII evidence")
    def pii_evidence_table(self, obj):
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((e.get("signal", ""), e.get("pii_type") or "—", f"{e.get('weight', 0):+.2f}", e.get("detail", ""))
             for e in obj.pii_evidence or ()),
        )  # fmt: skip
        if not rows:
            return "—"
        return format_html("<table><thead><tr><th>signal</th><th>type</th><th>weight</th><th>detail</th></tr>"
                           "</thead><tbody>{}</tbody></table>", rows)

    def save_model(self, request, obj, form, change):
        decision_fields = {"pii_decision", "pii_decided_type", "pii_decision_note"}
        super().save_model(request, obj, form, change)
        if change and decision_fields & set(form.changed_data):
            try:
                columns_pii_decide(column_ids=[obj.pk], decision=obj.pii_decision or None,
                                   pii_type=obj.pii_decided_type or None, note=obj.pii_decision_note,
                                   actor=request.user.get_username())
            except ValueError as exc:
                self.message_user(request, f"The PII decision was not applied: {exc}", messages.ERROR)

    def _decide(self, request, queryset, decision: str | None, said: str) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        changed = columns_pii_decide(column_ids=ids, decision=decision, actor=request.user.get_username())
        self.message_user(request, f"{len(ids)} column(s) {said}; {changed} re-classified. Downstream columns "
                          "follow through lineage.", messages.SUCCESS)

    @admin.action(description="Confirm PII (keep each column's type)")
    def pii_confirm(self, request, queryset):
        self._decide(request, queryset, PiiDecision.CONFIRMED, "confirmed as PII")

    @admin.action(description="Reject PII (not personal data)")
    def pii_reject(self, request, queryset):
        self._decide(request, queryset, PiiDecision.REJECTED, "rejected as not PII")

    @admin.action(description="Clear the steward's PII decision")
    def pii_decision_clear(self, request, queryset):
        self._decide(request, queryset, None, "returned to automatic detection")
