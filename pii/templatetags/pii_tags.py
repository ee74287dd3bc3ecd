"""Template helpers of the PII pages and of the review controls on the column page."""

from __future__ import annotations

from typing import Any

from django import template

from pii import selectors
from pii.services import pii_config

register = template.Library()


@register.filter
def get_item(mapping: dict | None, key: Any) -> Any:
    """``{{ trace.columns|get_item:hop.source }}``."""
    return (mapping or {}).get(key)


@register.simple_tag
def pii_type_choices() -> list[tuple[str, str, str]]:
    """The PII vocabulary as (key, label, risk), by label, for the stewards' type picker."""
    return sorted(((key, t.label, t.risk) for key, t in pii_config().types.items()), key=lambda c: c[1])


@register.filter
def pii_detector_reading(evidence: list | None) -> str | None:
    """The type the detector's own evidence points to most strongly (shown when a steward rejected it)."""
    return selectors.pii_detector_reading(evidence)
