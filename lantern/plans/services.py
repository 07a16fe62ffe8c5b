"""Every write of plans work: validate, save, audit, in one transaction, then refresh the alerts
that depend on it (an action done closes its overdue alert).

Domain rules encoded here (standards.md §2.2–2.4):
- only a first-responder agency refers a child to the NRM; no consent is needed for a child; the
  reasonable grounds decision is aimed for within 5 working days; a conclusive grounds decision
  follows only a positive reasonable grounds decision;
- a CAWN protects a child under 16, or under 18 if looked after; an STRO lasts at least 2 years and
  an STPO at least 5 (or until further order); orders are police business and name an adult, who is
  recorded as an adult posing risk, never as a victim."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.db import transaction

from lantern.access.models import Agency
from lantern.access.policy import Viewer, relationship_basis
from lantern.access.roles import Cap
from lantern.analytics.screening import looked_after_on
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.codelists import codelist
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.timeutils import LONDON, add_working_days, age_on, local, now
from lantern.people.models import Person, lantern_source
from lantern.people.services import person_category_hold

from .models import (
    DisruptionOrder,
    MaceAgendaItem,
    MaceMeeting,
    NrmReferral,
    PlanAction,
    PlanReview,
    SafetyPlan,
)

DEFAULT_PLAN_REVIEW_WEEKS = 12  # as a screening's default review (standards.md §3.1)
RG_TARGET_WORKING_DAYS = 5


def _today() -> dt.date:
    return local(now()).date()


def _require(viewer: Viewer, capability: str, message: str) -> None:
    if not viewer.can(capability):
        raise AccessDenied(message)


def _child_for_work(viewer: Viewer, person_id: uuid.UUID) -> Person:
    if relationship_basis(viewer, person_id) is None:
        raise AccessDenied("You do not have a legitimate relationship with this child.")
    return Person.objects.get(pk=person_id)


def _refresh_alerts(person_ids: Iterable[uuid.UUID]) -> None:
    from lantern.alerts.services import alerts_refresh

    alerts_refresh(person_ids=set(person_ids))


def _audit(viewer: Viewer, code: AuditCode, subjects, object_type: str, object_id, why: str, **details):
    audit_record(
        code=code,
        viewer=viewer,
        subjects=subjects,
        object_type=object_type,
        object_id=object_id,
        justification=why,
        details=details,
    )


# --- safety plans --------------------------------------------------------------------------------


def _open_plan(viewer: Viewer, plan_id: int) -> SafetyPlan:
    _require(viewer, Cap.PLAN_RECORD, "Your role does not include safety planning.")
    plan = SafetyPlan.objects.select_for_update().filter(pk=plan_id).first()
    if plan is None or relationship_basis(viewer, plan.person_id) is None:
        raise AccessDenied("You cannot change this safety plan.")
    if not plan.is_open:
        raise ValidationFailed({"plan": "This safety plan is closed"})
    return plan


@transaction.atomic
def safety_plan_create(
    *, viewer: Viewer, person_id: uuid.UUID, aim: str, review_due_on: dt.date | None = None
) -> SafetyPlan:
    """A plan for the child, owned by the viewer's team; its review defaults to the child's latest
    screening review date, or 12 weeks."""
    _require(viewer, Cap.PLAN_RECORD, "Your role does not include safety planning.")
    person = _child_for_work(viewer, person_id)
    errors = {}
    if not aim.strip():
        errors["aim"] = "Enter what the plan is for"
    if SafetyPlan.objects.filter(person=person, controller=viewer.agency, closed_at__isnull=True).exists():
        errors["plan"] = f"{viewer.agency.name} already has an open safety plan for this child: add to it"
    from lantern.screening.models import Screening

    screening = Screening.objects.filter(person=person, submitted_at__isnull=False).order_by("-submitted_at")
    screening = screening.first()
    if review_due_on is None:
        review_due_on = (screening.review_due_on if screening else None) or _today() + dt.timedelta(
            weeks=DEFAULT_PLAN_REVIEW_WEEKS
        )
    if review_due_on < _today():
        errors["review_due_on"] = "The review date must be today or later"
    if errors:
        raise ValidationFailed(errors)
    plan = SafetyPlan.objects.create(
        person=person,
        team=viewer.team,
        screening=screening,
        aim=aim.strip(),
        review_due_on=review_due_on,
        created_by=viewer.user,
        controller=viewer.agency,
        purpose="safeguarding",
        item_type="safety_plan",
        source_reference=lantern_source(f"safety plan by {viewer.user.username}"),
    )
    _audit(viewer, AuditCode.SAFETY_PLAN_RECORDED, [person.pk], "safety_plan", plan.pk, "Safety plan created")
    return plan


def _validate_action(
    description: str, owner_agency: Agency | None, owner_name: str, due_on: dt.date | None
) -> dict[str, str]:
    errors = {}
    if owner_agency is None:
        errors["owner_agency"] = "Choose the agency that owns the action"
    if not description.strip():
        errors["description"] = "Enter what is to be done"
    if not owner_name.strip():
        errors["owner_name"] = "Enter who at the agency is responsible"
    if due_on is None:
        errors["due_on"] = "Enter the date the action is due"
    elif due_on < _today():
        errors["due_on"] = "A new action cannot be due in the past"
    return errors


def _add_action(viewer, plan, description, owner_agency, owner_name, due_on, meeting=None) -> PlanAction:
    return PlanAction.objects.create(
        plan=plan,
        description=description.strip(),
        owner_agency=owner_agency,
        owner_name=owner_name.strip(),
        due_on=due_on,
        created_by=viewer.user,
        meeting=meeting,
    )


@transaction.atomic
def plan_action_add(
    *, viewer: Viewer, plan_id: int, description: str, owner_agency: Agency, owner_name: str, due_on: dt.date
) -> PlanAction:
    plan = _open_plan(viewer, plan_id)
    errors = _validate_action(description, owner_agency, owner_name, due_on)
    if errors:
        raise ValidationFailed(errors)
    action = _add_action(viewer, plan, description, owner_agency, owner_name, due_on)
    _audit(
        viewer, AuditCode.SAFETY_PLAN_RECORDED, [plan.person_id], "plan_action", action.pk, "Safety plan action added",
        owner=owner_agency.code, due=due_on.isoformat(),
    )  # fmt: skip
    _refresh_alerts([plan.person_id])
    return action


@transaction.atomic
def plan_action_update(*, viewer: Viewer, action_id: int, status: str, note: str = "") -> PlanAction:
    """Mark an action done or cancelled (a cancellation says why), or reopen it."""
    action = PlanAction.objects.select_related("plan").filter(pk=action_id).first()
    if action is None:
        raise AccessDenied("You cannot change this action.")
    _open_plan(viewer, action.plan_id)
    if status not in codelist("plan_action_status"):
        raise ValidationFailed({"status": "Choose done, cancelled or open"})
    if status == "cancelled" and not note.strip():
        raise ValidationFailed({"note": "Enter why the action is cancelled"})
    action.status, action.status_note = status, note.strip()
    action.status_changed_at, action.status_changed_by = now(), viewer.user
    action.save()
    _audit(
        viewer, AuditCode.SAFETY_PLAN_RECORDED, [action.plan.person_id], "plan_action", action.pk,
        f"Safety plan action marked {status}",
    )  # fmt: skip
    _refresh_alerts([action.plan.person_id])
    return action


@transaction.atomic
def plan_review_record(
    *, viewer: Viewer, plan_id: int, held_on: dt.date, attendees: str, notes: str, next_review_on: dt.date
) -> PlanReview:
    plan = _open_plan(viewer, plan_id)
    errors = {}
    if held_on > _today():
        errors["held_on"] = "A review cannot be recorded before it is held"
    if not attendees.strip():
        errors["attendees"] = "Enter who attended"
    if not notes.strip():
        errors["notes"] = "Enter what the review found and changed"
    if next_review_on <= held_on:
        errors["next_review_on"] = "The next review must be after this one"
    if errors:
        raise ValidationFailed(errors)
    review = PlanReview.objects.create(
        plan=plan,
        held_on=held_on,
        attendees=attendees.strip(),
        notes=notes.strip(),
        next_review_on=next_review_on,
        recorded_by=viewer.user,
    )
    plan.review_due_on = next_review_on
    plan.save(update_fields=["review_due_on", "updated_at"])
    _audit(
        viewer,
        AuditCode.SAFETY_PLAN_RECORDED,
        [plan.person_id],
        "safety_plan",
        plan.pk,
        "Safety plan reviewed",
    )
    _refresh_alerts([plan.person_id])
    return review


@transaction.atomic
def safety_plan_close(*, viewer: Viewer, plan_id: int, reason: str) -> SafetyPlan:
    plan = _open_plan(viewer, plan_id)
    if not reason.strip():
        raise ValidationFailed({"reason": "Enter why the plan is closed"})
    plan.closed_at, plan.closed_reason = now(), reason.strip()
    plan.save(update_fields=["closed_at", "closed_reason", "updated_at"])
    _audit(
        viewer, AuditCode.SAFETY_PLAN_RECORDED, [plan.person_id], "safety_plan", plan.pk, "Safety plan closed"
    )
    _refresh_alerts([plan.person_id])
    return plan


# --- disruption orders ---------------------------------------------------------------------------


def _order_errors(kind, adult, children, issued_on, served_on, expires_on, issued_by) -> dict[str, str]:
    orders = codelist("disruption_order")
    errors = {}
    if kind not in orders:
        return {"kind": "Choose the kind of order or notice"}
    if issued_on > _today():
        errors["issued_on"] = "The issue date cannot be in the future"
    if served_on and served_on < issued_on:
        errors["served_on"] = "A notice cannot be served before it is issued"
    if expires_on and expires_on <= issued_on:
        errors["expires_on"] = "The expiry or review date must be after the issue date"
    if min_years := orders.codes[kind].get("min_years"):
        earliest = issued_on.replace(year=issued_on.year + min_years)
        if expires_on and expires_on < earliest:
            errors["expires_on"] = (
                f"{orders.label(kind)} prohibitions last at least {min_years} years "
                f"(Modern Slavery Act 2015): expiry on or after {earliest:%d/%m/%Y}, or leave empty "
                "for an order until further order"
            )
    if not issued_by.strip():
        errors["issued_by"] = "Enter the serving officer or the court"
    adult_age = age_on(adult.display_dob, issued_on)
    if adult_age is not None and adult_age < 18 and kind == "cawn":
        errors["adult"] = "A CAWN is served on an adult (18 or over)"
    if not children:
        errors["children"] = "Choose the child or children the order protects"
    if kind == "cawn":
        for child in children:
            age = age_on(child.display_dob, issued_on)
            if age is None or age >= 18 or (age >= 16 and not _looked_after(child, issued_on)):
                errors["children"] = (
                    f"A CAWN protects a child under 16, or under 18 if in care; {child.display_name} "
                    f"is {age if age is not None else 'of unknown age'}"
                    + ("" if age is None or age >= 18 else " and not recorded as looked after")
                )
    return errors


def _looked_after(child: Person, on: dt.date) -> bool:
    from lantern.screening.services import item_fact

    episodes = child.timeline_items.filter(item_type="lac_episode")
    at = dt.datetime.combine(on, dt.time(12), tzinfo=LONDON)
    return looked_after_on([item_fact(item) for item in episodes], at)


@transaction.atomic
def disruption_order_record(
    *,
    viewer: Viewer,
    kind: str,
    adult_id: uuid.UUID,
    child_ids: list[uuid.UUID],
    issued_on: dt.date,
    issued_by: str,
    served_on: dt.date | None = None,
    expires_on: dt.date | None = None,
    plan_id: int | None = None,
) -> DisruptionOrder:
    """A CAWN or an order against an adult posing risk. Police business: recorded by a law-enforcement
    agency's user, with a legitimate relationship with the adult and each child."""
    _require(viewer, Cap.PLAN_RECORD, "Your role does not include recording disruption activity.")
    if not viewer.agency.is_law_enforcement:
        raise AccessDenied("Disruption orders and notices are recorded by the police.")
    adult = _child_for_work(viewer, adult_id)
    children = [_child_for_work(viewer, child_id) for child_id in dict.fromkeys(child_ids)]
    errors = _order_errors(kind, adult, children, issued_on, served_on, expires_on, issued_by)
    if errors:
        raise ValidationFailed(errors)
    order = DisruptionOrder.objects.create(
        kind=kind,
        adult=adult,
        plan_id=plan_id,
        issued_on=issued_on,
        served_on=served_on,
        expires_on=expires_on,
        issued_by=issued_by.strip(),
        recorded_by=viewer.user,
        controller=viewer.agency,
        purpose="law_enforcement",
        handling_code=2,
        item_type="disruption_order",
        source_reference=lantern_source(f"{kind} by {viewer.user.username}"),
    )
    order.children.set(children)
    person_category_hold(
        person_id=adult.pk,
        controller=viewer.agency,
        category="adult_posing_risk",
        purpose="law_enforcement",
        source_reference=lantern_source(f"disruption order {order.pk}"),
        on=issued_on,
    )
    _audit(
        viewer, AuditCode.DISRUPTION_ORDER_RECORDED, [adult.pk, *(c.pk for c in children)], "disruption_order",
        order.pk, f"{codelist('disruption_order').label(kind)} recorded",
    )  # fmt: skip
    return order


