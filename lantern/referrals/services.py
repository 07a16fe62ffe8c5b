"""Every write at the front door: contacts received (by hand or from a police missing report), the
pathway decision with its reason, allocation (which starts the legitimate relationship), and
strategy discussions. The decision is due one working day after receipt (England's bank holidays)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db import transaction

from lantern.access.models import Agency, Team, User
from lantern.access.policy import Viewer, relationship_basis
from lantern.access.roles import Cap
from lantern.access.selectors import team_for_service
from lantern.access.services import relationship_start, relationships_ensure
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.codelists import codelist
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.timeutils import add_working_days, now
from lantern.people.models import lantern_source

from .models import Contact, StrategyDiscussion

DECISION_WORKING_DAYS = 1


def decision_due_at(received_at: dt.datetime) -> dt.datetime:
    """One working day after receipt: the same local time on the next working day."""
    return add_working_days(received_at, DECISION_WORKING_DAYS)


def _front_door() -> Team:
    team = team_for_service("front_door")
    if team is None:
        raise ValidationFailed({"team": "No team is set up to receive front door contacts"})
    return team


def _police_source(agency: Agency | None) -> str:
    return "6" if agency is not None and agency.is_law_enforcement else "8"


@dataclass
class ContactIn:
    person_id: uuid.UUID
    kind: str
    received_at: dt.datetime
    source: str
    summary: str
    source_agency_id: int | None = None
    referrer: str = ""
    concerns: list[str] = field(default_factory=list)


def _open_to_front_door(contact: Contact, system_actor: str) -> None:
    """The receiving team may open the child's record while it decides: an accepted referral."""
    relationships_ensure(
        person_ids=[contact.person_id],
        team=contact.team,
        kind="referral",
        reason=f"Front door {codelist('contact_kind').label(contact.kind).lower()} received",
        system_actor=system_actor,
    )


@transaction.atomic
def contact_record(*, viewer: Viewer, data: ContactIn) -> Contact:
    if not viewer.can(Cap.REFERRAL_DECIDE):
        raise AccessDenied("Your role does not include recording front door contacts.")
    if relationship_basis(viewer, data.person_id) is None:
        raise AccessDenied("You do not have a legitimate relationship with this child.")
    errors: dict[str, str] = {}
    if data.kind not in codelist("contact_kind"):
        errors["kind"] = "Choose contact, referral or police missing notification"
    if data.source not in codelist("referral_source"):
        errors["source"] = "Choose the source of the contact (CIN census referral source)"
    if data.received_at > now():
        errors["received_at"] = "The time received cannot be in the future"
    if not data.summary.strip():
        errors["summary"] = "Enter what the contact says"
    if unknown := [c for c in data.concerns if c not in codelist("cce_indicator")]:
        errors["concerns"] = f"Unknown concern codes: {', '.join(unknown)}"
    if errors:
        raise ValidationFailed(errors)
    contact = Contact.objects.create(
        person_id=data.person_id,
        kind=data.kind,
        received_at=data.received_at,
        source=data.source,
        source_agency_id=data.source_agency_id,
        referrer=data.referrer.strip(),
        concerns=sorted(set(data.concerns)),
        summary=data.summary.strip(),
        team=_front_door(),
        decision_due_at=decision_due_at(data.received_at),
        controller=viewer.agency,
        purpose="safeguarding",
        item_type="front_door_contact",
        source_reference=lantern_source(f"recorded by {viewer.user.username}"),
    )
    _open_to_front_door(contact, "front door contact")
    audit_record(
        code=AuditCode.CONTACT_RECORDED,
        viewer=viewer,
        subjects=[data.person_id],
        object_type="contact",
        object_id=contact.pk,
        justification="Front door contact received",
        details={"kind": data.kind, "source": data.source},
    )
    _refresh_alerts(contact)
    return contact


def contact_from_missing_report(*, report, system_actor: str) -> Contact | None:
    """A police missing notification at the front door, at most one per report."""
    team = team_for_service("front_door")
    if team is None:
        return None
    contact, created = Contact.objects.get_or_create(
        missing_report=report,
        defaults={
            "person_id": report.item.person_id,
            "kind": "missing_notification",
            "received_at": report.item.recorded_at,
            "source": _police_source(report.police_force),
            "source_agency": report.police_force,
            "referrer": "police missing notification",
            "concerns": ["missing_or_out_of_area"],
            "summary": f"{report.item.summary} — report {report.occurrence_ref}",
            "team": team,
            "decision_due_at": decision_due_at(report.item.recorded_at),
            "controller": team.agency,
            "purpose": "safeguarding",
            "item_type": "front_door_contact",
            "source_reference": lantern_source(f"missing report {report.occurrence_ref}"),
        },
    )
    if created:
        _open_to_front_door(contact, system_actor)
        audit_record(
            code=AuditCode.CONTACT_RECORDED,
            system_actor=system_actor,
            subjects=[contact.person_id],
            object_type="contact",
            object_id=contact.pk,
            justification="Police missing notification received at the front door",
        )
    return contact


