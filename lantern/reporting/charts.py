"""Server-rendered SVG charts for the quarterly board report.

The report is read on screen and printed to A4 PDF by headless Chromium, so every chart is a fixed
`viewBox` at `width="100%"` (about 640 units wide: 12-unit text prints at roughly 9 pt), uses the
GOV.UK palette in an order that stays distinguishable with the common colour-vision deficiencies,
and never relies on colour alone: bar series also carry a fill pattern, line series a marker shape and
dash, and every bar carries its value. Each chart has a `<title>` and a `<desc>` that states the data
in words; the page should still print the figures in a table beside the chart.

Small numbers are suppressed before they reach a chart (a `None` value): no bar or point is drawn
and the suppression label ("<5") is written in its place, with a note saying what it means.

The caller supplies the visible heading (a `<figcaption>` or `<h3>`); the chart title here is the
accessible name. Every interpolated text is escaped; the rest is numbers and fixed markup.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

__all__ = ["EMPTY_STATE", "PALETTE", "bar_chart", "interval_chart", "line_chart", "nice_ticks"]

BLUE, ORANGE, GREEN, PURPLE, GREY = "#1d70b8", "#f47738", "#00703c", "#912b88", "#505a5f"
PALETTE = (BLUE, ORANGE, GREEN, PURPLE, GREY)
TEXT, SECONDARY, RULE, STRIPE = "#0b0c0c", "#505a5f", "#b1b4b6", "#f3f2f1"
FONT = "arial, sans-serif"
EMPTY_STATE = '<p class="govuk-body">No data for this chart in this period.</p>'

WIDTH = 640
PLOT_HEIGHT = 200
CHAR_WIDTH = 0.56  # average glyph width of Arial / Liberation Sans as a fraction of the font size
DASHES = ("", "8 4", "2 4", "10 3 2 3", "5 5")
MARKERS = ("circle", "square", "triangle", "diamond", "cross")

Number = int | float


# ---------------------------------------------------------------------------------------- helpers


def nice_ticks(low: float, high: float, max_ticks: int = 6, *, integer: bool = False) -> list[float]:
    """Round axis ticks (steps of 1, 2, 2.5 or 5 × 10^k) covering [low, high].

    A zero-width range still gets two ticks, so callers never divide by zero; `integer` keeps the
    step at 1 or more (counts of children have no fractional ticks)."""
    low, high = min(low, high), max(low, high)
    if high == low:
        high = low + 1
    span = high - low
    raw = span / max(max_ticks - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = 10 * magnitude
    for multiple in (1, 2, 2.5, 5, 10):
        if span / (multiple * magnitude) <= max_ticks - 1:
            step = multiple * magnitude
            break
    if integer and step < 1:
        step = 1
    start = math.floor(low / step + 1e-9) * step
    stop = math.ceil(high / step - 1e-9) * step
    count = max(round((stop - start) / step), 1)
    return [_clean(start + i * step) for i in range(count + 1)]


def _log_ticks(low: float, high: float) -> list[float]:
    """Ticks on a log axis from the 1-2-5 sequence (decades only if that would be crowded); the first
    and last ticks enclose [low, high] and become the axis ends."""
    k_low, k_high = math.floor(math.log10(low)), math.ceil(math.log10(high))
    for multiples in ((1, 2, 5), (1,)):
        candidates = [_clean(m * 10.0**k) for k in range(k_low, k_high + 1) for m in multiples]
        candidates.append(_clean(10.0 ** (k_high + 1)))
        below = max(c for c in candidates if c <= low * (1 + 1e-9))
        above = min(c for c in candidates if c >= high * (1 - 1e-9))
        ticks = [c for c in candidates if below <= c <= above]
        if len(ticks) <= 9:
            break
    return ticks


def _clean(value: float) -> float:
    """Strip floating-point dust (0.30000000000000004 → 0.3) so ticks print and compare cleanly."""
    return round(value, 10) + 0.0


def _fmt(value: Number, unit: str = "", decimals: int | None = None) -> str:
    """1234 → "1,234"; with `decimals`, a fixed number of places rounded half up as a spreadsheet
    would (12.25 → "12.3"); without, as few as needed (ticks: 0.25, 1, 2.5). A "%" unit is appended;
    other units are written once on the axis instead of on every label."""
    auto = decimals is None
    if decimals is None:
        whole = isinstance(value, int) or float(value).is_integer()
        decimals = 0 if whole else 2 if abs(value) < 10 else 1
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{decimals}f}"
    if auto and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + "%" if unit == "%" else text


def _decimals(series: Mapping[str, Sequence[Number | None]]) -> int:
    """One precision for every value label in a chart: whole numbers, else 1 place (2 below 10)."""
    values = [v for vs in series.values() for v in vs if v is not None]
    if all(isinstance(v, int) or float(v).is_integer() for v in values):
        return 0
    return 1 if max(abs(v) for v in values) >= 10 else 2


def _with_unit(value: Number, unit: str, decimals: int | None = None) -> str:
    if unit in ("", "%"):
        return _fmt(value, unit, decimals)
    return f"{_fmt(value, '', decimals)} {unit}"


def _text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


def _wrap(text: str, width: float, size: float, max_lines: int = 3) -> list[str]:
    """Word-wrap a label to an estimated pixel width; overlong text ends in "…" (the <desc> has it
    in full)."""
    max_chars = max(int(width / (size * CHAR_WIDTH)), 3)
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= max_chars or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max_chars - 1].rstrip() + "…"
    return [line if len(line) <= max_chars else line[: max_chars - 1] + "…" for line in lines] or [""]


def _chart_id(kind: str, *payload: object) -> str:
    """A stable id from the chart's content: deterministic output, and two different charts on one
    page never share pattern or title ids."""
    digest = hashlib.sha256(repr((kind, payload)).encode()).hexdigest()[:10]
    return f"chart-{digest}"


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float = 12,
    anchor: str = "start",
    fill: str = TEXT,
    css: str = "",
    extra: str = "",
) -> str:
    class_attr = f' class="{css}"' if css else ""
    return (
        f'<text{class_attr} x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}" '
        f'fill="{fill}"{extra}>{escape(text)}</text>'
    )


def _open_svg(kind: str, chart_id: str, height: float, title: str, desc: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lantern-chart lantern-chart--{kind}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="{FONT}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )


def _finish(parts: list[str]) -> SafeString:
    parts.append("</svg>")
    # Every interpolated text went through escape() above; the rest is numbers and fixed markup.
    return mark_safe("".join(parts))  # noqa: S308


def _empty() -> SafeString:
    return mark_safe(EMPTY_STATE)  # noqa: S308 - a constant


def _check_series(labels: Sequence[str], series: Mapping[str, Sequence[Number | None]], what: str) -> None:
    if len(series) > len(PALETTE):
        raise ValueError(f"A chart shows at most {len(PALETTE)} series; got {len(series)}.")
    for name, values in series.items():
        if len(values) != len(labels):
            raise ValueError(f"Series {name!r} has {len(values)} values for {len(labels)} {what}.")


def _is_empty(labels: Sequence[str], series: Mapping[str, Sequence[Number | None]]) -> bool:
    """Nothing to draw: no categories, no series, or every value zero. A suppressed value is data."""
    if not labels or not series:
        return True
    return all(value is not None and value == 0 for values in series.values() for value in values)


def _describe(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[Number | None]],
    unit: str,
    suppressed: str,
) -> str:
    single = len(series) == 1
    decimals = _decimals(series)
    clauses = []
    for i, label in enumerate(labels):
        values = []
        for name, series_values in series.items():
            value = series_values[i]
            shown = suppressed if value is None else _with_unit(value, unit, decimals)
            values.append(shown if single else f"{name} {shown}")
        clauses.append(f"{label}: {', '.join(values)}")
    text = f"{title}. " + "; ".join(clauses) + "."
    if any(value is None for values in series.values() for value in values):
        text += f" {suppressed} marks a small number suppressed to protect privacy."
    return text


def _patterns(chart_id: str, count: int) -> str:
    """Fill patterns so bar series differ by texture as well as colour (solid, stripes, dots,
    cross-hatch, bands). White marks on the series colour keep the colour dominant."""
    marks = (
        "",
        '<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="#fff" stroke-width="1.6"/>',
        '<circle cx="4" cy="4" r="1.6" fill="#fff"/>',
        '<path d="M0,0 l8,8 M8,0 l-8,8" stroke="#fff" stroke-width="1.2"/>',
        '<path d="M0,4 h8" stroke="#fff" stroke-width="2"/>',
    )
    defs = []
    for i in range(count):
        defs.append(
            f'<pattern id="{chart_id}-p{i}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="{PALETTE[i]}"/>{marks[i]}</pattern>'
        )
    return "<defs>" + "".join(defs) + "</defs>"


def _fill(chart_id: str, index: int) -> str:
    return PALETTE[0] if index == 0 else f"url(#{chart_id}-p{index})"


def _legend_layout(
    names: Sequence[str], top: float, left: float, swatch: float
) -> tuple[list[tuple[float, float]], float]:
    """Positions of legend items, wrapping onto new rows; returns them and the legend's height."""
    positions, x, y = [], left, top
    for name in names:
        item = swatch + 6 + _text_width(name, 12) + 22
        if x > left and x + item > WIDTH - 10:
            x, y = left, y + 22
        positions.append((x, y))
        x += item
    return positions, (y - top) + 22