@transaction.atomic
def disruption_breach_record(
    *, viewer: Viewer, order_id: int, on: dt.date, reference: str
) -> DisruptionOrder:
    _require(viewer, Cap.PLAN_RECORD, "Your role does not include recording disruption activity.")
    order = DisruptionOrder.objects.select_for_update().filter(pk=order_id, controller=viewer.agency).first()
    if order is None:
        raise AccessDenied("You cannot change this order.")
    errors = {}
    if on < order.issued_on or on > _today():
        errors["on"] = "A breach date is between the issue date and today"
    if not reference.strip():
        errors["reference"] = "Enter the crime or intelligence reference for the breach"
    if errors:
        raise ValidationFailed(errors)
    order.breaches = [*order.breaches, {"on": on.isoformat(), "reference": reference.strip()}]
    order.save(update_fields=["breaches", "updated_at"])
    _audit(
        viewer, AuditCode.DISRUPTION_ORDER_RECORDED, [order.adult_id], "disruption_order", order.pk,
        "Breach recorded",
    )  # fmt: skip
    return order


# --- NRM referrals -------------------------------------------------------------------------------


@transaction.atomic
def nrm_refer(
    *,
    viewer: Viewer,
    person_id: uuid.UUID,
    referred_on: dt.date,
    exploitation_types: list[str],
    summary: str,
    reference: str = "",
    decision_maker: str = "sca",
    ictg_referred_on: dt.date | None = None,
    statutory_defence_relevant: bool = False,
) -> NrmReferral:
    _require(viewer, Cap.NRM_REFER, "Your role does not include NRM referrals.")
    if not viewer.agency.is_first_responder:
        raise AccessDenied(
            f"{viewer.agency.name} is not an NRM first responder organisation: tell a first responder "
            "(the police or the local authority) or the Modern Slavery Helpline."
        )
    person = _child_for_work(viewer, person_id)
    errors = {}
    if referred_on > _today():
        errors["referred_on"] = "The referral date cannot be in the future"
    age = age_on(person.display_dob, referred_on)
    if age is None or age >= 18:
        errors["person"] = (
            "Lantern records NRM referrals of children (under 18 at referral, no consent needed); "
            "an adult's referral needs their consent"
        )
    unknown = [t for t in exploitation_types if t not in codelist("nrm_exploitation_type")]
    if not exploitation_types or unknown:
        errors["exploitation_types"] = "Choose the types of exploitation"
    if decision_maker not in codelist("nrm_decision_maker"):
        errors["decision_maker"] = "Choose who decides"
    if ictg_referred_on and ictg_referred_on < referred_on - dt.timedelta(days=365):
        errors["ictg_referred_on"] = "Check the guardian referral date"
    if not summary.strip():
        errors["summary"] = "Enter why the child is referred"
    if errors:
        raise ValidationFailed(errors)
    start = dt.datetime.combine(referred_on, dt.time(12), tzinfo=LONDON)
    referral = NrmReferral.objects.create(
        person=person,
        referred_on=referred_on,
        reference=reference.strip(),
        referred_by=viewer.user,
        exploitation_types=exploitation_types,
        decision_maker=decision_maker,
        rg_due_on=add_working_days(start, RG_TARGET_WORKING_DAYS).date(),
        ictg_referred_on=ictg_referred_on,
        statutory_defence_relevant=statutory_defence_relevant,
        # Police and local authorities have the statutory duty (MSA 2015 s52); for a child, the
        # NRM referral is how it is met.
        duty_to_notify=viewer.agency.agency_type in codelist("agency_type").where("first_responder", True),
        summary=summary.strip(),
        controller=viewer.agency,
        purpose="safeguarding",
        item_type="nrm_referral",
        source_reference=lantern_source(f"NRM referral by {viewer.user.username}"),
    )
    _audit(
        viewer, AuditCode.NRM_REFERRAL_RECORDED, [person.pk], "nrm_referral", referral.pk, "NRM referral recorded",
        types=exploitation_types,
    )  # fmt: skip
    return referral


