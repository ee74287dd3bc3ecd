"""The stewards' PII review in the admin: the column list gains Confirm/Reject/Clear actions and the column form
applies a decision through ``pii.services.columns_pii_decide`` (re-classified, downstream re-propagated).

The catalog registers the Column admin; this app extends it (registered after the catalog in INSTALLED_APPS),
so the catalog never imports PII code.
"""

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from catalog.admin import ColumnAdmin
from catalog.choices import PiiDecision
from catalog.models import Column
from pii.services import columns_pii_decide


class PiiColumnAdmin(ColumnAdmin):
    actions = ("pii_confirm", "pii_reject", "pii_decision_clear")
    readonly_fields = (*ColumnAdmin.readonly_fields, "pii_evidence_table")

    # -- PII review (issue #6): the detector's fields are read-only; a steward's decision goes through
    # pii.services.columns_pii_decide, which re-classifies the column and re-propagates downstream.

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


admin.site.unregister(Column)
admin.site.register(Column, PiiColumnAdmin)