def _marker(shape: str, x: float, y: float, colour: str, *, hollow: bool = False) -> str:
    fill = "#fff" if hollow else colour
    common = f'fill="{fill}" stroke="{colour}" stroke-width="2"'
    if shape == "circle":
        return f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4.5" {common}/>'
    if shape == "square":
        return f'<rect class="point" x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" {common}/>'
    if shape == "triangle":
        return f'<path class="point" d="M{x:.1f},{y - 5.5:.1f} L{x + 5:.1f},{y + 3.5:.1f} L{x - 5:.1f},{y + 3.5:.1f} Z" {common}/>'
    if shape == "diamond":
        return f'<path class="point" d="M{x:.1f},{y - 5.5:.1f} L{x + 5.5:.1f},{y:.1f} L{x:.1f},{y + 5.5:.1f} L{x - 5.5:.1f},{y:.1f} Z" {common}/>'
    return (
        f'<path class="point" d="M{x - 4.5:.1f},{y - 4.5:.1f} L{x + 4.5:.1f},{y + 4.5:.1f} '
        f'M{x + 4.5:.1f},{y - 4.5:.1f} L{x - 4.5:.1f},{y + 4.5:.1f}" fill="none" stroke="{colour}" stroke-width="2.5"/>'
    )


def _suppression_note(y: float, label: str) -> str:
    return _text(10, y, f"{label} = small number, suppressed to protect privacy", size=11, fill=SECONDARY)


