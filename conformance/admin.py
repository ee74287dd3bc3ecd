"""Stewards' admin: switch rules off or re-parametrise them (kept across syncs), triage violations, audit trail."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet

from conformance.choices import TriageAction
from conformance.engine import RuleFileError
from conformance.models import ProjectConfig, Rule, RuleCapsuleCount, ScoreSnapshot, Violation, ViolationEvent
from conformance.selectors import rule_spec
from conformance.services import project_config_store, rule_override, violations_triage
from dab_project.admin import ReadOnlyAdmin
from dab_project.text import plural


class RuleAdminForm(forms.ModelForm):
    """The steward's fields only; the rule file's definition is read-only. Parameters are checked like a file."""

    enabled_by_steward = forms.NullBooleanField(
        required=False,
        label="Enabled (steward)",
        help_text="Unknown: follow the rule file. Yes/No: your decision, kept when the files are synced again.",
        widget=forms.NullBooleanSelect,
    )

    class Meta:
        model = Rule
        fields = ("enabled_by_steward", "parameters_override")
        help_texts = {
            "parameters_override": "Check parameters laid over the rule file's, e.g. {\"max\": 5}. Empty: the file's.",
        }

    def clean_parameters_override(self):
        value = self.cleaned_data.get("parameters_override") or {}
        if not isinstance(value, dict):
            raise forms.ValidationError('Give a JSON object of check parameters, e.g. {"max": 5}.')
        probe = Rule(
            rule_id=self.instance.rule_id,
            definition=self.instance.definition,
            enabled=self.instance.enabled,
            parameters_override=value,
            source=self.instance.source,
        )
        try:
            rule_spec(rule=probe, strict=True)
        except RuleFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        return value


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    form = RuleAdminForm
    list_display = (
        "rule_id",
        "name",
        "severity",
        "category",
        "rule_set",
        "enabled",
        "enabled_by_steward",
        "pass_rate",
        "last_findings",
        "removed_at",
    )
    list_filter = ("enabled", "severity", "category", "rule_set", "scope", "last_status")
    search_fields = ("rule_id", "name", "description")
    readonly_fields = (
        "rule_id",
        "name",
        "description",
        "rationale",
        "remediation",
        "severity",
        "category",
        "rule_set",
        "scope",
        "definition",
        "source",
        "enabled_in_source",
        "enabled",
        "changed_by",
        "synced_at",
        "removed_at",
        "last_evaluated_at",
        "last_status",
        "last_reason",
        "pass_rate",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("rule_id", "name", "severity", "category", "rule_set", "scope", "description")}),
        ("Steward's decision", {"fields": ("enabled_by_steward", "parameters_override", "enabled", "changed_by")}),
        ("From the rule file", {"fields": ("source", "enabled_in_source", "definition", "rationale", "remediation")}),
        ("Latest evaluation", {"fields": ("last_evaluated_at", "last_status", "last_reason", "pass_rate")}),
        ("History", {"fields": ("synced_at", "removed_at", "created_at", "updated_at")}),
    )
    actions = ("switch_off", "switch_on", "follow_rule_file")

    def has_add_permission(self, request) -> bool:
        return False  # rules come from the rule files

    def save_model(self, request, obj, form, change):
        # through the service, so `enabled` and the audit field follow the steward's decision
        rule_override(
            rule=obj,
            actor=request.user.get_username(),
            enabled=form.cleaned_data.get("enabled_by_steward"),
            parameters=form.cleaned_data.get("parameters_override") or {},
        )

    def _override(self, request, queryset: QuerySet[Rule], enabled: bool | None) -> None:
        for rule in queryset:
            rule_override(rule=rule, actor=request.user.get_username(), enabled=enabled)
        self.message_user(request, f"{plural(queryset.count(), 'rule')} changed; the next evaluation applies it.")

    @admin.action(description="Switch off (kept across syncs)")
    def switch_off(self, request, queryset):
        self._override(request, queryset, False)

    @admin.action(description="Switch on (kept across syncs)")
    def switch_on(self, request, queryset):
        self._override(request, queryset, True)

    @admin.action(description="Follow the rule file again (on/off)")
    def follow_rule_file(self, request, queryset):
        self._override(request, queryset, None)


class ViolationEventInline(admin.TabularInline):
    model = ViolationEvent
    fk_name = "violation"
    extra = 0
    can_delete = False
    fields = ("at", "actor", "from_status", "to_status", "reason", "expires")
    readonly_fields = fields
    ordering = ("-at", "-id")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TriageActionForm(ActionForm):
    reason = forms.CharField(required=False, label="Reason")
    expires = forms.DateField(required=False, label="Waive until", widget=forms.DateInput(attrs={"type": "date"}))


@admin.register(Violation)
class ViolationAdmin(admin.ModelAdmin):
    list_display = ("rule", "capsule", "column", "severity", "status", "detected_at", "failing_since")
    list_filter = ("status", "severity", "rule__rule_set", "waiver_source")
    list_select_related = ("rule", "capsule", "column")
    search_fields = ("message", "capsule__name", "rule__rule_id", "fingerprint")
    raw_id_fields = ("rule", "capsule", "column", "ingestion")
    readonly_fields = (
        "rule",
        "capsule",
        "column",
        "severity",
        "message",
        "details",
        "status",
        "fingerprint",
        "detected_at",
        "failing_since",
        "last_seen_at",
        "acknowledged_at",
        "acknowledged_by",
        "resolved_at",
        "resolved_by",
        "waiver_source",
        "waiver_reason",
        "waiver_expires",
        "waived_by",
        "waived_at",
        "ingestion",
        "digest",
    )
    inlines = (ViolationEventInline,)
    show_full_result_count = False
    action_form = TriageActionForm
    actions = ("acknowledge", "resolve", "waive", "reopen")

    def has_add_permission(self, request) -> bool:
        return False  # violations come from evaluations

    def _triage(self, request, queryset: QuerySet[Violation], action: str) -> None:
        try:
            result = violations_triage(
                violations=queryset,
                action=action,
                actor=request.user.get_username(),
                reason=request.POST.get("reason"),
                expires=forms.DateField(required=False).clean(request.POST.get("expires") or None),
            )
        except (ValueError, forms.ValidationError) as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
            return
        self.message_user(
            request, f"{plural(len(result.changed), 'violation')} changed; {len(result.skipped)} left as they were."
        )

    @admin.action(description="Acknowledge")
    def acknowledge(self, request, queryset):
        self._triage(request, queryset, TriageAction.ACKNOWLEDGE)

    @admin.action(description="Resolve")
    def resolve(self, request, queryset):
        self._triage(request, queryset, TriageAction.RESOLVE)

    @admin.action(description="Waive (reason required, optional date)")
    def waive(self, request, queryset):
        self._triage(request, queryset, TriageAction.WAIVE)

    @admin.action(description="Reopen")
    def reopen(self, request, queryset):
        self._triage(request, queryset, TriageAction.REOPEN)


@admin.register(ViolationEvent)
class ViolationEventAdmin(ReadOnlyAdmin):
    """The audit trail: read only."""

    list_display = ("at", "actor", "from_status", "to_status", "reason", "fingerprint")
    list_filter = ("to_status",)
    search_fields = ("actor", "reason", "fingerprint")
    raw_id_fields = ("violation", "evaluation")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ScoreSnapshot)
class ScoreSnapshotAdmin(ReadOnlyAdmin):
    list_display = (
        "evaluated_at",
        "trigger",
        "rule_set",
        "score",
        "weighted_score",
        "findings",
        "new_count",
        "fixed_count",
    )
    list_filter = ("trigger", "rule_set")
    raw_id_fields = ("ingestion",)


class ProjectConfigAdminForm(forms.ModelForm):
    """DAB's own project-wide excludes; the evaluator set-up comes from its files (read-only here)."""

    class Meta:
        model = ProjectConfig
        fields = ("source_system", "exclude_packages", "exclude_paths", "exclude_names")
        help_texts = {
            "exclude_packages": 'Packages never judged, as a JSON list, e.g. ["dbt_artifacts"]; "all": every package.',
            "exclude_paths": 'File path globs never judged, e.g. ["models/legacy/*"].',
            "exclude_names": 'Name globs never judged (capsule name, source.table, model.v2), e.g. ["tmp_*"].',
        }

    def _strings(self, name: str) -> list[str]:
        value = self.cleaned_data.get(name) or []
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            raise forms.ValidationError('Give a JSON list of non-empty strings, e.g. ["models/legacy/*"].')
        return [item.strip() for item in value]

    def clean_exclude_packages(self):
        return self._strings("exclude_packages")

    def clean_exclude_paths(self):
        return self._strings("exclude_paths")

    def clean_exclude_names(self):
        return self._strings("exclude_names")