@transaction.atomic
def nrm_decision_record(
    *, viewer: Viewer, referral_id: int, stage: str, decision: str, decided_on: dt.date
) -> NrmReferral:
    """The reasonable grounds (stage "rg") or conclusive grounds ("cg") decision as received."""
    _require(viewer, Cap.NRM_REFER, "Your role does not include NRM referrals.")
    referral = NrmReferral.objects.select_for_update().filter(pk=referral_id).first()
    if referral is None or relationship_basis(viewer, referral.person_id) is None:
        raise AccessDenied("You cannot change this referral.")
    errors = {}
    if stage not in ("rg", "cg"):
        raise ValidationFailed({"stage": "Choose reasonable or conclusive grounds"})
    if decision not in codelist("nrm_decision"):
        errors["decision"] = "Choose positive or negative"
    if decided_on > _today():
        errors["decided_on"] = "The decision date cannot be in the future"
    if stage == "rg":
        if decided_on < referral.referred_on:
            errors["decided_on"] = "The decision cannot be before the referral"
        if referral.cg_decision:
            errors["stage"] = "The conclusive grounds decision is already recorded"
    else:
        if referral.rg_decision != "positive":
            errors["stage"] = "A conclusive grounds decision follows a positive reasonable grounds decision"
        elif decided_on < referral.rg_decided_on:
            errors["decided_on"] = (
                "The conclusive grounds decision cannot be before the reasonable grounds one"
            )
    if errors:
        raise ValidationFailed(errors)
    setattr(referral, f"{stage}_decision", decision)
    setattr(referral, f"{stage}_decided_on", decided_on)
    referral.save()
    _audit(
        viewer, AuditCode.NRM_REFERRAL_RECORDED, [referral.person_id], "nrm_referral", referral.pk,
        f"NRM {'reasonable' if stage == 'rg' else 'conclusive'} grounds decision recorded", decision=decision,
    )  # fmt: skip
    return referral


