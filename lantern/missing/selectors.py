"""Reads about missing children. Every list is limited to children the viewer has a legitimate
relationship with and to items the policy lets the viewer's agency see; every read writes its audit
row naming the children shown."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import QuerySet

from lantern.access.policy import Viewer, item_is_visible, item_visibility_q, relationship_q
from lantern.access.roles import Cap
from lantern.analytics.missing import AGE_BANDS, age_band, age_on
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.exceptions import AccessDenied
from lantern.core.timeutils import LONDON, local, now
from lantern.screening.models import SuggestedIndicator

from .models import (
    MissingCall,
    MissingReport,
    PhilomenaProfile,
    PhilomenaRelease,
    ReturnHomeInterview,
    RiskGrading,
)


def _require(viewer: Viewer) -> None:
    if not viewer.can(Cap.MISSING_RECORD):
        raise AccessDenied("Your role does not include missing children's work.")


def visible_reports(viewer: Viewer) -> QuerySet[MissingReport]:
    """Reports of children the viewer has a relationship with, whose item the viewer's agency may see."""
    return MissingReport.objects.filter(relationship_q(viewer, "item__person_id")).filter(
        item_visibility_q(viewer, "item__")
    )


@dataclass
class Dashboard:
    open_reports: list[MissingReport]
    open_by_grade: dict[str, int]
    due_today: list[ReturnHomeInterview]
    overdue: list[ReturnHomeInterview]
    awaiting: list[ReturnHomeInterview]
    quarter_start: dt.date
    # (age band, boys (episodes, children), girls (episodes, children)), youngest band first
    by_band: list[tuple[str, tuple[int, int], tuple[int, int]]] = field(default_factory=list)


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def missing_dashboard(*, viewer: Viewer, at: dt.datetime | None = None) -> Dashboard:
    """Open episodes by risk grade, interviews due today and overdue, returns awaiting interview, and
    this quarter's episodes and children by sex and age band."""
    _require(viewer)
    at = at or now()
    reports = visible_reports(viewer).select_related("item__person")
    open_reports = sorted(
        reports.filter(returned_at__isnull=True),
        key=lambda r: (-["no_apparent_risk", "low", "medium", "high"].index(r.risk_grade), r.reported_at),
    )
    owed = list(
        ReturnHomeInterview.objects.filter(
            outcome="", report__in=reports, report__returned_at__gte=at - dt.timedelta(days=28)
        )
        .select_related("report__item__person", "assigned_to")
        .order_by("due_at")
    )
    end_of_today = dt.datetime.combine(local(at).date(), dt.time.max, tzinfo=LONDON)
    overdue = [r for r in owed if r.due_at < at]
    due_today = [r for r in owed if at <= r.due_at <= end_of_today]
    start = quarter_start(local(at).date())
    cells: dict[tuple[str, str], tuple[Counter, set]] = {}
    for report in reports.filter(reported_at__gte=dt.datetime.combine(start, dt.time(), tzinfo=LONDON)):
        person = report.item.person
        age = age_on(person.display_dob, local(report.reported_at).date())
        if age is not None and age >= 18:
            continue
        key = (person.display_sex or "U", age_band(age))
        episodes, children = cells.setdefault(key, (Counter(), set()))
        episodes["n"] += 1
        children.add(person.pk)
    shown = {r.item.person_id for r in open_reports} | {r.report.item.person_id for r in owed}
    audit_record(
        code=AuditCode.MISSING_DASHBOARD_VIEWED,
        viewer=viewer,
        subjects=shown,
        object_type="missing_dashboard",
        justification="Missing children's work",
        details={"open": len(open_reports), "interviews_owed": len(owed)},
    )
    return Dashboard(
        open_reports=open_reports,
        open_by_grade=dict(Counter(r.risk_grade for r in open_reports)),
        due_today=due_today,
        overdue=overdue,
        awaiting=[r for r in owed if r.due_at > end_of_today],
        quarter_start=start,
        by_band=[
            (
                band,
                *(
                    (cells[(s, band)][0]["n"], len(cells[(s, band)][1])) if (s, band) in cells else (0, 0)
                    for s in "MF"
                ),
            )
            for band in [b for *_, b in AGE_BANDS]
            if any((s, band) in cells for s in "MF")
        ],
    )


@dataclass
class ReportView:
    report: MissingReport
    gradings: list[RiskGrading]
    rhi: ReturnHomeInterview | None
    care_episodes: list
    releases: list[PhilomenaRelease]
    suggested: list[SuggestedIndicator]
    calls: list[MissingCall]


