"""Running the rules and working the queues. `alerts_refresh` runs every rule for the children an
event touched (incremental); `alerts_run` runs them for everyone (nightly). Both raise each
(rule, key) at most once — a closed alert is never raised again for the same condition — and close
the open alerts of resolving rules whose condition no longer holds."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass

from django.db import transaction

from lantern.access.models import Membership, Team
from lantern.access.policy import Viewer
from lantern.access.roles import Cap
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.timeutils import now

from .models import Alert, AlertAction, AlertRule
from .rules import KINDS, Candidate, Scope

SYSTEM = "alert rules"
_CHUNK = 500


@dataclass
class RunSummary:
    raised: int = 0
    resolved: int = 0
    reopened: int = 0
    rules: int = 0


def _teams_by_service() -> dict[str, Team]:
    teams: dict[str, Team] = {}
    for team in Team.objects.exclude(service="").order_by("pk"):
        teams.setdefault(team.service, team)
    return teams


def _existing_keys(rule: AlertRule, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), _CHUNK):
        found.update(
            Alert.objects.filter(rule=rule, key__in=keys[start : start + _CHUNK]).values_list(
                "key", flat=True
            )
        )
    return found


def _raise(rule: AlertRule, candidates: list[Candidate], team: Team | None, at: dt.datetime) -> list[Alert]:
    fresh = {c.key: c for c in candidates}
    new_keys = set(fresh) - _existing_keys(rule, list(fresh))
    rows = [
        Alert(
            rule=rule,
            key=c.key,
            person_id=c.person_id,
            team_id=c.team_id or team.pk,
            title=c.title[:300],
            evidence=c.evidence,
            raised_at=at,
            due_at=c.due_at,
        )
        for key, c in sorted(fresh.items())
        if key in new_keys and (c.team_id or team is not None)
    ]
    # ignore_conflicts: a concurrent run that raised the same key first wins, and this one adds nothing.
    Alert.objects.bulk_create(rows, batch_size=_CHUNK, ignore_conflicts=True)
    created = list(Alert.objects.filter(rule=rule, key__in=[r.key for r in rows], actions__isnull=True))
    AlertAction.objects.bulk_create(
        [AlertAction(alert=a, action="raised", at=at, system_actor=SYSTEM) for a in created],
        batch_size=_CHUNK,
    )
    return created


def _resolve(rule: AlertRule, keys_holding: set[str], scope: Scope, at: dt.datetime) -> list[Alert]:
    open_alerts = Alert.objects.filter(rule=rule).exclude(status="closed")
    if scope is not None:
        if rule.kind == "break_glass_review":
            return []  # grants are resolved by the nightly run and by the review itself
        open_alerts = open_alerts.filter(person_id__in=scope)
    gone = [a for a in open_alerts.only("pk", "key", "person_id") if a.key not in keys_holding]
    Alert.objects.filter(pk__in=[a.pk for a in gone]).update(status="closed", closed_at=at, updated_at=at)
    AlertAction.objects.bulk_create(
        [
            AlertAction(
                alert=a, action="resolved", at=at, system_actor=SYSTEM, reason="The condition no longer holds"
            )
            for a in gone
        ],
        batch_size=_CHUNK,
    )
    return gone


def _run(scope: Scope, at: dt.datetime, system_actor: str) -> RunSummary:
    summary = RunSummary()
    teams = _teams_by_service()
    subjects: set[uuid.UUID] = set()
    by_rule: Counter[str] = Counter()
    # A snooze ends by itself: the alert comes back to the queue.
    woken = Alert.objects.filter(status="snoozed", snoozed_until__lte=at)
    if scope is not None:
        woken = woken.filter(person_id__in=scope)
    summary.reopened = woken.update(status="open", snoozed_until=None, updated_at=at)
    for rule in AlertRule.objects.filter(is_active=True):
        kind = KINDS.get(rule.kind)
        if kind is None:
            continue
        summary.rules += 1
        candidates = kind.check(rule, scope, at)
        raised = _raise(rule, candidates, teams.get(rule.route_to), at)
        summary.raised += len(raised)
        by_rule[rule.code] += len(raised)
        subjects.update(a.person_id for a in raised if a.person_id)
        if kind.resolves:
            resolved = _resolve(rule, {c.key for c in candidates}, scope, at)
            summary.resolved += len(resolved)
            subjects.update(a.person_id for a in resolved if a.person_id)
    if summary.raised or summary.resolved:
        audit_record(
            code=AuditCode.ALERTS_RAISED,
            system_actor=system_actor,
            subjects=subjects,
            object_type="alert_run",
            justification="Alert rules run" + (" (nightly, everyone)" if scope is None else " (new events)"),
            details={"raised": summary.raised, "resolved": summary.resolved, "by_rule": dict(by_rule)},
        )
    return summary


@transaction.atomic
def alerts_refresh(*, person_ids: set[uuid.UUID], at: dt.datetime | None = None) -> RunSummary:
    """Incremental: every rule, for the children an arriving event touched."""
    if not person_ids:
        return RunSummary()
    return _run(set(person_ids), at or now(), SYSTEM)


@transaction.atomic
def alerts_run(*, at: dt.datetime | None = None, system_actor: str = "nightly alert run") -> RunSummary:
    """Full: every rule, for everyone (nightly, and after a bulk load)."""
    return _run(None, at or now(), system_actor)


# ------------------------------------------------------------------------------ working the queue


def _workable(viewer: Viewer, alert_id: int) -> Alert:
    if not viewer.can(Cap.QUEUE_WORK):
        raise AccessDenied("Your role does not include working alert queues.")
    alert = Alert.objects.select_for_update().filter(pk=alert_id, team=viewer.team).first()
    if alert is None:
        raise AccessDenied("This alert is not in your team's queue.")
    if alert.is_closed:
        raise ValidationFailed({"alert": "This alert is already closed"})
    return alert


def _act(viewer: Viewer, alert: Alert, action: str, reason: str = "", **details) -> Alert:
    at = now()
    alert.updated_at = at
    alert.save()
    AlertAction.objects.create(
        alert=alert, action=action, at=at, by=viewer.user, reason=reason, details=details
    )
    audit_record(
        code=AuditCode.ALERT_ACTIONED,
        viewer=viewer,
        subjects=[alert.person_id] if alert.person_id else [],
        object_type="alert",
        object_id=alert.pk,
        justification=f"Alert {action}" + (f": {reason}" if reason else ""),
        details={"rule": alert.rule.code, **details},
    )
    return alert


@transaction.atomic
def alert_acknowledge(*, viewer: Viewer, alert_id: int) -> Alert:
    alert = _workable(viewer, alert_id)
    alert.status = "acknowledged"
    return _act(viewer, alert, "acknowledged")


@transaction.atomic
def alert_assign(*, viewer: Viewer, alert_id: int, user_id: int) -> Alert:
    alert = _workable(viewer, alert_id)
    member = (
        Membership.objects.filter(team=alert.team, user_id=user_id, user__is_active=True)
        .select_related("user")
        .first()
    )
    if member is None:
        raise ValidationFailed({"assign_to": "Choose a member of the team"})
    alert.assigned_to = member.user
    if alert.status == "open":
        alert.status = "acknowledged"
    return _act(viewer, alert, "assigned", assigned_to=member.user.username)


@transaction.atomic
def alert_snooze(*, viewer: Viewer, alert_id: int, until: dt.datetime, reason: str) -> Alert:
    alert = _workable(viewer, alert_id)
    errors = {}
    if not reason.strip():
        errors["reason"] = "Enter why the alert can wait"
    if until <= now():
        errors["until"] = "Snooze until a time in the future"
    if errors:
        raise ValidationFailed(errors)
    alert.status, alert.snoozed_until = "snoozed", until
    return _act(viewer, alert, "snoozed", reason.strip(), until=until.isoformat())


@transaction.atomic
def alert_close(*, viewer: Viewer, alert_id: int, reason: str) -> Alert:
    alert = _workable(viewer, alert_id)
    if not reason.strip():
        raise ValidationFailed({"reason": "Enter why the alert can be closed"})
    alert.status, alert.closed_at = "closed", now()
    return _act(viewer, alert, "closed", reason.strip())