def _all_ints(series: Mapping[str, Sequence[Number | None]]) -> bool:
    return all(
        isinstance(v, int) or (v is not None and float(v).is_integer())
        for values in series.values()
        for v in values
        if v is not None
    )


# ---------------------------------------------------------------------------------------- bar chart


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[int | float | None]],
    *,
    unit: str = "",
    horizontal: bool = False,
    suppressed_label: str = "<5",
) -> SafeString:
    """Grouped bars, one group per category and one bar per series, each labelled with its value.

    `None` is a suppressed small number: no bar, the suppressed label in its place. With no
    categories, no series or only zeros, returns a short "No data" paragraph instead of an SVG.
    `horizontal` suits long category names or many categories."""
    _check_series(categories, series, "categories")
    if _is_empty(categories, series):
        return _empty()
    names = list(series)
    chart_id = _chart_id(
        "bar", title, tuple(categories), tuple((k, tuple(v)) for k, v in series.items()), unit, horizontal
    )
    values = [v for vs in series.values() for v in vs if v is not None]
    ticks = nice_ticks(min([0, *values]), max([0, *values]), 6, integer=_all_ints(series))
    suppressed = any(v is None for vs in series.values() for v in vs)
    desc = _describe(title, categories, series, unit, suppressed_label)
    build = _horizontal_bars if horizontal else _vertical_bars
    return build(title, categories, series, names, chart_id, ticks, unit, suppressed, suppressed_label, desc)


