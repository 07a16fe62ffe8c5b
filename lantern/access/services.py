"""Every write to access data: relationships, break-glass grants, agreements, users. Each service
checks the actor's capability, validates, saves and writes its audit row in one transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.codelists import codelist
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.timeutils import now

from .models import Agency, BreakGlassGrant, InformationSharingAgreement, Membership, Relationship, Team, User
from .policy import Viewer
from .roles import ROLES, Cap

BREAK_GLASS_MIN_REASON = 20


@transaction.atomic
def relationship_start(
    *,
    person_id: uuid.UUID,
    kind: str,
    reason: str,
    team: Team | None = None,
    user: User | None = None,
    actor: Viewer | None = None,
    system_actor: str = "",
) -> Relationship:
    """Allocate a person to a team or user, or record an accepted referral: a legitimate relationship."""
    if actor is not None and not actor.can(Cap.ALLOCATE):
        raise AccessDenied("Your role does not include allocating children.")
    if kind not in ("allocation", "referral"):
        raise ValidationFailed({"kind": "must be 'allocation' or 'referral'"})
    if not reason.strip():
        raise ValidationFailed({"reason": "Enter the reason for the allocation"})
    relationship = Relationship(
        person_id=person_id,
        team=team,
        user=user,
        kind=kind,
        reason=reason.strip(),
        starts_at=now(),
        created_by=actor.user if actor else None,
    )
    relationship.full_clean()
    relationship.save()
    audit_record(
        code=AuditCode.RELATIONSHIP_STARTED,
        viewer=actor,
        system_actor=system_actor,
        subjects=[person_id],
        object_type="relationship",
        object_id=relationship.pk,
        justification=relationship.reason,
        details={"kind": kind, "team": team.pk if team else None, "user": user.pk if user else None},
    )
    return relationship


@transaction.atomic
def relationships_ensure(
    *, person_ids: Iterable[uuid.UUID], team: Team, kind: str, reason: str, system_actor: str
) -> int:
    """Start a relationship between `team` and each person that has no active one with it: the bulk
    form of `relationship_start`, for work that arrives with agency data. One audit row."""
    wanted = set(person_ids)
    if not wanted:
        return 0
    at = now()
    held = set(
        Relationship.objects.filter(Relationship.active_q(at), team=team, person_id__in=wanted).values_list(
            "person_id", flat=True
        )
    )
    new = [
        Relationship(person_id=pid, team=team, kind=kind, reason=reason, starts_at=at)
        for pid in sorted(wanted - held, key=str)
    ]
    Relationship.objects.bulk_create(new, batch_size=1000)
    if new:
        audit_record(
            code=AuditCode.RELATIONSHIP_STARTED,
            system_actor=system_actor,
            subjects=[r.person_id for r in new],
            object_type="team",
            object_id=str(team.pk),
            justification=reason,
            details={"kind": kind, "team": team.name, "relationships": len(new)},
        )
    return len(new)


@transaction.atomic
def relationship_end(*, relationship: Relationship, reason: str, actor: Viewer) -> Relationship:
    if not actor.can(Cap.ALLOCATE):
        raise AccessDenied("Your role does not include ending allocations.")
    relationship.ends_at = now()
    relationship.save(update_fields=["ends_at", "updated_at"])
    audit_record(
        code=AuditCode.RELATIONSHIP_ENDED,
        viewer=actor,
        subjects=[relationship.person_id],
        object_type="relationship",
        object_id=relationship.pk,
        justification=reason,
    )
    return relationship


@transaction.atomic
def break_glass_grant(*, viewer: Viewer, person_id: uuid.UUID, reason: str) -> BreakGlassGrant:
    """Open a record without a legitimate relationship: a reason is required, access lasts a few
    hours, and the grant waits for the data protection officer's review."""
    from lantern.people.models import Person

    if not viewer.can(Cap.BREAK_GLASS):
        raise AccessDenied("Your role does not allow break-glass access.")
    reason = reason.strip()
    if len(reason) < BREAK_GLASS_MIN_REASON:
        raise ValidationFailed(
            {
                "reason": f"Explain why you need this record now, in at least {BREAK_GLASS_MIN_REASON} characters"
            }
        )
    if not Person.objects.filter(pk=person_id).exists():
        raise AccessDenied("There is no record to open.")
    granted = now()
    grant = BreakGlassGrant.objects.create(
        user=viewer.user,
        membership=viewer.membership,
        person_id=person_id,
        reason=reason,
        granted_at=granted,
        expires_at=granted + dt.timedelta(hours=settings.LANTERN_BREAK_GLASS_HOURS),
    )
    audit_record(
        code=AuditCode.BREAK_GLASS_GRANTED,
        viewer=viewer,
        subjects=[person_id],
        object_type="break_glass",
        object_id=grant.pk,
        justification=reason,
        details={"expires_at": grant.expires_at.isoformat(), "alert": "dpo"},
    )
    return grant


