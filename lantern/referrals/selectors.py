"""Reads at the front door: the team's contacts awaiting a decision, each with its clock."""

from __future__ import annotations

from dataclasses import dataclass

from lantern.access.policy import Viewer
from lantern.access.roles import Cap
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.exceptions import AccessDenied

from .models import Contact


@dataclass
class FrontDoorQueue:
    awaiting: list[Contact]
    decided: list[Contact]


def _require(viewer: Viewer) -> None:
    if not viewer.can(Cap.REFERRAL_DECIDE):
        raise AccessDenied("Your role does not include front door work.")


def front_door_queue(*, viewer: Viewer, decided_limit: int = 20) -> FrontDoorQueue:
    """Contacts received by the viewer's team: those awaiting a decision (soonest due first) and the
    latest decided."""
    _require(viewer)
    mine = Contact.objects.filter(team=viewer.team).select_related("person", "source_agency")
    awaiting = list(mine.filter(decided_at__isnull=True).order_by("decision_due_at", "pk"))
    decided = list(
        mine.filter(decided_at__isnull=False)
        .select_related("decided_by")
        .order_by("-decided_at")[:decided_limit]
    )
    audit_record(
        code=AuditCode.CONTACTS_VIEWED,
        viewer=viewer,
        subjects={c.person_id for c in awaiting + decided},
        object_type="front_door_queue",
        object_id=viewer.team.pk,
        justification="Front door triage",
        details={"awaiting": len(awaiting), "decided": len(decided)},
    )
    return FrontDoorQueue(awaiting=awaiting, decided=decided)


def contact_get(*, viewer: Viewer, contact_id: int) -> Contact:
    _require(viewer)
    contact = (
        Contact.objects.filter(pk=contact_id, team=viewer.team)
        .select_related(
            "person", "source_agency", "decided_by", "allocated_team", "allocated_user", "missing_report"
        )
        .first()
    )
    if contact is None:
        audit_record(
            code=AuditCode.ACCESS_REFUSED,
            viewer=viewer,
            object_type="contact",
            object_id=contact_id,
            justification="Contact not in the viewer's team",
        )
        raise AccessDenied("This contact is not in your team's queue.")
    audit_record(
        code=AuditCode.CONTACT_VIEWED,
        viewer=viewer,
        subjects=[contact.person_id],
        object_type="contact",
        object_id=contact.pk,
        justification="Front door triage",
    )
    return contact
