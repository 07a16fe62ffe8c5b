"""Reads of access data for a user."""

from __future__ import annotations

from django.db.models import QuerySet

from lantern.core.timeutils import now

from .models import BreakGlassGrant, Membership, Team, User


def memberships_for(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user, is_active=True).select_related("team__agency").order_by("id")


def break_glass_pending() -> QuerySet[BreakGlassGrant]:
    return (
        BreakGlassGrant.objects.filter(outcome=BreakGlassGrant.Outcome.PENDING)
        .select_related("user", "membership__team__agency", "person")
        .order_by("-granted_at")
    )


def break_glass_active_for(user: User) -> QuerySet[BreakGlassGrant]:
    return BreakGlassGrant.objects.filter(user=user, expires_at__gt=now()).select_related("person")


def team_for_service(service: str) -> Team | None:
    """The team that receives a partnership-wide kind of work (front door, missing, governance)."""
    return Team.objects.filter(service=service).select_related("agency").order_by("pk").first()


def agency_workers(agency) -> QuerySet[User]:
    """Active staff of an agency, for "assign to" and "allocate to" pick-lists (staff, not children)."""
    return (
        User.objects.filter(memberships__team__agency=agency, is_active=True).distinct().order_by("username")
    )
