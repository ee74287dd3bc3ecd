"""Server-drawn SVG charts of the conformance pages and report (our own markup, no chart library)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from dab_project.text import plural


@dataclass(frozen=True)
class Point:
    at: datetime
    score: float | None
    weighted: float | None
    label: str = ""  # what a tooltip adds (new / fixed counts)


def trend_svg(*, points: Sequence[Point], width: int = 720, height: int = 200) -> str:
    """A line chart of scores (0-100) over evaluations: the score solid, the weighted score dashed.

    Points are spaced evenly (one per evaluation, oldest left); each has a tooltip. Returns "" for no points.
    """
    if not points:
        return ""
    left, right, top, bottom = 36, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / (len(points) - 1) if len(points) > 1 else 0.0

    def x(i: int) -> float:
        return left + (i * step if len(points) > 1 else plot_w / 2)

    def y(value: float) -> float:
        return top + plot_h * (1 - max(0.0, min(100.0, value)) / 100)

    latest = points[-1]
    summary = (
        f"Conformance score over the last {plural(len(points), 'evaluation')}; latest {_fmt(latest.score)} "
        f"(weighted {_fmt(latest.weighted)}) on {latest.at:%Y-%m-%d}"
    )
    parts = [
        f'<svg class="trend-chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(summary)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(summary)}</title>",
    ]
    for tick in (0, 25, 50, 75, 100):
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
            f'<text class="tick" x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    for series, css in (("weighted", "series-weighted"), ("score", "series-score")):
        coords = [(x(i), y(value)) for i, p in enumerate(points) if (value := getattr(p, series)) is not None]
        if len(coords) > 1:
            path = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)
            parts.append(f'<polyline class="{css}" points="{path}"/>')
    for i, p in enumerate(points):
        if p.score is None:
            continue
        tip = f"{p.at:%Y-%m-%d %H:%M}: score {_fmt(p.score)}, weighted {_fmt(p.weighted)}"
        if p.label:
            tip += f"; {p.label}"
        parts.append(
            f'<circle class="dot" cx="{x(i):.1f}" cy="{y(p.score):.1f}" r="3.5"><title>{escape(tip)}</title></circle>'
        )
    parts.append(
        f'<text class="tick" x="{left}" y="{height - 8}">{points[0].at:%Y-%m-%d}</text>'
        f'<text class="tick" x="{width - right}" y="{height - 8}" text-anchor="end">{latest.at:%Y-%m-%d}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"
