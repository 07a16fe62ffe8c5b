"""Building the analytics extract and the board report (background jobs; docs/reporting.md).

Every build is requested by a user with the reporting capability or by the quarterly schedule, runs
in the worker, reports its progress on its row, and writes its audit row when it finishes. A failed
or killed build leaves no half-written extract in use: files are written to a temporary directory
and renamed into place only when complete."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import shutil
from pathlib import Path

from django.conf import settings
from django.db import transaction

from lantern.access.policy import Viewer
from lantern.access.roles import Cap
from lantern.analytics.board import Period, board_report
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.timeutils import local, now

from .extract import SCHEMA_VERSION, Pseudonymiser, write_extract
from .models import BoardReport, Extract, JobStatus

logger = logging.getLogger(__name__)
# A report reuses an extract built within this long; otherwise it builds a fresh one.
EXTRACT_FRESH_FOR = dt.timedelta(hours=24)
SCHEDULE_ACTOR = "quarterly board report schedule"


def suppression_threshold() -> int:
    return settings.LANTERN_SUPPRESS_BELOW


def _require(viewer: Viewer | None, capability: str) -> None:
    if viewer is not None and not viewer.can(capability):
        raise AccessDenied("Your role cannot build reports.")


def _enqueue(task, job, *args) -> None:
    try:
        task.enqueue(str(job.pk), *args)
    except Exception:
        type(job).objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error="Could not queue the job.")
        raise


def extract_request(*, viewer: Viewer) -> Extract:
    """Queue a new pseudonymised extract (analysts download it; reports build one as needed)."""
    from . import tasks

    _require(viewer, Cap.REPORT_EXTRACT)
    extract = Extract.objects.create(requested_by=viewer.user, pseudonym_key=secrets.token_hex(32))
    _enqueue(tasks.extract_build_task, extract)
    return extract


def _progress(job, stage: str, percent: int) -> None:
    type(job).objects.filter(pk=job.pk).update(stage=stage[:100], progress=percent, updated_at=now())


def extract_build(extract: Extract, *, on_progress=None) -> Extract:
    """Write the extract's Parquet files. Runs in the worker (or inline for the command line)."""
    Extract.objects.filter(pk=extract.pk).update(status=JobStatus.RUNNING, updated_at=now())
    root = Path(settings.DATA_DIR) / "reporting" / "extracts"
    final, work = root / str(extract.pk), root / f"{extract.pk}.tmp"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    as_of = now()

    def progress(stage: str, percent: int) -> None:
        _progress(extract, stage, percent)
        if on_progress:
            on_progress(stage, percent)

    try:
        counts = write_extract(work, Pseudonymiser(extract.pseudonym_key), progress)
        shutil.rmtree(final, ignore_errors=True)
        work.rename(final)
    except Exception as error:
        shutil.rmtree(work, ignore_errors=True)
        Extract.objects.filter(pk=extract.pk).update(status=JobStatus.FAILED, error=str(error)[:2000])
        raise
    with transaction.atomic():
        Extract.objects.filter(pk=extract.pk).update(
            status=JobStatus.READY, progress=100, stage="", relative_path=str(final.relative_to(settings.DATA_DIR)),
            row_counts=counts, as_of=as_of, finished_at=now(),
        )  # fmt: skip
        audit_record(
            code=AuditCode.REPORT_BUILT,
            system_actor="reporting worker",
            object_type="analytics_extract",
            object_id=str(extract.pk),
            justification="Pseudonymised analytics extract built (keyed hashes, no identities)",
            details={
                "row_counts": counts,
                "requested_by": extract.requested_by.username if extract.requested_by else "",
            },
        )
    extract.refresh_from_db()
    return extract


def extract_is_current(extract: Extract) -> bool:
    """Its files are there and were written with this version's tables and columns."""
    try:
        manifest = json.loads((extract.path / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    return manifest.get("schema_version") == SCHEMA_VERSION


def board_report_request(
    *, period: Period, viewer: Viewer | None = None, system_actor: str = ""
) -> BoardReport:
    """Queue the board report for a quarter (the page's button, the command line, the schedule)."""
    from . import tasks

    _require(viewer, Cap.REPORT_VIEW)
    if period.start > local(now()).date():
        raise ValidationFailed(
            {"period": f"{period.code} has not started yet: choose a quarter that has begun"}
        )
    report = BoardReport.objects.create(
        period=period.code,
        threshold=suppression_threshold(),
        requested_by=viewer.user if viewer else None,
        requested_by_system=system_actor,
    )
    _enqueue(tasks.board_report_build_task, report)
    return report


def _fresh_extract(on_progress) -> Extract:
    recent = Extract.objects.filter(
        status=JobStatus.READY, finished_at__gte=now() - EXTRACT_FRESH_FOR
    ).first()
    if recent and extract_is_current(recent):
        return recent
    extract = Extract.objects.create(requested_by_system="board report", pseudonym_key=secrets.token_hex(32))
    return extract_build(extract, on_progress=on_progress)


def board_report_build(report: BoardReport, *, on_progress=None) -> BoardReport:
    """Compute every section from a fresh extract and store them on the report."""
    BoardReport.objects.filter(pk=report.pk).update(status=JobStatus.RUNNING, updated_at=now())

    def progress(stage: str, percent: int) -> None:
        _progress(report, stage, percent)
        if on_progress:
            on_progress(stage, percent)

    try:
        extract = _fresh_extract(lambda stage, pct: progress(stage, int(pct * 0.7)))
        progress("Computing the sections", 75)
        data = board_report(extract.path, Period.parse(report.period), report.threshold)
    except Exception as error:
        BoardReport.objects.filter(pk=report.pk).update(status=JobStatus.FAILED, error=str(error)[:2000])
        raise
    with transaction.atomic():
        BoardReport.objects.filter(pk=report.pk).update(
            status=JobStatus.READY, progress=100, stage="", extract=extract, data=data, finished_at=now()
        )
        audit_record(
            code=AuditCode.REPORT_BUILT,
            system_actor="reporting worker",
            object_type="board_report",
            object_id=str(report.pk),
            justification=f"Board report built for {report.period} (aggregates, small numbers suppressed)",
            details={"period": report.period, "extract": str(extract.pk), "threshold": report.threshold},
        )
    report.refresh_from_db()
    return report


def board_report_schedule(*, today: dt.date | None = None) -> BoardReport | None:
    """The quarterly schedule (run daily by cron, see docs/reporting.md): once a quarter has ended,
    queue its report unless one exists already."""
    today = today or local(now()).date()
    quarter = Period.containing(today).previous()
    if BoardReport.objects.filter(period=quarter.code).exclude(status=JobStatus.FAILED).exists():
        return None
    return board_report_request(period=quarter, system_actor=SCHEDULE_ACTOR)