def _vertical_bars(
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[Number | None]],
    names: list[str],
    chart_id: str,
    ticks: list[float],
    unit: str,
    suppressed: bool,
    suppressed_label: str,
    desc: str,
) -> SafeString:
    tick_labels = [_fmt(t, unit) for t in ticks]
    left = 14 + max(_text_width(t, 12) for t in tick_labels)
    right = 12
    plot_w = WIDTH - left - right
    legend_top = 10
    legend: list[tuple[float, float]] = []
    legend_h = 0.0
    if len(names) > 1:
        legend, legend_h = _legend_layout(names, legend_top, left, 14)
    unit_h = 20 if unit and unit != "%" else 0
    group_w = plot_w / len(categories)
    n = len(names)
    bar_w = min(group_w * 0.8 / n, 64)
    decimals = _decimals(series)
    # Value labels sit above their bars; when they are wider than the bars they turn upright so
    # that neighbours do not overprint, and the headroom above the plot grows to fit them.
    label_size = 12 if bar_w >= 26 else 10
    label_widths = [
        _text_width(_fmt(v, unit, decimals), label_size)
        for vs in series.values()
        for v in vs
        if v is not None
    ]
    widest = max(label_widths, default=0)
    upright = widest > bar_w - 2
    headroom = widest + 8 if upright else label_size + 6
    top = legend_top + legend_h + unit_h + headroom
    wrapped = [_wrap(c, group_w - 6, 12) for c in categories]
    label_lines = max(len(lines) for lines in wrapped)
    bottom_axis = top + PLOT_HEIGHT
    height = bottom_axis + 10 + label_lines * 15 + (22 if suppressed else 0) + 6
    low, high = ticks[0], ticks[-1]

    def y(value: float) -> float:
        return top + PLOT_HEIGHT - (value - low) / (high - low) * PLOT_HEIGHT

    parts = [_open_svg("bar", chart_id, height, title, desc), _patterns(chart_id, len(names))]
    for i, ((x, ly), name) in enumerate(zip(legend, names, strict=False)):
        parts.append(
            f'<rect x="{x:.1f}" y="{ly:.1f}" width="14" height="14" fill="{_fill(chart_id, i)}" stroke="{PALETTE[i]}"/>'
        )
        parts.append(_text(x + 20, ly + 12, name))
    if unit_h:
        parts.append(_text(left - 6, legend_top + legend_h + 12, unit.capitalize(), fill=SECONDARY))
    for tick, label in zip(ticks, tick_labels, strict=True):
        colour = TEXT if tick == 0 else RULE
        parts.append(
            f'<line x1="{left:.1f}" x2="{WIDTH - right:.1f}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{colour}" stroke-width="1"/>'
        )
        parts.append(_text(left - 6, y(tick) + 4, label, anchor="end", fill=SECONDARY))
    for c, lines in enumerate(wrapped):
        centre = left + (c + 0.5) * group_w
        for li, line in enumerate(lines):
            parts.append(_text(centre, bottom_axis + 18 + li * 15, line, anchor="middle"))
        first = centre - bar_w * n / 2
        for i, name in enumerate(names):
            value = series[name][c]
            x = first + i * bar_w
            mid = x + bar_w / 2
            if value is None:
                parts.append(
                    _text(
                        mid,
                        y(0) - 5,
                        suppressed_label,
                        size=label_size,
                        anchor="middle",
                        fill=SECONDARY,
                        css="suppressed",
                    )
                )
                continue
            y0, y1 = sorted((y(0), y(value)))
            parts.append(
                f'<rect class="bar" x="{x + 1:.1f}" y="{y0:.1f}" width="{bar_w - 2:.1f}" height="{y1 - y0:.1f}" '
                f'fill="{_fill(chart_id, i)}" stroke="{PALETTE[i]}"/>'
            )
            label_style = {"size": label_size, "css": "value"}
            if upright:
                lx, ly = mid + label_size * 0.35, y(value) - 4 if value >= 0 else y(value) + 4
                label_style |= {"anchor": "start" if value >= 0 else "end"}
                label_style |= {"extra": f' transform="rotate(-90 {lx:.1f} {ly:.1f})"'}
            else:
                lx, ly = mid, y(value) - 5 if value >= 0 else y(value) + label_size + 3
                label_style |= {"anchor": "middle"}
            parts.append(_text(lx, ly, _fmt(value, unit, decimals), **label_style))
    if suppressed:
        parts.append(_suppression_note(height - 10, suppressed_label))
    return _finish(parts)


