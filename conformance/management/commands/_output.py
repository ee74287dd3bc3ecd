"""Plain-text tables for the conformance commands."""

from __future__ import annotations

from collections.abc import Sequence


def table(rows: Sequence[Sequence[object]], *, headers: Sequence[str], widest: int = 70) -> str:
    """Left-aligned columns (numbers right-aligned), each at most ``widest`` characters."""
    cells = [[_text(value) for value in row] for row in rows]
    numeric = [all(isinstance(row[i], int | float) or row[i] is None for row in rows) for i in range(len(headers))]
    widths = [min(max([len(h), *(len(row[i]) for row in cells)]), widest) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = []
        for i, value in enumerate(values):
            value = value if len(value) <= widths[i] else value[: widths[i] - 1] + "…"
            parts.append(value.rjust(widths[i]) if numeric[i] else value.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), *(line(row) for row in cells)])


def _text(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)
