"""Filter pieces every app's FilterSets share."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django_filters import rest_framework as filters

#: A UUID in its usual spelling, or nothing: what an optional id filter reads.
UUID_OR_EMPTY = "^$|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_TRUE, _FALSE, _ANY = ("true", "True", "1", True), ("false", "False", "0", False), ("", "unknown", None)


class _StrictNullBooleanField(forms.NullBooleanField):
    """true / false, or nothing (any); anything else is an error instead of being read as "any"."""

    def to_python(self, value):
        if value in _ANY:
            return None
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ValidationError("Enter true or false.", code="invalid")

    def validate(self, value):
        pass


class _RawNullBooleanSelect(forms.NullBooleanSelect):
    """Django's yes/no/any select, handing the field the value as sent (its own reading maps junk to "any")."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class StrictBooleanFilter(filters.BooleanFilter):
    """A boolean filter that refuses a value it cannot read (``?pii=maybe`` is a 400, not "any")."""

    field_class = _StrictNullBooleanField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", _RawNullBooleanSelect)
        super().__init__(*args, **kwargs)
