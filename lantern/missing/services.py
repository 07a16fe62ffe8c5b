"""Every write about missing children: reports opened, re-graded and closed in Lantern; interviews;
Philomena profiles and their release to police; the phone line; and the working view derived from
agency imports (police reports, SSDA903 episodes, interviews). Each write checks the actor, validates,
saves and audits in one transaction, then lets the alert rules look at the child again."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from lantern.access.models import Agency
from lantern.access.policy import Viewer, relationship_basis
from lantern.access.roles import Cap
from lantern.access.selectors import team_for_service
from lantern.access.services import relationships_ensure
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.codelists import codelist
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.timeutils import local, now
from lantern.people.models import LANTERN_SOURCE, Person, TimelineItem, lantern_source
from lantern.screening.models import SuggestedIndicator

from .models import (
    CareMissingEpisode,
    MissingCall,
    MissingReport,
    PhilomenaProfile,
    PhilomenaRelease,
    PreventionInterview,
    ReturnHomeInterview,
    RiskGrading,
)

RHI_WINDOW = dt.timedelta(hours=72)  # DfE statutory guidance 2014 (standards.md §1.1)
# Imported history older than this is context, not work: it opens no relationship for the missing team.
WORK_LOOKBACK = dt.timedelta(days=28)
DISCLOSURE_FREE_TEXT_LIMIT = 2000
MISSING_ITEM_TYPES = ("missing_report", "missing_episode_903", "return_home_interview")


def rhi_due_at(returned_at: dt.datetime) -> dt.datetime:
    """72 elapsed hours after the return, shown in Europe/London (across a clock change the local
    wall-clock time moves by an hour; the elapsed time does not)."""
    # Aware arithmetic in one zone is wall-clock arithmetic in Python: add the hours in UTC.
    return local(returned_at.astimezone(dt.UTC) + RHI_WINDOW)


def _fmt(moment: dt.datetime) -> str:
    return local(moment).strftime("%d/%m/%Y %H:%M")


def _require(viewer: Viewer, capability: str, message: str) -> None:
    if not viewer.can(capability):
        raise AccessDenied(message)


def _require_relationship(viewer: Viewer, person_id: uuid.UUID) -> str:
    basis = relationship_basis(viewer, person_id)
    if basis is None:
        raise AccessDenied("You do not have a legitimate relationship with this child.")
    return basis


def _refresh_alerts(person_ids: Iterable[uuid.UUID]) -> None:
    from lantern.alerts.services import alerts_refresh

    alerts_refresh(person_ids=set(person_ids))


# ------------------------------------------------------------------------------ police reports


@dataclass
class ReportIn:
    person_id: uuid.UUID
    police_force_id: int
    reported_at: dt.datetime
    risk_grade: str
    missing_from: str = "home"
    reported_by: str = ""
    last_seen_at: dt.datetime | None = None
    last_seen_by: str = ""
    last_seen_where: str = ""
    circumstances: str = ""
    rationale: str = ""


def _overlap_problem(
    person_id: uuid.UUID, start: dt.datetime, end: dt.datetime | None, exclude: int | None
) -> str:
    """A child cannot be missing twice at once: refuse with the episode it would overlap."""
    others = MissingReport.objects.filter(item__person_id=person_id).exclude(pk=exclude)
    later_end = end or dt.datetime.max.replace(tzinfo=dt.UTC)
    clash = (
        others.filter(reported_at__lt=later_end)
        .filter(Q(returned_at__isnull=True) | Q(returned_at__gt=start))
        .order_by("reported_at")
        .first()
    )
    if clash is None:
        return ""
    until = f"returned {_fmt(clash.returned_at)}" if clash.returned_at else "still open"
    return (
        f"overlaps missing report {clash.occurrence_ref or clash.pk} (reported {_fmt(clash.reported_at)}, "
        f"{until}); record the return on that report, or correct its times, first"
    )


def _validate_report(data: ReportIn, at: dt.datetime) -> tuple[dict[str, str], Agency | None]:
    errors: dict[str, str] = {}
    force = Agency.objects.filter(pk=data.police_force_id).first()
    if force is None or not force.is_law_enforcement:
        errors["police_force"] = "Choose the police force the child was reported to"
    if data.risk_grade not in codelist("missing_risk"):
        errors["risk_grade"] = "Choose a risk grade: very low, low, medium or high"
    if data.missing_from not in codelist("missing_from"):
        errors["missing_from"] = "Choose where the child was missing from"
    if data.reported_at > at:
        errors["reported_at"] = f"The report time cannot be in the future (now {_fmt(at)})"
    if data.last_seen_at is not None and data.last_seen_at > data.reported_at:
        errors["last_seen_at"] = f"Last seen must be on or before the report time ({_fmt(data.reported_at)})"
    if not errors:
        start = data.last_seen_at or data.reported_at
        if problem := _overlap_problem(data.person_id, start, None, None):
            errors["reported_at"] = f"This report {problem}"
    return errors, force


@transaction.atomic
def missing_report_open(*, viewer: Viewer, data: ReportIn) -> MissingReport:
    """Record a police missing report in Lantern. Opens the episode, releases any Philomena profile to
    the force (logged as a disclosure), notifies the front door and gives the missing team the child."""
    _require(viewer, Cap.MISSING_RECORD, "Your role does not include recording missing episodes.")
    _require_relationship(viewer, data.person_id)
    at = now()
    errors, force = _validate_report(data, at)
    if errors:
        raise ValidationFailed(errors)
    person = Person.objects.get(pk=data.person_id)
    ref = f"LAN-MPR-{uuid.uuid4().hex[:8].upper()}"
    item = TimelineItem.objects.create(
        person=person,
        controller=viewer.agency,
        purpose="safeguarding",
        item_type="missing_report",
        source_reference=lantern_source(f"recorded by {viewer.user.username}"),
        occurred_at=data.reported_at,
        recorded_at=at,
        summary=f"Reported missing from {codelist('missing_from').label(data.missing_from).lower()} "
        f"(risk {codelist('missing_risk').label(data.risk_grade).lower()})",
        details={"risk_grade": data.risk_grade, "missing_from": data.missing_from, "occurrence_ref": ref},
        event_key=f"MPR:{ref}",
    )
    report = MissingReport.objects.create(
        item=item,
        police_force=force,
        occurrence_ref=ref,
        reported_at=data.reported_at,
        reported_by=data.reported_by.strip(),
        last_seen_at=data.last_seen_at,
        last_seen_by=data.last_seen_by.strip(),
        last_seen_where=data.last_seen_where.strip(),
        circumstances=data.circumstances.strip(),
        missing_from=data.missing_from,
        risk_grade=data.risk_grade,
    )
    RiskGrading.objects.create(
        report=report,
        grade=data.risk_grade,
        graded_at=at,
        graded_by=viewer.user,
        rationale=data.rationale.strip(),
    )
    audit_record(
        code=AuditCode.MISSING_REPORT_RECORDED,
        viewer=viewer,
        subjects=[person.pk],
        object_type="missing_report",
        object_id=report.pk,
        justification="Child reported missing",
        details={"risk_grade": data.risk_grade, "police_force": force.code},
    )
    _release_philomena(report, force, viewer=viewer)
    _give_missing_team([person.pk], reason=f"Missing report {ref}")
    from lantern.referrals.services import contact_from_missing_report

    contact_from_missing_report(report=report, system_actor="missing report")
    _refresh_alerts([person.pk])
    return report


def _release_philomena(report: MissingReport, force: Agency, *, viewer: Viewer | None) -> int:
    """Release every Philomena profile held for the child to the force handling the report."""
    person_id = report.item.person_id
    released = 0
    for profile in PhilomenaProfile.objects.filter(person_id=person_id):
        _, created = PhilomenaRelease.objects.get_or_create(
            profile=profile,
            report=report,
            defaults={
                "released_to": force,
                "released_at": now(),
                "released_by": viewer.user if viewer else None,
            },
        )
        if created:
            released += 1
            audit_record(
                code=AuditCode.PHILOMENA_RELEASED,
                viewer=viewer,
                system_actor="" if viewer else "missing report",
                subjects=[person_id],
                object_type="philomena_profile",
                object_id=profile.pk,
                justification=f"Philomena Protocol: released to {force.name} for missing report "
                f"{report.occurrence_ref}",
                details={"released_to": force.code, "report": report.pk},
            )
    return released


def _give_missing_team(person_ids: Iterable[uuid.UUID], *, reason: str) -> None:
    team = team_for_service("missing")
    if team is not None:
        relationships_ensure(
            person_ids=person_ids, team=team, kind="referral", reason=reason, system_actor="missing episode"
        )


def _editable_report(viewer: Viewer, report_id: int) -> MissingReport:
    _require(viewer, Cap.MISSING_RECORD, "Your role does not include recording missing episodes.")
    report = MissingReport.objects.select_related("item").filter(pk=report_id).first()
    if report is None:
        raise ValidationFailed({"report": "No such missing report"})
    _require_relationship(viewer, report.item.person_id)
    return report


def _report_updated(viewer: Viewer, report: MissingReport, why: str, details: dict) -> None:
    """The audit row of a change to an episode, then the alert rules for the child."""
    audit_record(
        code=AuditCode.MISSING_REPORT_UPDATED,
        viewer=viewer,
        subjects=[report.item.person_id],
        object_type="missing_report",
        object_id=report.pk,
        justification=why,
        details=details,
    )
    _refresh_alerts([report.item.person_id])


@transaction.atomic
def missing_report_regrade(*, viewer: Viewer, report_id: int, grade: str, rationale: str) -> MissingReport:
    report = _editable_report(viewer, report_id)
    errors = {}
    if grade not in codelist("missing_risk"):
        errors["grade"] = "Choose a risk grade: very low, low, medium or high"
    if not rationale.strip():
        errors["rationale"] = "Enter why the risk grade changed"
    if not report.is_open:
        errors["grade"] = "This episode has closed: the child returned " + _fmt(report.returned_at)
    if errors:
        raise ValidationFailed(errors)
    previous = report.risk_grade
    report.risk_grade = grade
    report.save(update_fields=["risk_grade", "updated_at"])
    RiskGrading.objects.create(
        report=report, grade=grade, graded_at=now(), graded_by=viewer.user, rationale=rationale.strip()
    )
    _report_updated(viewer, report, "Risk re-graded", {"from": previous, "to": grade})
    return report


@transaction.atomic
def missing_report_return(
    *,
    viewer: Viewer,
    report_id: int,
    returned_at: dt.datetime,
    found_location: str,
    found_out_of_area: bool,
    found_with: str = "",
) -> MissingReport:
    """Record that the child was found or returned: closes the episode and opens the 72-hour RHI clock."""
    report = _editable_report(viewer, report_id)
    at = now()
    errors: dict[str, str] = {}
    if not report.is_open:
        errors["returned_at"] = f"The return was already recorded ({_fmt(report.returned_at)})"
    elif returned_at > at:
        errors["returned_at"] = f"The return time cannot be in the future (now {_fmt(at)})"
    elif returned_at < report.reported_at:
        errors["returned_at"] = f"The return must be on or after the report ({_fmt(report.reported_at)})"
    elif problem := _overlap_problem(report.item.person_id, report.reported_at, returned_at, report.pk):
        errors["returned_at"] = f"This episode {problem}"
    if not found_location.strip():
        errors["found_location"] = "Enter where the child was found or returned to"
    if errors:
        raise ValidationFailed(errors)
    report.returned_at = returned_at
    report.found_location = found_location.strip()
    report.found_out_of_area = found_out_of_area
    report.found_with = found_with.strip()
    report.save()
    report.item.details = {
        **report.item.details,
        "returned_at": returned_at.isoformat(),
        "found_location": report.found_location,
        "found_out_of_area": found_out_of_area,
    }
    report.item.summary = f"{report.item.summary}; found ({report.found_location})"[:300]
    report.item.save(update_fields=["details", "summary", "updated_at"])
    ReturnHomeInterview.objects.get_or_create(report=report, defaults={"due_at": rhi_due_at(returned_at)})
    _report_updated(viewer, report, "Child found or returned", {"found_out_of_area": found_out_of_area})
    return report


@transaction.atomic
def prevention_interview_record(
    *, viewer: Viewer, report_id: int, held_at: dt.datetime, officer: str, notes: str = ""
) -> PreventionInterview:
    report = _editable_report(viewer, report_id)
    errors = {}
    if report.is_open:
        errors["held_at"] = "Record the return before the prevention interview"
    elif held_at < report.returned_at or held_at > now():
        errors["held_at"] = f"Enter a time between the return ({_fmt(report.returned_at)}) and now"
    if not officer.strip():
        errors["officer"] = "Enter the officer who held the interview"
    if errors:
        raise ValidationFailed(errors)
    interview, _ = PreventionInterview.objects.update_or_create(
        report=report,
        defaults={
            "held_at": held_at,
            "officer": officer.strip(),
            "notes": notes.strip(),
            "recorded_by": viewer.user,
        },
    )
    _report_updated(viewer, report, "Police prevention interview recorded", {})
    return interview


# ------------------------------------------------------------------------------ return home interviews


@dataclass
class InterviewIn:
    outcome: str
    offered_at: dt.datetime
    held_at: dt.datetime | None = None
    interviewer_name: str = ""
    outcome_reason: str = ""
    push_pull_factors: str = ""
    where_went: str = ""
    who_with: str = ""
    travel: str = ""
    disclosures: list[str] = field(default_factory=list)
    disclosure_notes: str = ""


def _validate_interview(rhi: ReturnHomeInterview, data: InterviewIn, at: dt.datetime) -> dict[str, str]:
    errors: dict[str, str] = {}
    report = rhi.report
    if report.is_open:
        return {"outcome": "The child has not returned yet: an interview follows a return"}
    if data.outcome not in codelist("rhi_outcome"):
        errors["outcome"] = "Choose whether the interview was held, declined or not conducted"
    if not report.returned_at <= data.offered_at <= at:
        errors["offered_at"] = (
            f"Enter when it was offered: after the return ({_fmt(report.returned_at)}) and not in the future"
        )
    if data.outcome == "completed":
        if data.held_at is None or not data.offered_at <= data.held_at <= at:
            errors["held_at"] = (
                "Enter when the interview was held: on or after the offer and not in the future"
            )
        if not data.interviewer_name.strip():
            errors["interviewer_name"] = "Enter who held the interview"
    elif data.outcome in ("declined", "not_conducted") and not data.outcome_reason.strip():
        errors["outcome_reason"] = "Enter the reason (for a refusal, what carers said if they were asked)"
    unknown = [c for c in data.disclosures if c not in codelist("cce_indicator")]
    if unknown:
        errors["disclosures"] = f"Unknown indicator codes: {', '.join(unknown)}"
    if data.disclosures and data.outcome != "completed":
        errors["disclosures"] = "Disclosures are recorded from an interview that was held"
    return errors


@transaction.atomic
def return_interview_record(*, viewer: Viewer, report_id: int, data: InterviewIn) -> ReturnHomeInterview:
    """Record the RHI outcome. Disclosures of exploitation become suggested screening indicators, each
    linked back to the interview."""
    report = _editable_report(viewer, report_id)
    rhi = ReturnHomeInterview.objects.filter(report=report).first()
    if rhi is None:
        raise ValidationFailed({"outcome": "The child has not returned yet: an interview follows a return"})
    if rhi.is_recorded:
        raise ValidationFailed({"outcome": "This interview has already been recorded"})
    at = now()
    errors = _validate_interview(rhi, data, at)
    if errors:
        raise ValidationFailed(errors)
    for name in ("offered_at", "held_at", "outcome"):
        setattr(rhi, name, getattr(data, name))
    for name in (
        "interviewer_name",
        "outcome_reason",
        "push_pull_factors",
        "where_went",
        "who_with",
        "travel",
    ):
        setattr(rhi, name, getattr(data, name).strip())
    rhi.disclosures = sorted(set(data.disclosures))
    rhi.disclosure_notes = data.disclosure_notes.strip()[:DISCLOSURE_FREE_TEXT_LIMIT]
    rhi.provider = viewer.agency
    rhi.recorded_by = viewer.user
    outcome_label = codelist("rhi_outcome").label(data.outcome)
    within = data.offered_at <= rhi.due_at
    rhi.item = TimelineItem.objects.create(
        person_id=report.item.person_id,
        controller=viewer.agency,
        purpose="safeguarding",
        item_type="return_home_interview",
        source_reference=lantern_source(f"recorded by {viewer.user.username}"),
        occurred_at=data.held_at or data.offered_at,
        recorded_at=at,
        summary=f"Return home interview: {outcome_label.lower()}"
        + ("" if within else " (offered after 72 hours)"),
        details={"offered_at": data.offered_at.isoformat(), "within_72h": within, "outcome": data.outcome},
        event_key=f"RHI:{report.occurrence_ref or report.pk}",
    )
    rhi.save()
    suggested = _suggest_from_interview(rhi)
    audit_record(
        code=AuditCode.RHI_RECORDED,
        viewer=viewer,
        subjects=[report.item.person_id],
        object_type="return_home_interview",
        object_id=rhi.pk,
        justification="Return home interview recorded",
        details={"outcome": data.outcome, "within_72h": within, "indicators_suggested": suggested},
    )
    _refresh_alerts([report.item.person_id])
    return rhi


def _suggest_from_interview(rhi: ReturnHomeInterview) -> int:
    codes = list(rhi.disclosures)
    if not codes:
        return 0
    url = reverse("missing:report", args=[rhi.report_id]) + "#return-interview"
    rows = [
        SuggestedIndicator(
            person_id=rhi.item.person_id,
            indicator=code,
            evidence=f"Disclosed in the return home interview held {_fmt(rhi.held_at)}"[:300],
            source_item=rhi.item,
            evidence_url=url,
            suggested_at=now(),
            controller=rhi.item.controller,
            purpose="safeguarding",
            item_type="return_home_interview",
            source_reference=rhi.item.source_reference,
        )
        for code in codes
    ]
    SuggestedIndicator.objects.bulk_create(rows, ignore_conflicts=True)
    audit_record(
        code=AuditCode.INDICATORS_SUGGESTED,
        system_actor="return home interview",
        subjects=[rhi.item.person_id],
        object_type="return_home_interview",
        object_id=rhi.pk,
        justification="Disclosures in a return home interview suggested as screening indicators",
        details={"indicators": codes},
    )
    return len(rows)


@transaction.atomic
def return_interview_assign(*, viewer: Viewer, report_id: int, user_id: int) -> ReturnHomeInterview:
    report = _editable_report(viewer, report_id)
    rhi = ReturnHomeInterview.objects.filter(report=report).first()
    if rhi is None or rhi.is_recorded:
        raise ValidationFailed({"assigned_to": "There is no interview waiting to be assigned"})
    from lantern.access.models import User

    worker = User.objects.filter(pk=user_id, memberships__team__agency=viewer.agency).distinct().first()
    if worker is None:
        raise ValidationFailed({"assigned_to": "Choose a worker in your agency"})
    rhi.assigned_to = worker
    rhi.save(update_fields=["assigned_to", "updated_at"])
    _report_updated(viewer, report, "Return home interview assigned", {"assigned_to": worker.username})
    return rhi


# ------------------------------------------------------------------------------ Philomena profiles


PROFILE_FIELDS = (
    "description",
    "photo_note",
    "associates",
    "places_frequented",
    "phones_social_media",
    "medical_needs",
    "missing_history",
)


@transaction.atomic
def philomena_save(*, viewer: Viewer, person_id: uuid.UUID, values: dict[str, str]) -> PhilomenaProfile:
    """Create or review the child's Philomena part 1, held by the viewer's agency (the carer or LA)."""
    _require(viewer, Cap.MISSING_RECORD, "Your role does not include keeping Philomena profiles.")
    _require_relationship(viewer, person_id)
    if not values.get("description", "").strip():
        raise ValidationFailed({"description": "Enter the child's description"})
    profile, created = PhilomenaProfile.objects.update_or_create(
        person_id=person_id,
        controller=viewer.agency,
        defaults={
            **{name: values.get(name, "").strip() for name in PROFILE_FIELDS},
            "last_reviewed_on": local(now()).date(),
            "reviewed_by": viewer.user,
            "purpose": "safeguarding",
            "item_type": "philomena_profile",
            "source_reference": lantern_source(f"kept by {viewer.agency.name}"),
        },
    )
    audit_record(
        code=AuditCode.PHILOMENA_SAVED,
        viewer=viewer,
        subjects=[person_id],
        object_type="philomena_profile",
        object_id=profile.pk,
        justification="Philomena profile created" if created else "Philomena profile reviewed",
    )
    _refresh_alerts([person_id])
    return profile


# ------------------------------------------------------------------------------ phone line


@dataclass
class CallIn:
    received_at: dt.datetime
    caller_name: str
    child_name: str
    what_reported: str
    outcome: str
    caller_relationship: str = ""
    caller_agency_id: int | None = None
    report_ref: str = ""  # the missing report the call is about, by its reference


@transaction.atomic
def missing_call_record(*, viewer: Viewer, data: CallIn) -> MissingCall:
    _require(viewer, Cap.MISSING_RECORD, "Your role does not include taking calls on the missing line.")
    errors: dict[str, str] = {}
    if data.received_at > now():
        errors["received_at"] = "The call time cannot be in the future"
    for name, message in (
        ("caller_name", "Enter the caller's name"),
        ("child_name", "Enter the child's name as the caller gave it"),
        ("what_reported", "Enter what the caller reported"),
    ):
        if not getattr(data, name).strip():
            errors[name] = message
    if data.outcome not in codelist("call_outcome"):
        errors["outcome"] = "Choose the outcome of the call"
    report = None
    if data.report_ref.strip():
        from .selectors import visible_reports

        report = visible_reports(viewer).filter(occurrence_ref=data.report_ref.strip()).first()
        if report is None:
            errors["report_ref"] = f"There is no missing report {data.report_ref.strip()} that you can see"
    if errors:
        raise ValidationFailed(errors)
    call = MissingCall.objects.create(
        controller=viewer.agency,
        received_at=data.received_at,
        caller_name=data.caller_name.strip(),
        caller_relationship=data.caller_relationship.strip(),
        caller_agency_id=data.caller_agency_id,
        child_name=data.child_name.strip(),
        person_id=report.item.person_id if report else None,
        what_reported=data.what_reported.strip(),
        outcome=data.outcome,
        report=report,
        recorded_by=viewer.user,
    )
    audit_record(
        code=AuditCode.MISSING_CALL_RECORDED,
        viewer=viewer,
        subjects=[call.person_id] if call.person_id else [],
        object_type="missing_call",
        object_id=call.pk,
        justification="Call to the missing children line",
        details={"outcome": data.outcome},
    )
    return call


# ------------------------------------------------------------------------------ derived from imports


def _parse_time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _parse_day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


_REPORT_FIELDS = ("reported_at", "returned_at", "risk_grade", "missing_from", "reported_by", "last_seen_at",
                  "found_location", "found_out_of_area", "occurrence_ref", "police_force_id")  # fmt: skip


def _report_values(item: TimelineItem, police_ids: set[int]) -> dict:
    d = item.details
    grade = d.get("risk_grade") or "medium"
    return {
        "reported_at": item.occurred_at,
        "returned_at": _parse_time(d.get("returned_at")),
        "risk_grade": grade if grade in codelist("missing_risk") else "medium",
        "missing_from": d.get("missing_from")
        if d.get("missing_from") in codelist("missing_from")
        else "other",
        "reported_by": (d.get("reported_by") or "")[:200],
        "last_seen_at": _parse_time(d.get("last_seen_at")),
        "found_location": (d.get("found_location") or "")[:200],
        "found_out_of_area": bool(d.get("found_out_of_area")),
        "occurrence_ref": (d.get("occurrence_ref") or item.event_key or "")[:40],
        "police_force_id": item.controller_id if item.controller_id in police_ids else None,
    }


@transaction.atomic
def missing_derive(
    *, after_item_id: int | None = None, item_ids: Iterable[int] = (), system_actor: str = "missing derive"
) -> set[uuid.UUID]:
    """Build the missing working view from agency events: police reports (with their gradings and the
    RHI each return owes), SSDA903 episodes linked to the police report they match, and imported
    interviews matched to the return they follow. Idempotent. After an import, `after_item_id` (the
    events it added) and `item_ids` (the events it changed) limit the work; with neither, everything
    is derived (nightly, and after a bulk load). Returns the children touched."""
    # Items recorded in Lantern already have their working view; only agency imports are derived.
    items = TimelineItem.objects.filter(item_type__in=MISSING_ITEM_TYPES).exclude(
        source_reference__startswith=LANTERN_SOURCE
    )
    if after_item_id is not None:
        items = items.filter(Q(pk__gt=after_item_id) | Q(pk__in=list(item_ids)))
    items = list(
        items.only("id", "person_id", "controller_id", "item_type", "occurred_at", "details", "event_key")
    )
    police_ids = set(Agency.objects.filter(agency_type="police").values_list("pk", flat=True))
    touched: set[uuid.UUID] = {i.person_id for i in items}
    counts = {"reports": 0, "care_episodes": 0, "interviews": 0}

    reports = [i for i in items if i.item_type == "missing_report"]
    existing = {r.item_id: r for r in MissingReport.objects.filter(item_id__in=[i.pk for i in reports])}
    new_reports, changed = [], []
    for item in reports:
        values = _report_values(item, police_ids)
        report = existing.get(item.pk)
        if report is None:
            new_reports.append(MissingReport(item=item, **values))
        elif any(getattr(report, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(report, k, v)
            changed.append(report)
    MissingReport.objects.bulk_create(new_reports, batch_size=1000)
    MissingReport.objects.bulk_update(changed, list(_REPORT_FIELDS), batch_size=500)
    counts["reports"] = len(new_reports) + len(changed)
    redone = [r.pk for r in new_reports + changed]
    RiskGrading.objects.filter(report_id__in=redone, graded_by__isnull=True).delete()
    by_item = {i.pk: i for i in reports}
    gradings = []
    for report in new_reports + changed:
        history = by_item[report.item_id].details.get("risk_history") or []
        for step in history:
            gradings.append(RiskGrading(report=report, grade=step["grade"], graded_at=_parse_time(step["at"]),
                                        graded_by_name="police (imported)"))  # fmt: skip
        gradings.append(RiskGrading(report=report, grade=report.risk_grade, graded_at=report.reported_at,
                                    graded_by_name="police (imported)"))  # fmt: skip
    RiskGrading.objects.bulk_create(
        [g for g in gradings if g.grade in codelist("missing_risk")], batch_size=1000
    )

    returned = [r for r in new_reports + changed if r.returned_at is not None]
    owed = {r.report_id: r for r in ReturnHomeInterview.objects.filter(report__in=returned)}
    new_rhis, moved = [], []
    for report in returned:
        rhi = owed.get(report.pk)
        if rhi is None:
            new_rhis.append(ReturnHomeInterview(report=report, due_at=rhi_due_at(report.returned_at)))
        elif rhi.due_at != rhi_due_at(report.returned_at):
            rhi.due_at = rhi_due_at(report.returned_at)
            moved.append(rhi)
    ReturnHomeInterview.objects.bulk_create(new_rhis, batch_size=1000)
    ReturnHomeInterview.objects.bulk_update(moved, ["due_at"], batch_size=500)

    counts["care_episodes"] = _derive_care_episodes(
        [i for i in items if i.item_type == "missing_episode_903"]
    )
    counts["interviews"] = _derive_interviews([i for i in items if i.item_type == "return_home_interview"])

    recent = now() - WORK_LOOKBACK
    needing_work = {
        r.item.person_id for r in new_reports + changed if r.returned_at is None or r.returned_at >= recent
    }
    _give_missing_team(needing_work, reason="Missing episode notified by police")
    # A child who goes missing now has their Philomena profile released to the force handling it.
    opened = [r for r in new_reports if r.returned_at is None and r.police_force_id is not None]
    with_profile = set(
        PhilomenaProfile.objects.filter(person_id__in={r.item.person_id for r in opened}).values_list(
            "person_id", flat=True
        )
    )
    for report in opened:
        if report.item.person_id in with_profile:
            _release_philomena(report, Agency.objects.get(pk=report.police_force_id), viewer=None)
    if items:
        audit_record(
            code=AuditCode.MISSING_DERIVED,
            system_actor=system_actor,
            subjects=touched,
            object_type="missing_view",
            justification="Missing episodes derived from agency events",
            details=counts,
        )
    return touched


def _derive_care_episodes(items: list[TimelineItem]) -> int:
    if not items:
        return 0
    existing = {e.item_id: e for e in CareMissingEpisode.objects.filter(item__in=items)}
    persons = {i.person_id for i in items}
    police = {}
    for report in MissingReport.objects.filter(item__person_id__in=persons).select_related("item"):
        police.setdefault(report.item.person_id, []).append(report)
    rows_new, rows_changed = [], []
    for item in items:
        starts_on = _parse_day(item.details.get("mis_start")) or local(item.occurred_at).date()
        ends_on = _parse_day(item.details.get("mis_end"))
        match = next(
            (
                r
                for r in sorted(police.get(item.person_id, []), key=lambda r: r.reported_at)
                if starts_on - dt.timedelta(days=1) <= local(r.reported_at).date() <= (ends_on or starts_on)
            ),
            None,
        )
        values = {
            "missing_type": item.details.get("missing_type")
            if item.details.get("missing_type") in ("M", "A")
            else "M",
            "starts_on": starts_on,
            "ends_on": ends_on,
            "police_report": match,
        }
        episode = existing.get(item.pk)
        if episode is None:
            rows_new.append(CareMissingEpisode(item=item, **values))
        else:
            for k, v in values.items():
                setattr(episode, k, v)
            rows_changed.append(episode)
    CareMissingEpisode.objects.bulk_create(rows_new, batch_size=1000)
    CareMissingEpisode.objects.bulk_update(
        rows_changed, ["missing_type", "starts_on", "ends_on", "police_report"]
    )
    return len(rows_new) + len(rows_changed)


def _derive_interviews(items: list[TimelineItem]) -> int:
    """Attach each imported interview to the latest earlier return of the same child still owed one."""
    if not items:
        return 0
    persons = {i.person_id for i in items}
    owed: dict[uuid.UUID, list[ReturnHomeInterview]] = {}
    for rhi in (
        ReturnHomeInterview.objects.filter(report__item__person_id__in=persons)
        .select_related("report__item")
        .order_by("report__returned_at")
    ):
        owed.setdefault(rhi.report.item.person_id, []).append(rhi)
    done = []
    for item in sorted(items, key=lambda i: i.occurred_at):
        offered = _parse_time(item.details.get("offered_at")) or item.occurred_at
        candidates = [
            r
            for r in owed.get(item.person_id, [])
            if r.report.returned_at <= offered and (r.item_id in (None, item.pk))
        ]
        if not candidates:
            continue
        rhi = candidates[-1]
        accepted = bool(item.details.get("accepted", True))
        rhi.item_id = item.pk
        rhi.offered_at = offered
        rhi.outcome = "completed" if accepted else "declined"
        rhi.held_at = offered if accepted else None
        rhi.outcome_reason = "" if accepted else "Declined (recorded by the interview provider)"
        rhi.provider_id = item.controller_id
        done.append(rhi)
    ReturnHomeInterview.objects.bulk_update(
        done, ["item", "offered_at", "outcome", "held_at", "outcome_reason", "provider"], batch_size=500
    )
    return len(done)
