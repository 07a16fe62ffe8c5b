"""Reads of the work queues: a team sees the alerts routed to it, never another team's."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from lantern.access.policy import Viewer
from lantern.access.roles import Cap
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.exceptions import AccessDenied

from .models import Alert


@dataclass
class Queue:
    alerts: list[Alert]
    snoozed: list[Alert]
    counts: dict[str, int]  # rule label -> open alerts


def team_queue(*, viewer: Viewer) -> Queue:
    """The viewer's team's open and acknowledged alerts (soonest due first), and what is snoozed."""
    if not viewer.can(Cap.QUEUE_WORK):
        raise AccessDenied("Your role does not include working alert queues.")
    live = (
        Alert.objects.filter(team=viewer.team)
        .exclude(status="closed")
        .select_related("rule", "person", "assigned_to")
        .order_by("due_at", "raised_at", "pk")
    )
    everything = list(live)
    working = [a for a in everything if a.status != "snoozed"]
    counts = Counter(a.rule.label for a in working)
    snoozed = [a for a in everything if a.status == "snoozed"]
    audit_record(
        code=AuditCode.QUEUE_VIEWED,
        viewer=viewer,
        subjects={a.person_id for a in working + snoozed if a.person_id},
        object_type="team_queue",
        object_id=viewer.team.pk,
        justification="Team work queue",
        details={"shown": len(working), "snoozed": len(snoozed)},
    )
    return Queue(alerts=working, snoozed=snoozed, counts=dict(sorted(counts.items())))