def _horizontal_bars(
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[Number | None]],
    names: list[str],
    chart_id: str,
    ticks: list[float],
    unit: str,
    suppressed: bool,
    suppressed_label: str,
    desc: str,
) -> SafeString:
    label_w = min(max(_text_width(c, 12) for c in categories) + 14, 200)
    wrapped = [_wrap(c, label_w - 14, 12) for c in categories]
    decimals = _decimals(series)
    widest = max(
        (_text_width(_fmt(v, unit, decimals), 12) for vs in series.values() for v in vs if v is not None),
        default=0,
    )
    left, right = label_w, max(widest + 12, 40)
    plot_w = WIDTH - left - right
    legend: list[tuple[float, float]] = []
    legend_h = 0.0
    if len(names) > 1:
        legend, legend_h = _legend_layout(names, 10, left, 14)
    top = 10 + legend_h + 6
    n = len(names)
    bar_h = 18
    group_h = max(n * bar_h, max(len(lines) for lines in wrapped) * 15) + 14
    plot_h = group_h * len(categories)
    axis_y = top + plot_h
    unit_h = 18 if unit and unit != "%" else 0
    height = axis_y + 24 + unit_h + (22 if suppressed else 0) + 6
    low, high = ticks[0], ticks[-1]

    def x(value: float) -> float:
        return left + (value - low) / (high - low) * plot_w

    parts = [_open_svg("bar", chart_id, height, title, desc), _patterns(chart_id, n)]
    for i, ((lx, ly), name) in enumerate(zip(legend, names, strict=False)):
        parts.append(
            f'<rect x="{lx:.1f}" y="{ly:.1f}" width="14" height="14" fill="{_fill(chart_id, i)}" stroke="{PALETTE[i]}"/>'
        )
        parts.append(_text(lx + 20, ly + 12, name))
    for tick in ticks:
        colour = TEXT if tick == 0 else RULE
        parts.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top:.1f}" y2="{axis_y:.1f}" stroke="{colour}" stroke-width="1"/>'
        )
        parts.append(_text(x(tick), axis_y + 16, _fmt(tick, unit), anchor="middle", fill=SECONDARY))
    if unit_h:
        parts.append(
            _text(left + plot_w / 2, axis_y + 36, unit.capitalize(), anchor="middle", fill=SECONDARY)
        )
    for c, lines in enumerate(wrapped):
        group_top = top + c * group_h + 7
        bars_top = group_top + (group_h - 14 - n * bar_h) / 2
        text_top = group_top + (group_h - 14 - len(lines) * 15) / 2
        for li, line in enumerate(lines):
            parts.append(_text(left - 8, text_top + 12 + li * 15, line, anchor="end"))
        for i, name in enumerate(names):
            value = series[name][c]
            by = bars_top + i * bar_h
            if value is None:
                parts.append(_text(x(0) + 5, by + 13, suppressed_label, fill=SECONDARY, css="suppressed"))
                continue
            x0, x1 = sorted((x(0), x(value)))
            parts.append(
                f'<rect class="bar" x="{x0:.1f}" y="{by + 1:.1f}" width="{x1 - x0:.1f}" height="{bar_h - 2}" '
                f'fill="{_fill(chart_id, i)}" stroke="{PALETTE[i]}"/>'
            )
            if value >= 0:
                parts.append(_text(x(value) + 5, by + 13, _fmt(value, unit, decimals), css="value"))
            else:
                parts.append(
                    _text(x(value) - 5, by + 13, _fmt(value, unit, decimals), anchor="end", css="value")
                )
    if suppressed:
        parts.append(_suppression_note(height - 10, suppressed_label))
    return _finish(parts)


