"""The access policy: the one module that decides what a viewer may see. Selectors call it; nothing
else decides.

Two gates (DESIGN.md §5; standards.md §5–6):
1. A person's record opens only if the acting role has the capability AND the viewer has a
   legitimate relationship with the person: an allocation to the viewer or their team, an
   accepted referral, membership of an exploitation hub when the child is allocated to a hub, or
   records of the person held by the viewer's own agency. Otherwise break-glass: a reason, a time
   limit, and a review by the data protection officer.
2. Inside an open record each item is shown only if its controller is the viewer's agency, or an
   active information sharing agreement between the two agencies covers the item's type and
   purpose and its handling code lets it leave the controller (5x5x5 handling codes: 4 and 5 never do; 1 and 3
   only to law enforcement). Hidden items are counted, never listed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Exists, OuterRef, Q

from lantern.core.codelists import codelist
from lantern.core.timeutils import now

from .models import Agency, BreakGlassGrant, InformationSharingAgreement, Membership, Relationship, Team, User
from .roles import ROLES, Role


@dataclass
class Viewer:
    """Who is asking: the user, acting in one membership (team + role) chosen at login."""

    user: User
    membership: Membership
    at: dt.datetime = field(default_factory=now)

    @property
    def role(self) -> Role:
        return ROLES[self.membership.role]

    @property
    def team(self) -> Team:
        return self.membership.team

    @property
    def agency(self) -> Agency:
        return self.membership.team.agency

    def can(self, capability: str) -> bool:
        return capability in self.role.capabilities

    @cached_property
    def agreements(self) -> list[InformationSharingAgreement]:
        """Active agreements this viewer's agency is party to, with their other parties."""
        today = self.at.date()
        agreements = (
            InformationSharingAgreement.objects.filter(parties=self.agency, starts_on__lte=today)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
            .prefetch_related("parties")
        )
        return list(agreements)


# --- gate 1: the legitimate relationship --------------------------------------------------------


def relationship_q(viewer: Viewer, person_ref: str = "pk") -> Q:
    """A filter on Person rows the viewer has a legitimate relationship with (break-glass included).

    `person_ref` names the person's key in the queryset being filtered (e.g. "person_id")."""
    from lantern.people.models import SourceRecord

    outer = OuterRef(person_ref)
    active = Relationship.active_q(viewer.at)
    own_allocation = Exists(
        Relationship.objects.filter(active, person=outer).filter(Q(user=viewer.user) | Q(team=viewer.team))
    )
    own_agency_records = Exists(SourceRecord.objects.filter(person=outer, agency=viewer.agency))
    break_glass = Exists(
        BreakGlassGrant.objects.filter(
            person=outer, user=viewer.user, membership=viewer.membership, expires_at__gt=viewer.at
        )
    )
    condition = Q(own_allocation) | Q(own_agency_records) | Q(break_glass)
    if viewer.team.is_exploitation_hub:
        condition |= Q(
            Exists(Relationship.objects.filter(active, person=outer, team__is_exploitation_hub=True))
        )
    return condition


def relationship_basis(viewer: Viewer, person_id: uuid.UUID) -> str | None:
    """The strongest legitimate relationship the viewer holds with the person, or None.

    Returns a code from the `relationship_kind` code list, for the audit row and the page banner."""
    from lantern.people.models import SourceRecord

    active = Relationship.active_q(viewer.at)
    mine = Relationship.objects.filter(active, person_id=person_id).filter(
        Q(user=viewer.user) | Q(team=viewer.team)
    )
    kind = mine.order_by("kind").values_list("kind", flat=True).first()
    if kind:
        return kind
    if (
        viewer.team.is_exploitation_hub
        and Relationship.objects.filter(active, person_id=person_id, team__is_exploitation_hub=True).exists()
    ):
        return "hub"
    if SourceRecord.objects.filter(person_id=person_id, agency=viewer.agency).exists():
        return "own_agency"
    if active_break_glass(viewer, person_id) is not None:
        return "break_glass"
    return None


def active_break_glass(viewer: Viewer, person_id: uuid.UUID) -> BreakGlassGrant | None:
    return (
        BreakGlassGrant.objects.filter(
            person_id=person_id, user=viewer.user, membership=viewer.membership, expires_at__gt=viewer.at
        )
        .order_by("-expires_at")
        .first()
    )


# --- gate 2: item visibility --------------------------------------------------------------------


def _handling_codes_shareable_with(agency: Agency) -> list[int]:
    handling = codelist("handling_code")
    allowed = handling.where("share_with", "any")
    if agency.is_law_enforcement:
        allowed += handling.where("share_with", "law_enforcement")
    return [int(code) for code in allowed]


def item_visibility_q(viewer: Viewer, prefix: str = "") -> Q:
    """A filter on ControlledItem rows (timeline items, categories…) the viewer's agency may see."""
    visible = Q(**{f"{prefix}controller": viewer.agency})
    handling_ok = Q(**{f"{prefix}handling_code__isnull": True}) | Q(
        **{f"{prefix}handling_code__in": _handling_codes_shareable_with(viewer.agency)}
    )
    for agreement in viewer.agreements:
        others = [party.pk for party in agreement.parties.all() if party.pk != viewer.agency.pk]
        if not others:
            continue
        visible |= (
            Q(**{f"{prefix}controller__in": others})
            & Q(**{f"{prefix}item_type__in": list(agreement.item_types)})
            & Q(**{f"{prefix}purpose__in": list(agreement.purposes)})
            & handling_ok
        )
    return visible


def item_is_visible(
    viewer: Viewer, *, controller_id: int, item_type: str, purpose: str, handling: int | None
) -> bool:
    """The same rule as `item_visibility_q`, for one item already in memory."""
    if controller_id == viewer.agency.pk:
        return True
    if handling is not None and handling not in _handling_codes_shareable_with(viewer.agency):
        return False
    return any(
        controller_id in {p.pk for p in agreement.parties.all()}
        and item_type in agreement.item_types
        and purpose in agreement.purposes
        for agreement in viewer.agreements
    )
