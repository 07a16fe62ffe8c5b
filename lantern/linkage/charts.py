"""A match-weight waterfall as plain geometry for a server-rendered SVG (no JavaScript needed).
Pure Python: each bar starts where the previous cumulative weight ended."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROW_HEIGHT = 26
LABEL_WIDTH = 260
PLOT_WIDTH = 420


@dataclass(frozen=True)
class Bar:
    label: str
    weight: float
    x: float
    width: float
    y: float
    positive: bool
    total: bool


@dataclass(frozen=True)
class Waterfall:
    bars: list[Bar]
    zero_x: float
    width: int
    height: int


def _label(row: dict[str, Any]) -> str:
    kind = row.get("kind")
    if kind == "prior":
        return "Starting point (prior)"
    if kind == "final":
        return "Final match weight"
    field = str(row.get("comparison", "")).replace("_", " ")
    suffix = " (name frequency)" if kind == "term_frequency" else ""
    return f"{field}: {row.get('label', '')}{suffix}"


def waterfall(rows: list[dict[str, Any]]) -> Waterfall:
    steps = [r for r in rows if r.get("kind") in ("prior", "comparison", "term_frequency", "final")]
    cumulative, points = 0.0, []
    for row in steps:
        weight = float(row.get("match_weight") or 0.0)
        if row.get("kind") == "final":
            points.append((row, 0.0, cumulative, True))
        else:
            points.append((row, cumulative, cumulative + weight, False))
            cumulative += weight
    values = [v for _, start, end, _ in points for v in (start, end)] or [0.0]
    low, high = min(values + [0.0]), max(values + [0.0])
    span = (high - low) or 1.0
    scale = PLOT_WIDTH / span

    def x_of(value: float) -> float:
        return LABEL_WIDTH + (value - low) * scale

    bars = []
    for index, (row, start, end, total) in enumerate(points):
        left, right = sorted((x_of(start), x_of(end)))
        bars.append(
            Bar(
                label=_label(row),
                weight=round(end - start, 2),
                x=round(left, 1),
                width=round(max(right - left, 1.0), 1),
                y=index * ROW_HEIGHT,
                positive=end >= start,
                total=total,
            )
        )
    return Waterfall(
        bars=bars,
        zero_x=round(x_of(0.0), 1),
        width=LABEL_WIDTH + PLOT_WIDTH + 60,
        height=len(bars) * ROW_HEIGHT,
    )
