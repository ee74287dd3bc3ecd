"""Forms of the conformance pages: triage (one violation or many) and the evaluate button."""

from __future__ import annotations

import uuid

from django import forms
from django.utils import timezone

from conformance.choices import TriageAction

MAX_BULK = 1000


class IdListField(forms.Field):
    """Several violation ids from checkboxes of one name (``getlist``)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": "Select at least one violation.", "invalid": "Not a violation id: %(value)s"}

    def to_python(self, value) -> list[uuid.UUID]:
        out = []
        for item in value or []:
            try:
                out.append(uuid.UUID(str(item)))
            except ValueError:
                raise forms.ValidationError(self.error_messages["invalid"], params={"value": item}) from None
        return out


class TriageForm(forms.Form):
    """One action on the selected violations; a waiver needs a reason and may expire."""

    ids = IdListField()
    action = forms.ChoiceField(choices=TriageAction.choices)
    reason = forms.CharField(required=False, max_length=2000, widget=forms.TextInput(attrs={"placeholder": "Why"}))
    expires = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Waive until")
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_ids(self) -> list[uuid.UUID]:
        ids = self.cleaned_data["ids"]
        if len(ids) > MAX_BULK:
            raise forms.ValidationError(f"At most {MAX_BULK} violations at once.")
        return ids

    def clean(self):
        data = super().clean()
        if data.get("action") == TriageAction.WAIVE and not (data.get("reason") or "").strip():
            self.add_error("reason", "A waiver needs a reason.")
        expires = data.get("expires")
        if expires is not None:
            if data.get("action") != TriageAction.WAIVE:
                self.add_error("expires", "Only a waiver has an expiry.")
            elif expires < timezone.localdate():
                self.add_error("expires", "The expiry is in the past.")
        return data


class EvaluateForm(forms.Form):
    rule_set = forms.CharField(required=False, max_length=50)