# --- MACE meetings -------------------------------------------------------------------------------


def _meeting_for_chair(viewer: Viewer, meeting_id: int) -> MaceMeeting:
    _require(viewer, Cap.MACE_MANAGE, "Your role does not include running MACE meetings.")
    meeting = MaceMeeting.objects.select_for_update().filter(pk=meeting_id, team=viewer.team).first()
    if meeting is None:
        raise AccessDenied("Only the team that runs this meeting can change it.")
    return meeting


@transaction.atomic
def mace_meeting_create(
    *, viewer: Viewer, level: str, title: str, held_at: dt.datetime, invited_agencies: Iterable[Agency]
) -> MaceMeeting:
    _require(viewer, Cap.MACE_MANAGE, "Your role does not include running MACE meetings.")
    invited = {agency.pk: agency for agency in invited_agencies}
    invited.setdefault(viewer.agency.pk, viewer.agency)  # the chair's agency is always there
    errors = {}
    if level not in codelist("mace_level"):
        errors["level"] = "Choose level 1 or level 2"
    if not title.strip():
        errors["title"] = "Enter a title"
    if len(invited) < 2:
        errors["invited_agencies"] = "A MACE meeting is multi-agency: invite at least one other agency"
    if errors:
        raise ValidationFailed(errors)
    meeting = MaceMeeting.objects.create(
        level=level, title=title.strip(), held_at=held_at, chair=viewer.user, team=viewer.team
    )
    meeting.invited_agencies.set(invited.values())
    _audit(viewer, AuditCode.MACE_RECORDED, [], "mace_meeting", meeting.pk, "MACE meeting arranged")
    return meeting


