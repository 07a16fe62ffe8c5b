"""A child's screening trajectory as a small server-rendered SVG: the level recorded at each screening
over time, so a worker sees at a glance whether risk is rising or falling. The table beside it carries
the same facts for screen-reader and keyboard users."""

from __future__ import annotations

import datetime as dt

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 560, 180, 90, 20, 15, 35


def trajectory_svg(points: list[tuple[dt.date, str]], levels: list[str]) -> SafeString:
    """`points` are (date, level) in date order; `levels` the tool's scale, lowest first."""
    points = [(day, level) for day, level in points if level in levels]
    if not points:
        return mark_safe("")
    first, last = points[0][0], points[-1][0]
    span = max((last - first).days, 1)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = inner_h / max(len(levels) - 1, 1)

    def x(day: dt.date) -> float:
        return LEFT + (inner_w / 2 if len(points) == 1 else (day - first).days / span * inner_w)

    def y(level: str) -> float:
        return TOP + inner_h - levels.index(level) * step

    parts = [
        f'<svg class="lantern-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-labelledby="trajectory-title"><title id="trajectory-title">Screening levels over time: '
        + escape(", ".join(f"{level} on {day:%d %b %Y}" for day, level in points))
        + "</title>"
    ]
    for level in levels:
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(level):.1f}" y2="{y(level):.1f}" stroke="#b1b4b6" '
            f'stroke-dasharray="3 3"/><text x="{LEFT - 8}" y="{y(level) + 4:.1f}" text-anchor="end" '
            f'font-size="13" fill="#0b0c0c">{escape(level)}</text>'
        )
    path = " ".join(f"{'M' if i == 0 else 'L'}{x(d):.1f},{y(lv):.1f}" for i, (d, lv) in enumerate(points))
    parts.append(f'<path d="{path}" fill="none" stroke="#1d70b8" stroke-width="3"/>')
    for day, level in points:
        parts.append(f'<circle cx="{x(day):.1f}" cy="{y(level):.1f}" r="5" fill="#1d70b8"/>')
    for day in {points[0][0], points[-1][0]}:
        parts.append(
            f'<text x="{x(day):.1f}" y="{HEIGHT - 10}" text-anchor="middle" font-size="12" '
            f'fill="#505a5f">{day:%d %b %Y}</text>'
        )
    parts.append("</svg>")
    # Every interpolated text is escaped above; the rest is numbers and fixed markup.
    return mark_safe("".join(parts))  # noqa: S308
