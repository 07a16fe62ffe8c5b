"""Background jobs for reporting (Django's tasks API): arguments are ids, so a job survives a
restart of the web server; each job records its own outcome on its row."""

from __future__ import annotations

from django_tasks import task

from .models import BoardReport, Extract
from .services import board_report_build, extract_build


@task()
def extract_build_task(extract_id: str) -> dict:
    extract = extract_build(Extract.objects.get(pk=extract_id))
    return {"extract": extract_id, "row_counts": extract.row_counts}


@task()
def board_report_build_task(report_id: str) -> dict:
    report = board_report_build(BoardReport.objects.get(pk=report_id))
    return {"report": report_id, "status": report.status}