@transaction.atomic
def mace_agenda_add(
    *,
    viewer: Viewer,
    meeting_id: int,
    reasons: list[dict[str, str]],
    person_id: uuid.UUID | None = None,
    subject: str = "",
) -> MaceAgendaItem:
    """A child (the chair needs a legitimate relationship) or a level 2 subject on the agenda."""
    meeting = _meeting_for_chair(viewer, meeting_id)
    if meeting.minutes_recorded_at:
        raise ValidationFailed({"meeting": "The meeting's minutes are recorded; its agenda is closed"})
    if person_id is None and not subject.strip():
        raise ValidationFailed({"subject": "Enter the place, adult posing risk or theme to discuss"})
    if person_id is not None:
        _child_for_work(viewer, person_id)
        if meeting.agenda.filter(person_id=person_id).exists():
            raise ValidationFailed({"person": "This child is already on the agenda"})
    item = MaceAgendaItem.objects.create(
        meeting=meeting, person_id=person_id, subject=subject.strip(), reasons=reasons
    )
    _audit(
        viewer, AuditCode.MACE_RECORDED, [person_id] if person_id else [], "mace_meeting", meeting.pk,
        "Added to a MACE agenda",
    )  # fmt: skip
    return item


@transaction.atomic
def mace_minutes_record(
    *,
    viewer: Viewer,
    meeting_id: int,
    attendees: str,
    minutes: str,
    decisions: dict[int, str],
    actions: list[dict],
) -> MaceMeeting:
    """Minutes, each agenda item's decisions, and actions that flow into each child's safety plan
    (the chair's agency's open plan, started from the meeting when the child has none)."""
    meeting = _meeting_for_chair(viewer, meeting_id)
    items = {item.pk: item for item in meeting.agenda.all()}
    errors = {}
    if meeting.held_at > now():
        errors["minutes"] = "Minutes are recorded after the meeting is held"
    if not attendees.strip():
        errors["attendees"] = "Enter who attended and from which agency"
    if not minutes.strip():
        errors["minutes"] = errors.get("minutes") or "Enter the minutes"
    for index, action in enumerate(actions, start=1):
        item = items.get(action.get("item_id"))
        if item is None or item.person_id is None:
            errors[f"action {index}"] = "An action belongs to a child on this meeting's agenda"
            continue
        for name, message in _validate_action(
            action.get("description", ""), action.get("owner_agency"), action.get("owner_name", ""),
            action.get("due_on"),
        ).items():  # fmt: skip
            errors[f"action {index} {name}"] = message
    if errors:
        raise ValidationFailed(errors)
    for item_id, text in decisions.items():
        if item_id in items:
            items[item_id].decisions = text.strip()
            items[item_id].save(update_fields=["decisions", "updated_at"])
    touched = set()
    for action in actions:
        person_id = items[action["item_id"]].person_id
        plan = SafetyPlan.objects.filter(
            person_id=person_id, controller=viewer.agency, closed_at__isnull=True
        ).first() or safety_plan_create(
            viewer=viewer, person_id=person_id, aim=f"Actions agreed at {meeting.title}"
        )
        _add_action(
            viewer, plan, action["description"], action["owner_agency"], action["owner_name"], action["due_on"],
            meeting=meeting,
        )  # fmt: skip
        touched.add(person_id)
    meeting.attendees, meeting.minutes, meeting.minutes_recorded_at = (
        attendees.strip(),
        minutes.strip(),
        now(),
    )
    meeting.save()
    children = [item.person_id for item in items.values() if item.person_id]
    _audit(
        viewer, AuditCode.MACE_RECORDED, children, "mace_meeting", meeting.pk, "MACE minutes recorded",
        actions=len(actions),
    )  # fmt: skip
    _refresh_alerts(touched)
    return meeting
