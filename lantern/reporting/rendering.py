"""A built report's sections with their charts drawn, and the self-contained HTML that Chromium prints."""

from __future__ import annotations

from django.template.loader import render_to_string

from lantern.core.timeutils import now

from . import charts
from .models import BoardReport
from .pdf import PRINT_CSS


def _chart(chart: dict):
    options = chart.get("options", {})
    if chart["kind"] == "line":
        return charts.line_chart(chart["title"], chart["categories"], chart["series"])
    if chart["kind"] == "interval":
        rows = [(label, est, tuple(ci) if ci else None) for label, est, ci in chart["rows"]]
        return charts.interval_chart(chart["title"], rows, label=options.get("label", "odds ratio"))
    return charts.bar_chart(
        chart["title"], chart["categories"], chart["series"], unit=options.get("unit", ""),
        horizontal=options.get("horizontal", False),
    )  # fmt: skip


def sections(report: BoardReport) -> list[dict]:
    return [
        {**s, "figures": [(c["title"], _chart(c)) for c in s["charts"]]}
        for s in report.data.get("sections", [])
    ]


def print_html(report: BoardReport) -> str:
    return render_to_string(
        "reporting/print.html",
        {"report": report, "sections": sections(report), "print_css": PRINT_CSS, "printed_at": now()},
    )
