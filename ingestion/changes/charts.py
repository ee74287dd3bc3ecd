"""Small charts drawn on the server as inline SVG data (no JavaScript): points to draw, computed here, drawn by
a template with numbers only, so nothing the project wrote reaches the markup unescaped."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Sparkline", "sparkline"]


@dataclass(frozen=True)
class Sparkline:
    width: int
    height: int
    points: str  # "x,y x,y ..." for <polyline points>
    dots: list[tuple[float, float, str]]  # (x, y, label) per point, for <circle> with a <title>
    low: float
    high: float


def sparkline(values: list[tuple[str, float]], *, width: int = 320, height: int = 64, pad: int = 6) -> Sparkline | None:
    """(label, value) pairs, oldest first, scaled into the box; None with fewer than two values."""
    if len(values) < 2:
        return None
    low = min(v for _, v in values)
    high = max(v for _, v in values)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / (len(values) - 1)
    dots = []
    for i, (label, value) in enumerate(values):
        x = pad + i * step
        y = height - pad - (value - low) / span * (height - 2 * pad)
        dots.append((round(x, 1), round(y, 1), label))
    return Sparkline(width=width, height=height, points=" ".join(f"{x},{y}" for x, y, _ in dots), dots=dots,
                     low=low, high=high)  # fmt: skip
