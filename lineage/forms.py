"""Query parameters of the lineage pages."""

from django import forms
from django.conf import settings

from lineage.selectors import LEVELS


def _depth_choices(start: int) -> list[tuple[int, str]]:
    return [(n, str(n)) for n in range(start, settings.MAX_LINEAGE_DEPTH + 1)]


class GraphForm(forms.Form):
    """What to draw: a capsule's or column's neighbourhood, so many hops each way, at one level."""

    urn = forms.CharField(max_length=1000, required=False)
    q = forms.CharField(max_length=200, required=False, label="Find a capsule")
    # Two hops each way by default: enough to see where a capsule's data comes from and goes, small enough
    # to read. The selects start there too (not at 0, which draws a lone node).
    upstream = forms.TypedChoiceField(coerce=int, required=False, empty_value=2, initial=2, label="Upstream hops")
    downstream = forms.TypedChoiceField(coerce=int, required=False, empty_value=2, initial=2, label="Downstream hops")
    level = forms.ChoiceField(choices=[(v, v.title()) for v in LEVELS], required=False, label="Level")
    max_nodes = forms.IntegerField(min_value=10, max_value=2000, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["upstream"].choices = _depth_choices(0)
        self.fields["downstream"].choices = _depth_choices(0)

    def clean_level(self) -> str:
        return self.cleaned_data.get("level") or "capsule"


class ImpactForm(forms.Form):
    urn = forms.CharField(max_length=1000)
    depth = forms.IntegerField(min_value=1, required=False)
    format = forms.ChoiceField(choices=[("html", "html"), ("csv", "csv"), ("json", "json")], required=False)