# ---------------------------------------------------------------------------------------- line chart


def line_chart(
    title: str,
    periods: Sequence[str],
    series: Mapping[str, Sequence[int | float | None]],
    *,
    unit: str = "",
    suppressed_label: str = "<5",
) -> SafeString:
    """A trend over periods (quarters), one line per series with its own marker and dash.

    `None` is a suppressed small number: the line breaks there and "<5" is written at the foot of
    the gap (a hollow marker of the series' shape beside it). A single series has every point
    labelled; several series have a legend (the table beside the chart carries the figures)."""
    _check_series(periods, series, "periods")
    if _is_empty(periods, series):
        return _empty()
    names = list(series)
    chart_id = _chart_id("line", title, tuple(periods), tuple((k, tuple(v)) for k, v in series.items()), unit)
    values = [v for vs in series.values() for v in vs if v is not None]
    ticks = nice_ticks(min([0, *values]), max([0, *values]), 6, integer=_all_ints(series))
    suppressed = any(v is None for vs in series.values() for v in vs)
    desc = _describe(title, periods, series, unit, suppressed_label)
    decimals = _decimals(series)

    tick_labels = [_fmt(t, unit) for t in ticks]
    left = 14 + max(_text_width(t, 12) for t in tick_labels)
    right = 16
    plot_w = WIDTH - left - right
    legend: list[tuple[float, float]] = []
    legend_h = 0.0
    if len(names) > 1:
        legend, legend_h = _legend_layout(names, 10, left, 30)
    unit_h = 20 if unit and unit != "%" else 0
    top = 10 + legend_h + unit_h + 12
    band = plot_w / len(periods)
    wrapped = [_wrap(p, band - 4, 12, max_lines=2) for p in periods]
    axis_y = top + PLOT_HEIGHT
    height = axis_y + 10 + max(len(lines) for lines in wrapped) * 15 + (22 if suppressed else 0) + 6
    low, high = ticks[0], ticks[-1]

    def x(index: int) -> float:
        return left + (index + 0.5) * band

    def y(value: float) -> float:
        return top + PLOT_HEIGHT - (value - low) / (high - low) * PLOT_HEIGHT

    parts = [_open_svg("line", chart_id, height, title, desc)]
    for i, ((lx, ly), name) in enumerate(zip(legend, names, strict=False)):
        dash = f' stroke-dasharray="{DASHES[i]}"' if DASHES[i] else ""
        parts.append(
            f'<line x1="{lx:.1f}" x2="{lx + 30:.1f}" y1="{ly + 7:.1f}" y2="{ly + 7:.1f}" stroke="{PALETTE[i]}" stroke-width="3"{dash}/>'
        )
        parts.append(_marker(MARKERS[i], lx + 15, ly + 7, PALETTE[i]))
        parts.append(_text(lx + 36, ly + 12, name))
    if unit_h:
        parts.append(_text(left, 10 + legend_h + 12, unit.capitalize(), fill=SECONDARY))
    for tick, label in zip(ticks, tick_labels, strict=True):
        colour = TEXT if tick == 0 else RULE
        parts.append(
            f'<line x1="{left:.1f}" x2="{WIDTH - right:.1f}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{colour}" stroke-width="1"/>'
        )
        parts.append(_text(left - 6, y(tick) + 4, label, anchor="end", fill=SECONDARY))
    for p, lines in enumerate(wrapped):
        for li, line in enumerate(lines):
            parts.append(_text(x(p), axis_y + 18 + li * 15, line, anchor="middle"))
    for i, name in enumerate(names):
        colour, dash = PALETTE[i], DASHES[i]
        segments: list[str] = []
        pen_down = False
        for p, value in enumerate(series[name]):
            if value is None:
                pen_down = False
                continue
            segments.append(f"{'L' if pen_down else 'M'}{x(p):.1f},{y(value):.1f}")
            pen_down = True
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        if segments:
            parts.append(
                f'<path class="series" d="{" ".join(segments)}" fill="none" stroke="{colour}" stroke-width="3" '
                f'stroke-linejoin="round"{dash_attr}/>'
            )
        for p, value in enumerate(series[name]):
            if value is None:
                # Stack the labels of the series suppressed in this period just above the baseline.
                stack = [other for other in names if series[other][p] is None].index(name)
                gap_y = y(max(low, 0)) - 10 - stack * 18
                parts.append(_marker(MARKERS[i], x(p) - 12, gap_y - 4, colour, hollow=True))
                parts.append(_text(x(p) - 4, gap_y, suppressed_label, fill=SECONDARY, css="suppressed"))
                continue
            parts.append(_marker(MARKERS[i], x(p), y(value), colour))
            if len(names) == 1:
                parts.append(
                    _text(x(p), y(value) - 10, _fmt(value, unit, decimals), anchor="middle", css="value")
                )
    if suppressed:
        parts.append(_suppression_note(height - 10, suppressed_label))
    return _finish(parts)


