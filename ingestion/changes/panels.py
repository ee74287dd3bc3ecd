"""The capsule page's History panel (registered in ingestion.apps through catalog.panels)."""

from __future__ import annotations

from typing import Any

from .charts import sparkline
from .selectors import capsule_change_history, capsule_run_history


def capsule_history_panel(*, capsule: Any) -> dict[str, Any]:
    """What changed on this capsule and when, its execution times as a chart, its tests' status histories.
    About five queries."""
    runs = capsule_run_history(capsule=capsule)
    model = runs["model"][0] if runs["model"] else None
    chart = None
    if model is not None:
        timed = [(f"run {run} ({at:%Y-%m-%d}): {seconds:.2f} s", seconds) for run, at, _, seconds in model.points
                 if seconds is not None]  # fmt: skip
        chart = sparkline(timed)
    return {
        "changes": capsule_change_history(urn=capsule.urn, limit=50),
        "model": model,
        "chart": chart,
        "tests": sorted(runs["tests"], key=lambda h: (-h.flips, h.name)),
    }
