"""Template helpers of the catalog pages: Markdown descriptions, badges, sortable headers, query strings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import nh3
from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

register = template.Library()

# What a dbt description may keep after sanitising: text formatting, lists, tables and links. Everything
# else (script, style, iframe, forms, event handlers, style attributes, images) is removed by nh3. Images
# are never loaded: a description must not make a steward's browser call another host (a tracking pixel),
# so a Markdown image becomes a link to it (render_image below) and an HTML <img> is dropped.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}

# CommonMark plus GitHub tables and strikethrough, as dbt docs render them. Raw HTML is let through to the
# sanitiser rather than escaped, so harmless markup (<b>, <br>) in descriptions still renders.
_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(["table", "strikethrough"])


def render_image(renderer, tokens, idx, options, env) -> str:
    """A Markdown image as a link to it, labelled with its alt text: visible, but nothing is fetched."""
    token = tokens[idx]
    alt = renderer.renderInlineAsText(token.children or [], options, env) or "image"
    src = escapeHtml(token.attrGet("src") or "")
    return f'<a href="{src}" title="Image, not loaded: {src}">[image: {escapeHtml(alt)}]</a>'


_markdown.add_render_rule("image", render_image)


@lru_cache(maxsize=4096)
def render_markdown(text: str) -> str:
    """Markdown to sanitised HTML; links get rel="noopener noreferrer". Memoised: column descriptions repeat."""
    html = _markdown.render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


@register.filter(name="markdown")
def markdown_filter(value: str | None) -> SafeString:
    """``{{ capsule.description|markdown }}``: rendered, sanitised Markdown (empty for no description)."""
    if not value:
        return mark_safe("")
    return mark_safe(render_markdown(value))  # nh3 has sanitised it


@register.filter
def timestamp(value: Any) -> str:
    """An ISO timestamp from an artifact ("2024-05-01T10:11:12.345678Z") to the second, in TIME_ZONE."""
    if not value:
        return ""
    moment = value if isinstance(value, datetime) else parse_datetime(str(value))
    if moment is None:
        return str(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


@register.filter
def percent(value: float | None, digits: int = 0) -> str:
    """0.456 -> "46%"; None -> "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


@register.filter
def as_json(value: Any) -> str:
    """A JSON value as readable, indented text (for meta values that are lists or objects)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, default=str)


@register.filter
def is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


@register.simple_tag
def layer_badge(layer: str | None) -> str:
    """The coloured layer badge (or a dash)."""
    if not layer:
        return mark_safe('<span class="muted">—</span>')
    return format_html('<span class="badge layer layer-{}">{}</span>', layer, layer)


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (None or "" removes one); ``page`` is reset.

    ``<a href="?{% query_with layer='staging' %}">`` keeps every other filter of the page."""
    params = context["request"].GET.copy()
    params.pop("page", None)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.inclusion_tag("catalog/_sort_header.html", takes_context=True)
def sort_header(context, label: str, param: str, *, numeric: bool = False, default: bool = False) -> dict:
    """A table header that sorts by ``param``: toggles ascending/descending, says which with aria-sort.

    ``default``: the list is in this column's ascending order when no ordering (and no search) is asked."""
    request = context["request"]
    current = request.GET.get("ordering", "")
    if not current and default and not request.GET.get("search"):
        current = param
    if current == param:
        direction, next_value = "ascending", f"-{param}"
    elif current == f"-{param}":
        direction, next_value = "descending", param
    else:
        direction, next_value = None, param
    params = request.GET.copy()
    params.pop("page", None)
    params["ordering"] = next_value
    return {"label": label, "direction": direction, "href": "?" + params.urlencode(), "numeric": numeric}