@transaction.atomic
def contact_decide(
    *,
    viewer: Viewer,
    contact_id: int,
    pathway: str,
    reason: str,
    allocate_team_id: int | None = None,
    allocate_user_id: int | None = None,
) -> Contact:
    """Record the pathway decision. Allocating to a team or worker starts their legitimate relationship;
    the exploitation hub pathway allocates to a hub team."""
    if not viewer.can(Cap.REFERRAL_DECIDE):
        raise AccessDenied("Your role does not include front door decisions.")
    contact = Contact.objects.select_for_update().filter(pk=contact_id, team=viewer.team).first()
    if contact is None:
        raise AccessDenied("This contact is not in your team's queue.")
    errors: dict[str, str] = {}
    if contact.is_decided:
        errors["pathway"] = "A decision has already been recorded for this contact"
    if pathway not in codelist("pathway"):
        errors["pathway"] = "Choose a pathway"
    if not reason.strip():
        errors["reason"] = "Enter the reason for the decision"
    team = Team.objects.filter(pk=allocate_team_id).first() if allocate_team_id else None
    user = User.objects.filter(pk=allocate_user_id, is_active=True).first() if allocate_user_id else None
    if allocate_team_id and team is None:
        errors["allocate_team"] = "Choose a team from the list"
    if allocate_user_id and user is None:
        errors["allocate_user"] = "Choose a worker from the list"
    if pathway in codelist("pathway").where("allocates_hub", True) and not (
        team and team.is_exploitation_hub
    ):
        errors["allocate_team"] = "Choose the exploitation hub team to allocate the child to"
    if errors:
        raise ValidationFailed(errors)
    at = now()
    contact.pathway, contact.decision_reason = pathway, reason.strip()
    contact.decided_at, contact.decided_by = at, viewer.user
    contact.allocated_team, contact.allocated_user = team, user
    contact.save()
    label = codelist("pathway").label(pathway)
    if team or user:
        relationship_start(
            person_id=contact.person_id,
            kind="allocation",
            reason=f"Front door decision: {label}. {contact.decision_reason}",
            team=team,
            user=user,
            actor=viewer,
        )
    audit_record(
        code=AuditCode.CONTACT_DECIDED,
        viewer=viewer,
        subjects=[contact.person_id],
        object_type="contact",
        object_id=contact.pk,
        justification=f"Pathway: {label}",
        details={
            "pathway": pathway,
            "on_time": at <= contact.decision_due_at,
            "allocated_team": team.name if team else None,
            "allocated_user": user.username if user else None,
        },
    )
    _refresh_alerts(contact)
    return contact


@transaction.atomic
def strategy_discussion_record(
    *,
    viewer: Viewer,
    person_id: uuid.UUID,
    held_at: dt.datetime,
    attendees: str,
    decisions: str,
    actions: str = "",
    contact_id: int | None = None,
) -> StrategyDiscussion:
    if not viewer.can(Cap.REFERRAL_DECIDE):
        raise AccessDenied("Your role does not include recording strategy discussions.")
    if relationship_basis(viewer, person_id) is None:
        raise AccessDenied("You do not have a legitimate relationship with this child.")
    errors = {}
    if held_at > now():
        errors["held_at"] = "Record a discussion once it has been held"
    if not attendees.strip():
        errors["attendees"] = "Enter who attended (name, role and agency)"
    if not decisions.strip():
        errors["decisions"] = "Enter what was decided"
    if errors:
        raise ValidationFailed(errors)
    discussion = StrategyDiscussion.objects.create(
        person_id=person_id,
        contact_id=contact_id,
        held_at=held_at,
        attendees=attendees.strip(),
        decisions=decisions.strip(),
        actions=actions.strip(),
        recorded_by=viewer.user,
        controller=viewer.agency,
        purpose="safeguarding",
        item_type="front_door_contact",
        source_reference=lantern_source(f"recorded by {viewer.user.username}"),
    )
    audit_record(
        code=AuditCode.STRATEGY_DISCUSSION_RECORDED,
        viewer=viewer,
        subjects=[person_id],
        object_type="strategy_discussion",
        object_id=discussion.pk,
        justification="Strategy discussion recorded",
    )
    return discussion


def _refresh_alerts(contact: Contact) -> None:
    from lantern.alerts.services import alerts_refresh

    alerts_refresh(person_ids={contact.person_id})