# ---------------------------------------------------------------------------------------- forest plot

LOG_FLOOR, LOG_CEILING = 0.01, 100.0  # intervals beyond these are drawn to the edge with an arrow


def interval_chart(
    title: str,
    rows: Sequence[tuple[str, float | None, tuple[float, float] | None]],
    *,
    reference: float = 1.0,
    log_scale: bool = True,
    label: str = "odds ratio",
) -> SafeString:
    """A forest plot: one row per (label, estimate, 95% confidence interval), e.g. odds ratios or
    relative rate indices, with a dashed reference line (1 = no difference) on a log axis so that
    halving and doubling sit the same distance either side. The estimate and interval are also
    printed at the right of each row. A row whose estimate is `None` reads "not estimated"; an
    interval that runs off the axis ends in an arrow."""
    if not rows:
        return _empty()
    chart_id = _chart_id("interval", title, tuple(rows), reference, log_scale, label)
    estimates = [r[1] for r in rows if r[1] is not None]
    bounds = [b for r in rows if r[1] is not None and r[2] is not None for b in r[2]]
    observed = [reference, *estimates, *bounds]
    if log_scale:
        positive = [v for v in observed if v > 0] or [reference]
        ticks = _log_ticks(max(min(positive), LOG_FLOOR), min(max(positive), LOG_CEILING))
    else:
        ticks = nice_ticks(min(observed), max(observed), 6)
    low, high = ticks[0], ticks[-1]

    label_w = min(max(_text_width(r[0], 12) for r in rows) + 14, 200)
    wrapped = [_wrap(r[0], label_w - 14, 12, max_lines=2) for r in rows]
    value_w = 150
    left, right = label_w, WIDTH - value_w
    plot_w = right - left - 10
    top = 30
    row_h = max(28, max(len(lines) for lines in wrapped) * 15 + 10)
    axis_y = top + row_h * len(rows)
    height = axis_y + 24 + 22 + 6

    def x(value: float) -> float:
        if log_scale:
            value = min(max(value, low), high) if value > 0 else low
            return left + (math.log(value) - math.log(low)) / (math.log(high) - math.log(low)) * plot_w
        value = min(max(value, low), high)
        return left + (value - low) / (high - low) * plot_w

    def fmt(value: float) -> str:
        return f"{value:,.2f}"

    clauses = []
    for name, estimate, interval in rows:
        if estimate is None:
            clauses.append(f"{name}: not estimated")
        elif interval is None:
            clauses.append(f"{name}: {fmt(estimate)} (no interval)")
        else:
            clauses.append(f"{name}: {fmt(estimate)} (95% CI {fmt(interval[0])} to {fmt(interval[1])})")
    scale = "log scale" if log_scale else "linear scale"
    desc = (
        f"{title}. {label.capitalize()} with 95% confidence intervals, {scale}; {_fmt(reference)} means no difference. "
        + "; ".join(clauses)
        + "."
    )

    parts = [_open_svg("interval", chart_id, height, title, desc)]
    parts.append(
        f'<defs><marker id="{chart_id}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 Z" fill="{TEXT}"/></marker></defs>'
    )
    parts.append(
        _text(WIDTH - 10, 18, "Estimate (95% CI)", anchor="end", fill=SECONDARY, extra=' font-weight="bold"')
    )
    for r, lines in enumerate(wrapped):
        row_top = top + r * row_h
        if r % 2 == 0:
            parts.append(f'<rect x="0" y="{row_top:.1f}" width="{WIDTH}" height="{row_h}" fill="{STRIPE}"/>')
        text_top = row_top + (row_h - len(lines) * 15) / 2
        for li, line in enumerate(lines):
            parts.append(_text(left - 8, text_top + 12 + li * 15, line, anchor="end"))
    for tick in ticks:
        parts.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top:.1f}" y2="{axis_y:.1f}" stroke="{RULE}" stroke-width="1"/>'
        )
        parts.append(_text(x(tick), axis_y + 16, _fmt(tick), anchor="middle", fill=SECONDARY))
    parts.append(
        f'<line x1="{left:.1f}" x2="{left + plot_w:.1f}" y1="{axis_y:.1f}" y2="{axis_y:.1f}" stroke="{TEXT}"/>'
    )
    ref_x = x(reference)
    parts.append(
        f'<line class="reference" x1="{ref_x:.1f}" x2="{ref_x:.1f}" y1="{top - 4:.1f}" y2="{axis_y:.1f}" '
        f'stroke="{TEXT}" stroke-width="1.5" stroke-dasharray="5 3"/>'
    )
    parts.append(
        _text(
            left + plot_w / 2,
            axis_y + 36,
            f"{label.capitalize()} ({scale}); dashed line at {_fmt(reference)} = no difference",
            anchor="middle",
            fill=SECONDARY,
        )
    )
    for r, (_name, estimate, interval) in enumerate(rows):
        mid = top + r * row_h + row_h / 2
        if estimate is None:
            parts.append(
                _text(
                    WIDTH - 10,
                    mid + 4,
                    "not estimated",
                    anchor="end",
                    fill=SECONDARY,
                    css="not-estimated",
                    extra=' font-style="italic"',
                )
            )
            continue
        if interval is not None:
            lo, hi = sorted(interval)
            clipped_lo = lo < low or (log_scale and lo <= 0)
            clipped_hi = hi > high
            start = f' marker-start="url(#{chart_id}-arrow)"' if clipped_lo else ""
            end = f' marker-end="url(#{chart_id}-arrow)"' if clipped_hi else ""
            parts.append(
                f'<line class="ci" x1="{x(lo):.1f}" x2="{x(hi):.1f}" y1="{mid:.1f}" y2="{mid:.1f}" stroke="{TEXT}" '
                f'stroke-width="2"{start}{end}/>'
            )
            for bound, clipped in ((lo, clipped_lo), (hi, clipped_hi)):
                if not clipped:
                    parts.append(
                        f'<line x1="{x(bound):.1f}" x2="{x(bound):.1f}" y1="{mid - 5:.1f}" y2="{mid + 5:.1f}" stroke="{TEXT}" stroke-width="2"/>'
                    )
            text = f"{fmt(estimate)} ({fmt(lo)}–{fmt(hi)})"
        else:
            text = f"{fmt(estimate)} (no interval)"
        ex = x(estimate)
        parts.append(
            f'<rect class="estimate" x="{ex - 5:.1f}" y="{mid - 5:.1f}" width="10" height="10" fill="{BLUE}" '
            f'stroke="{TEXT}" stroke-width="1"/>'
        )
        parts.append(_text(WIDTH - 10, mid + 4, text, anchor="end", css="value"))
    return _finish(parts)
