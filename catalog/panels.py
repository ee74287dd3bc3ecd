"""Panels other apps add to the catalog's column and capsule pages, without the catalog knowing them (a registry, like
NetBox's template extensions): an app registers a template in its ``AppConfig.ready``; the page includes each
registered template, in ``order``, with the page's context (``column`` and the request)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.utils.functional import SimpleLazyObject

__all__ = ["capsule_panels", "capsule_panels_register", "column_panels", "column_panels_register"]

_COLUMN_PANELS: dict[str, int] = {}


def column_panels_register(*, template: str, order: int = 100) -> None:
    """Show ``template`` on every column page (registering the same template again only moves it)."""
    _COLUMN_PANELS[template] = order


def column_panels() -> list[str]:
    """The registered column-page panels, by order then name."""
    return sorted(_COLUMN_PANELS, key=lambda template: (_COLUMN_PANELS[template], template))


_CAPSULE_PANELS: dict[str, tuple[int, Callable[..., dict[str, Any]]]] = {}


def capsule_panels_register(*, template: str, context: Callable[..., dict[str, Any]], order: int = 100) -> None:
    """Show ``template`` on every capsule page, rendered with ``panel`` = ``context(capsule=capsule)`` (the
    registering app's selector: the page calls it, so no template tag queries behind the page's back)."""
    _CAPSULE_PANELS[template] = (order, context)


def capsule_panels(*, capsule: Any) -> list[dict[str, Any]]:
    """The registered capsule-page panels with their context, by order then name. Each context is computed when
    its template first reads it (a lazy object), so a panel that is not drawn costs nothing."""
    ordered = sorted(_CAPSULE_PANELS.items(), key=lambda item: (item[1][0], item[0]))
    return [
        {"template": template, "context": SimpleLazyObject(partial(context, capsule=capsule))}
        for template, (_, context) in ordered
    ]
