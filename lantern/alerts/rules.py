"""The checks behind alert rules. Each kind is a function of (rule, scope, now) returning the conditions
that hold now, as `Candidate`s with a stable key; the engine raises each key once. A kind that
`resolves` also closes its open alerts whose condition no longer holds (an RHI recorded, a referral
decided); event kinds (a threshold crossed, a child found out of area) stay until a person closes
them. New kinds register in KINDS (e.g. "new indicator without a current screening" with screening)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse

from lantern.access.models import BreakGlassGrant
from lantern.analytics.missing import age_on, threshold_crossings
from lantern.core.timeutils import LONDON, end_of_local_day, local, local_text
from lantern.missing.models import MissingReport, PhilomenaProfile, ReturnHomeInterview
from lantern.referrals.models import Contact

from .models import AlertRule

Scope = set[uuid.UUID] | None  # None: every person (the nightly run)


@dataclass
class Candidate:
    key: str
    person_id: uuid.UUID | None
    title: str
    evidence: list[dict[str, str]]
    due_at: dt.datetime | None = None
    team_id: int | None = None  # None: the team for the rule's route_to service
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Kind:
    check: Callable[[AlertRule, Scope, dt.datetime], list[Candidate]]
    resolves: bool


def _in_scope(queryset, scope: Scope, person_field: str):
    return queryset if scope is None else queryset.filter(**{f"{person_field}__in": scope})


def _report_link(report: MissingReport) -> str:
    return reverse("missing:report", args=[report.pk])


def rhi_due(rule: AlertRule, scope: Scope, at: dt.datetime) -> list[Candidate]:
    lookback = dt.timedelta(days=int(rule.params.get("lookback_days", 28)))
    owed = _in_scope(
        ReturnHomeInterview.objects.filter(outcome="", report__returned_at__gte=at - lookback),
        scope,
        "report__item__person_id",
    ).select_related("report__item")
    return [
        Candidate(
            key=f"rhi:{rhi.pk}",
            person_id=rhi.report.item.person_id,
            title="Return home interview due",
            evidence=[
                {
                    "text": f"Returned {local_text(rhi.report.returned_at)}"
                    + (f" ({rhi.report.found_location})" if rhi.report.found_location else ""),
                    "url": _report_link(rhi.report),
                }
            ],
            due_at=rhi.due_at,
        )
        for rhi in owed
    ]


def _children_reports(scope: Scope) -> dict[uuid.UUID, list[MissingReport]]:
    reports = _in_scope(MissingReport.objects.all(), scope, "item__person_id")
    reports = reports.select_related("item__person").order_by("reported_at", "pk")
    by_person: dict[uuid.UUID, list[MissingReport]] = {}
    for report in reports.only(
        "pk", "reported_at", "occurrence_ref", "item__person_id", "item__person__display_dob"
    ):
        by_person.setdefault(report.item.person_id, []).append(report)
    return by_person


def repeat_missing(rule: AlertRule, scope: Scope, at: dt.datetime) -> list[Candidate]:
    """Params: episodes, window_days; optional max_age (child's age at the episode, inclusive),
    first_only (only a child's first episode counts), due ("same_day" or hours as a number), and
    lookback_days (crossings older than this are history, not work; absent = all history)."""
    p = rule.params
    episodes, window = int(p.get("episodes", 3)), dt.timedelta(days=int(p.get("window_days", 30)))
    max_age = p.get("max_age")
    since = at - dt.timedelta(days=int(p["lookback_days"])) if p.get("lookback_days") else None
    out = []
    for person_id, reports in _children_reports(scope).items():
        dob = reports[0].item.person.display_dob
        ages = [age_on(dob, local(r.reported_at).date()) for r in reports]
        children = [(r, a) for r, a in zip(reports, ages, strict=True) if a is not None and a < 18]
        if not children:
            continue
        if p.get("first_only"):
            first, age = children[0]
            hits = [0] if reports[0] is first and (max_age is None or age <= max_age) else []
            chosen = [first]
        else:
            chosen = [r for r, a in children if max_age is None or a <= max_age]
            hits = threshold_crossings([r.reported_at for r in chosen], episodes, window)
        if since is not None:
            hits = [i for i in hits if chosen[i].reported_at >= since]
        for index in hits:
            report = chosen[index]
            recent = chosen[max(0, index - episodes + 1) : index + 1]
            due = p.get("due")
            out.append(
                Candidate(
                    key=f"{person_id}:{report.pk}",
                    person_id=person_id,
                    title=rule.label,
                    evidence=[
                        {
                            "text": f"Reported missing {local_text(r.reported_at)} ({r.occurrence_ref})",
                            "url": _report_link(r),
                        }
                        for r in recent
                    ],
                    due_at=end_of_local_day(report.reported_at)
                    if due == "same_day"
                    else report.reported_at + dt.timedelta(hours=float(due))
                    if due
                    else None,
                )
            )
    return out


def found_out_of_area(rule: AlertRule, scope: Scope, at: dt.datetime) -> list[Candidate]:
    lookback = dt.timedelta(days=int(rule.params.get("lookback_days", 28)))
    reports = _in_scope(
        MissingReport.objects.filter(found_out_of_area=True, returned_at__gte=at - lookback),
        scope,
        "item__person_id",
    ).select_related("item")
    return [
        Candidate(
            key=f"report:{r.pk}",
            person_id=r.item.person_id,
            title="Child found out of area",
            evidence=[
                {
                    "text": f"Found {local_text(r.returned_at)} in {r.found_location or 'another area'}",
                    "url": _report_link(r),
                }
            ],
        )
        for r in reports
    ]


def high_risk_open(rule: AlertRule, scope: Scope, at: dt.datetime) -> list[Candidate]:
    hours = float(rule.params.get("hours", 24))
    elapsed = dt.timedelta(hours=hours)
    reports = _in_scope(
        MissingReport.objects.filter(
            returned_at__isnull=True, risk_grade="high", reported_at__lte=at.astimezone(dt.UTC) - elapsed
        ),
        scope,
        "item__person_id",
    ).select_related("item")
    return [
        Candidate(
            key=f"report:{r.pk}",
            person_id=r.item.person_id,
            title=f"High-risk missing episode open more than {hours:g} hours",
            evidence=[
                {
                    "text": f"Reported missing {local_text(r.reported_at)} ({r.occurrence_ref})",
                    "url": _report_link(r),
                }
            ],
            due_at=r.reported_at.astimezone(dt.UTC) + elapsed,
        )
        for r in reports
    ]


def referral_overdue(rule: AlertRule, scope: Scope, at: dt.datetime) -> list[Candidate]:
    contacts = _in_scope(
        Contact.objects.filter(decided_at__isnull=True, decision_due_at__lt=at), scope, "person_id"
    )
    return [
        Candidate(
            key=f"contact:{c.pk}",
            person_id=c.person_id,
            title="Front door decision overdue",
            evidence=[
                {
                    "text": f"{c.get_kind_display()} received {local_text(c.received_at)}; decision was due {local_text(c.decision_due_at)}",
                    "url": reverse("referrals:contact", args=[c.pk]),
                }
            ],
            due_at=c.decision_due_at,
            team_id=c.team_id,
        )
        for c in contacts
    ]


def philomena_review_due(rule: AlertRule, scope: Scope, at: dt.datetime) -> list[Candidate]:
    days = int(rule.params.get("review_days", 90))
    cutoff = local(at).date() - dt.timedelta(days=days)
    profiles = _in_scope(PhilomenaProfile.objects.filter(last_reviewed_on__lte=cutoff), scope, "person_id")
    return [
        Candidate(
            key=f"profile:{p.pk}:{p.last_reviewed_on.isoformat()}",
            person_id=p.person_id,
            title="Philomena profile review due",
            evidence=[
                {
                    "text": f"Last reviewed {p.last_reviewed_on:%d %b %Y}",
                    "url": reverse("missing:philomena", args=[p.person_id]),
                }
            ],
        )
        for p in profiles
    ]


def break_glass_review(rule: AlertRule, scope: Scope, at: dt.datetime) -> list[Candidate]:
    """Routed to information governance. No child's name: the reviewer sees the grant, not the case."""
    grants = _in_scope(
        BreakGlassGrant.objects.filter(outcome=BreakGlassGrant.Outcome.PENDING), scope, "person_id"
    )
    return [
        Candidate(
            key=f"grant:{g.pk}",
            person_id=None,
            title="Break-glass access awaiting review",
            evidence=[
                {
                    "text": f"By {g.user.get_full_name() or g.user.username} on {local_text(g.granted_at)}",
                    "url": reverse("audit:break_glass_review", args=[g.pk]),
                }
            ],
            extra={"grant_person": str(g.person_id)},
        )
        for g in grants.select_related("user")
    ]


def indicator_without_screening(rule: AlertRule, scope: Scope, at: dt.datetime) -> list[Candidate]:
    """A child gains a suggested indicator after (or without) their latest screening."""
    from lantern.screening.models import Screening, SuggestedIndicator

    lookback = dt.timedelta(days=int(rule.params.get("lookback_days", 28)))
    suggestions = _in_scope(
        SuggestedIndicator.objects.filter(suggested_at__gte=at - lookback), scope, "person_id"
    )
    latest: dict[uuid.UUID, SuggestedIndicator] = {}
    for s in suggestions.order_by("suggested_at", "pk"):
        latest[s.person_id] = s
    screened = dict(
        Screening.objects.filter(person_id__in=list(latest), submitted_at__isnull=False)
        .order_by("person_id", "submitted_at")
        .values_list("person_id", "submitted_at")
    )
    return [
        Candidate(
            key=f"{person_id}:{s.pk}",
            person_id=person_id,
            title="New indicator and no current screening",
            evidence=[{"text": f"{s.get_indicator_display()}: {s.evidence}", "url": s.evidence_url}],
        )
        for person_id, s in latest.items()
        if person_id not in screened or screened[person_id] < s.suggested_at
    ]


def plan_action_due(rule: AlertRule, scope: Scope, at: dt.datetime) -> list[Candidate]:
    """An open safety plan action due within `days_ahead` days, or overdue: the plan's team's work."""
    from lantern.plans.models import PlanAction

    horizon = local(at).date() + dt.timedelta(days=int(rule.params.get("days_ahead", 7)))
    actions = _in_scope(
        PlanAction.objects.filter(status="open", due_on__lte=horizon, plan__closed_at__isnull=True),
        scope,
        "plan__person_id",
    ).select_related("plan", "owner_agency")
    return [
        Candidate(
            key=f"action:{a.pk}:{a.due_on.isoformat()}",
            person_id=a.plan.person_id,
            title="Safety plan action due",
            evidence=[
                {
                    "text": f"{a.description[:120]} ({a.owner_name}, {a.owner_agency.name}); due {a.due_on:%d %b %Y}",
                    "url": reverse("plans:plan", args=[a.plan_id]),
                }
            ],
            due_at=end_of_local_day(dt.datetime.combine(a.due_on, dt.time(12), tzinfo=LONDON)),
            team_id=a.plan.team_id,
        )
        for a in actions
    ]


def screening_review_due(rule: AlertRule, scope: Scope, at: dt.datetime) -> list[Candidate]:
    """A child's latest screening is due for review within `days_ahead` days, or overdue."""
    from lantern.screening.models import Screening

    horizon = local(at).date() + dt.timedelta(days=int(rule.params.get("days_ahead", 7)))
    latest: dict[uuid.UUID, Screening] = {}
    screenings = _in_scope(Screening.objects.filter(submitted_at__isnull=False), scope, "person_id")
    for s in screenings.order_by("person_id", "-submitted_at").only(
        "pk", "person_id", "review_due_on", "final_level", "submitted_at"
    ):
        latest.setdefault(s.person_id, s)
    return [
        Candidate(
            key=f"screening:{s.pk}",
            person_id=person_id,
            title="Exploitation screening review due",
            evidence=[
                {
                    "text": f"Screened {s.final_level} on {local(s.submitted_at):%d %b %Y}; review by {s.review_due_on:%d %b %Y}",
                    "url": reverse("screening:detail", args=[s.pk]),
                }
            ],
            due_at=end_of_local_day(dt.datetime.combine(s.review_due_on, dt.time(12), tzinfo=LONDON)),
        )
        for person_id, s in latest.items()
        if s.review_due_on and s.review_due_on <= horizon
    ]


KINDS: dict[str, Kind] = {
    "rhi_due": Kind(rhi_due, resolves=True),
    "repeat_missing": Kind(repeat_missing, resolves=False),
    "found_out_of_area": Kind(found_out_of_area, resolves=False),
    "high_risk_open": Kind(high_risk_open, resolves=True),
    "referral_overdue": Kind(referral_overdue, resolves=True),
    "philomena_review_due": Kind(philomena_review_due, resolves=True),
    "break_glass_review": Kind(break_glass_review, resolves=True),
    "indicator_without_screening": Kind(indicator_without_screening, resolves=True),
    "plan_action_due": Kind(plan_action_due, resolves=True),
    "screening_review_due": Kind(screening_review_due, resolves=True),
}
