"""Panels other apps add to the catalog's column page, without the catalog knowing them (a registry, like
NetBox's template extensions): an app registers a template in its ``AppConfig.ready``; the page includes each
registered template, in ``order``, with the page's context (``column`` and the request)."""

from __future__ import annotations

__all__ = ["column_panels", "column_panels_register"]

_COLUMN_PANELS: dict[str, int] = {}


def column_panels_register(*, template: str, order: int = 100) -> None:
    """Show ``template`` on every column page (registering the same template again only moves it)."""
    _COLUMN_PANELS[template] = order


def column_panels() -> list[str]:
    """The registered column-page panels, by order then name."""
    return sorted(_COLUMN_PANELS, key=lambda template: (_COLUMN_PANELS[template], template))