def missing_report_get(*, viewer: Viewer, report_id: int) -> ReportView:
    report = (
        MissingReport.objects.filter(pk=report_id)
        .filter(relationship_q(viewer, "item__person_id"))
        .filter(item_visibility_q(viewer, "item__"))
        .select_related("item__person", "item__controller", "police_force", "prevention_interview")
        .first()
    )
    if report is None or not viewer.can(Cap.PERSON_VIEW):
        # The same refusal whether or not it exists, so report ids cannot be probed.
        audit_record(
            code=AuditCode.ACCESS_REFUSED,
            viewer=viewer,
            object_type="missing_report",
            object_id=report_id,
            justification="No legitimate relationship or item not shared",
        )
        raise AccessDenied("You cannot see this missing report.")
    rhi = (
        ReturnHomeInterview.objects.filter(report=report)
        .select_related("assigned_to", "provider", "item")
        .first()
    )
    care = [
        e
        for e in report.care_episodes.select_related("item__controller")
        if item_is_visible(
            viewer,
            controller_id=e.item.controller_id,
            item_type=e.item.item_type,
            purpose=e.item.purpose,
            handling=e.item.handling_code,
        )  # fmt: skip
    ]
    suggested = []
    if rhi and rhi.item_id:
        suggested = list(
            SuggestedIndicator.objects.filter(source_item_id=rhi.item_id).filter(item_visibility_q(viewer))
        )
    calls = list(report.calls.filter(controller=viewer.agency)) if viewer.can(Cap.MISSING_RECORD) else []
    audit_record(
        code=AuditCode.MISSING_REPORT_VIEWED,
        viewer=viewer,
        subjects=[report.item.person_id],
        object_type="missing_report",
        object_id=report.pk,
        justification="Missing episode",
    )
    return ReportView(
        report=report,
        gradings=list(report.gradings.select_related("graded_by")),
        rhi=rhi,
        care_episodes=care,
        releases=list(report.philomena_releases.select_related("released_to", "released_by")),
        suggested=suggested,
        calls=calls,
    )


def philomena_get(*, viewer: Viewer, person_id: uuid.UUID) -> tuple[PhilomenaProfile | None, str]:
    """The profile the viewer may see, with why: the holder's own copy, or a copy released to the
    viewer's force for a missing report still open. (None, "") when there is none to see."""
    profiles = PhilomenaProfile.objects.filter(person_id=person_id).filter(
        relationship_q(viewer, "person_id")
    )
    own = profiles.filter(controller=viewer.agency).first()
    basis = "held by your agency"
    if own is None:
        own = (
            profiles.filter(releases__released_to=viewer.agency, releases__report__returned_at__isnull=True)
            .distinct()
            .first()
        )
        basis = "released to your force for an open missing report"
    if own is None:
        return None, ""
    audit_record(
        code=AuditCode.MISSING_REPORT_VIEWED,
        viewer=viewer,
        subjects=[person_id],
        object_type="philomena_profile",
        object_id=own.pk,
        justification=f"Philomena profile ({basis})",
    )
    return own, basis


def call_log(*, viewer: Viewer, limit: int = 200) -> list[MissingCall]:
    """Calls to the missing line taken by the viewer's agency."""
    _require(viewer)
    calls = list(
        MissingCall.objects.filter(controller=viewer.agency)
        .select_related("caller_agency", "recorded_by", "report")
        .order_by("-received_at")[:limit]
    )
    audit_record(
        code=AuditCode.CALL_LOG_VIEWED,
        viewer=viewer,
        subjects=[c.person_id for c in calls if c.person_id],
        object_type="missing_call_log",
        justification="Missing children phone line",
        details={"calls": len(calls)},
    )
    return calls


def most_frequent_missing(*, viewer: Viewer, start: dt.date, end: dt.date, top: int = 10) -> list[tuple]:
    """The children reported missing most often in [start, end), among those the viewer may see."""
    _require(viewer)
    lo = dt.datetime.combine(start, dt.time(), tzinfo=LONDON)
    hi = dt.datetime.combine(end, dt.time(), tzinfo=LONDON)
    counts = Counter(
        visible_reports(viewer)
        .filter(reported_at__gte=lo, reported_at__lt=hi)
        .values_list("item__person_id", flat=True)
    )
    ranked = [(pid, n) for pid, n in counts.most_common() if n > 1][:top]
    from lantern.people.models import Person

    people = Person.objects.in_bulk([pid for pid, _ in ranked])
    audit_record(
        code=AuditCode.MISSING_DASHBOARD_VIEWED,
        viewer=viewer,
        subjects=[pid for pid, _ in ranked],
        object_type="most_frequent_missing",
        justification="Most frequent missing children",
        details={"start": start.isoformat(), "end": end.isoformat()},
    )
    return [(people[pid], n) for pid, n in ranked]