@transaction.atomic
def break_glass_review(*, viewer: Viewer, grant: BreakGlassGrant, outcome: str, note: str) -> BreakGlassGrant:
    if not (viewer.can(Cap.AUDIT_READ) or viewer.can(Cap.BREAK_GLASS_REVIEW)):
        raise AccessDenied("Your role does not include reviewing break-glass access.")
    if outcome not in (BreakGlassGrant.Outcome.ACCEPTED, BreakGlassGrant.Outcome.QUERIED):
        raise ValidationFailed({"outcome": "Choose whether the reason is accepted or queried"})
    if grant.user_id == viewer.user.pk:
        raise AccessDenied("You cannot review your own break-glass access.")
    grant.outcome, grant.review_note = outcome, note.strip()
    grant.reviewed_by, grant.reviewed_at = viewer.user, now()
    grant.save()
    audit_record(
        code=AuditCode.BREAK_GLASS_REVIEWED,
        viewer=viewer,
        subjects=[grant.person_id],
        object_type="break_glass",
        object_id=grant.pk,
        justification=note.strip(),
        details={"outcome": outcome},
    )
    return grant


@transaction.atomic
def agreement_save(
    *,
    name: str,
    reference: str,
    parties: Iterable[Agency],
    item_types: list[str],
    purposes: list[str],
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    dpia_reference: str = "",
    actor: Viewer | None = None,
    system_actor: str = "",
) -> InformationSharingAgreement:
    if actor is not None and not actor.can(Cap.ISA_MANAGE):
        raise AccessDenied("Your role does not include managing sharing agreements.")
    errors = {}
    bad_types = [t for t in item_types if t not in codelist("item_type")]
    if bad_types:
        errors["item_types"] = f"unknown item types: {', '.join(bad_types)}"
    bad_purposes = [p for p in purposes if p not in codelist("purpose")]
    if bad_purposes:
        errors["purposes"] = f"unknown purposes: {', '.join(bad_purposes)}"
    parties = list(parties)
    if len(parties) < 2:
        errors["parties"] = "an agreement needs at least two parties"
    if ends_on and ends_on < starts_on:
        errors["ends_on"] = "must not be before the start date"
    if errors:
        raise ValidationFailed(errors)
    agreement, _ = InformationSharingAgreement.objects.update_or_create(
        reference=reference,
        defaults={
            "name": name,
            "item_types": sorted(item_types),
            "purposes": sorted(purposes),
            "starts_on": starts_on,
            "ends_on": ends_on,
            "dpia_reference": dpia_reference,
            "created_by": actor.user if actor else None,
        },
    )
    agreement.parties.set(parties)
    audit_record(
        code=AuditCode.AGREEMENT_SAVED,
        viewer=actor,
        system_actor=system_actor,
        object_type="sharing_agreement",
        object_id=agreement.reference,
        justification=name,
        details={"parties": sorted(p.code for p in parties), "item_types": agreement.item_types},
    )
    return agreement


@transaction.atomic
def agency_save(
    *,
    code: str,
    name: str,
    agency_type: str,
    area: str = "",
    actor: Viewer | None = None,
    system_actor: str = "",
) -> Agency:
    if actor is not None and not actor.can(Cap.USERS_MANAGE):
        raise AccessDenied("Your role does not include managing agencies.")
    if agency_type not in codelist("agency_type"):
        raise ValidationFailed({"agency_type": f"'{agency_type}' is not an agency type"})
    agency, _ = Agency.objects.update_or_create(
        code=code, defaults={"name": name, "agency_type": agency_type, "area": area}
    )
    audit_record(
        code=AuditCode.USER_SAVED,
        viewer=actor,
        system_actor=system_actor,
        object_type="agency",
        object_id=code,
        details={"name": name, "agency_type": agency_type},
    )
    return agency


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    display_name: str,
    memberships: Iterable[tuple[Team, str]],
    actor: Viewer | None = None,
    system_actor: str = "",
) -> User:
    if actor is not None and not actor.can(Cap.USERS_MANAGE):
        raise AccessDenied("Your role does not include managing users.")
    user = User(username=username, display_name=display_name)
    user.set_password(password)
    user.full_clean()
    user.save()
    for team, role in memberships:
        if role not in ROLES:
            raise ValidationFailed({"role": f"unknown role '{role}'"})
        Membership.objects.create(user=user, team=team, role=role)
    audit_record(
        code=AuditCode.USER_SAVED,
        viewer=actor,
        system_actor=system_actor,
        object_type="user",
        object_id=user.pk,
        details={"username": username, "roles": sorted(m.role for m in user.memberships.all())},
    )
    return user


def login_recorded(*, user: User | None, username: str, succeeded: bool) -> None:
    """Audit a login attempt (no viewer yet: the acting role is chosen after login)."""
    audit_record(
        code=AuditCode.LOGIN if succeeded else AuditCode.LOGIN_FAILED,
        system_actor="login",
        object_type="user",
        object_id=user.pk if user else "",
        details={"username": username[:150]},
    )


def role_chosen(*, viewer: Viewer) -> None:
    audit_record(
        code=AuditCode.ROLE_CHOSEN,
        viewer=viewer,
        object_type="membership",
        object_id=viewer.membership.pk,
        details={"team": viewer.team.name},
    )