@admin.register(ProjectConfig)
class ProjectConfigAdmin(admin.ModelAdmin):
    """A project's conformance settings: excludes that apply to every rule, and its evaluator set-up.

    The next evaluation applies a change ("Evaluate now" on the conformance page)."""

    form = ProjectConfigAdminForm
    list_display = ("source_system", "exclude_packages", "exclude_paths", "exclude_names", "updated_at", "changed_by")
    list_select_related = ("source_system",)
    search_fields = ("source_system__name",)
    readonly_fields = (
        "evaluator_vars",
        "evaluator_not_understood",
        "evaluator_exceptions",
        "evaluator_source",
        "changed_by",
        "updated_at",
    )

    def save_model(self, request, obj, form, change):
        stored = project_config_store(
            source_system_id=obj.source_system_id,
            exclude_packages=obj.exclude_packages,
            exclude_paths=obj.exclude_paths,
            exclude_names=obj.exclude_names,
            actor=f"user:{request.user.get_username()}",
        )
        obj.pk, obj.updated_at, obj.changed_by = stored.pk, stored.updated_at, stored.changed_by
        obj._state.adding = False


@admin.register(RuleCapsuleCount)
class RuleCapsuleCountAdmin(ReadOnlyAdmin):
    """What each rule counted per capsule at its latest evaluation (the evaluation after a change reads them);
    read-only: evaluations rewrite them."""

    list_display = ("rule", "capsule_id", "applicable", "counted")
    list_select_related = ("rule",)
    search_fields = ("rule__rule_id",)
    fields = ("rule", "capsule_id", "applicable", "counted")
    readonly_fields = fields
