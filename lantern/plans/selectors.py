"""Reads of plans work. A plan, referral or order opens only for a viewer with a legitimate
relationship with the child whose agency may see it (the policy's two gates); a MACE meeting's agenda
and minutes open only to the agencies invited. Every read that shows something writes its audit row."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass

from lantern.access.models import Relationship
from lantern.access.policy import Viewer, item_visibility_q, relationship_q
from lantern.alerts.models import Alert
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.codelists import codelist
from lantern.core.exceptions import AccessDenied
from lantern.core.timeutils import age_on, local
from lantern.people.models import Person, SourceRecord

from .models import DisruptionOrder, MaceMeeting, NrmReferral, SafetyPlan


def _visible(model, viewer: Viewer, person_ref: str = "person_id"):
    return model.objects.filter(relationship_q(viewer, person_ref)).filter(item_visibility_q(viewer))


def _refused(viewer: Viewer, object_type: str, object_id) -> AccessDenied:
    audit_record(
        code=AuditCode.ACCESS_REFUSED,
        viewer=viewer,
        object_type=object_type,
        object_id=object_id,
        justification="No legitimate relationship, not shared, or not invited",
    )
    return AccessDenied("You cannot see this.")


def _get_one(viewer: Viewer, model, pk: int, code: AuditCode, object_type: str, why: str, *related: str):
    """One plan, referral… the viewer may see (audited with the child as subject), or refused."""
    found = _visible(model, viewer).filter(pk=pk).select_related("person", "controller", *related).first()
    if found is None:
        raise _refused(viewer, object_type, pk)
    audit_record(
        code=code,
        viewer=viewer,
        subjects=[found.person_id],
        object_type=object_type,
        object_id=pk,
        justification=why,
    )
    return found


def safety_plan_get(*, viewer: Viewer, plan_id: int) -> SafetyPlan:
    return _get_one(
        viewer, SafetyPlan, plan_id, AuditCode.SAFETY_PLAN_VIEWED, "safety_plan", "Safety plan",
        "team__agency", "created_by", "screening",
    )  # fmt: skip


def nrm_referral_get(*, viewer: Viewer, referral_id: int) -> NrmReferral:
    return _get_one(
        viewer,
        NrmReferral,
        referral_id,
        AuditCode.NRM_REFERRAL_VIEWED,
        "nrm_referral",
        "NRM referral",
        "referred_by",
    )


@dataclass
class PersonPlans:
    plans: list[SafetyPlan]
    nrm_referrals: list[NrmReferral]
    orders_naming: list[DisruptionOrder]  # orders against this person as an adult posing risk
    orders_protecting: list[DisruptionOrder]  # orders that protect this child


def person_plans(*, viewer: Viewer, person_id: uuid.UUID) -> PersonPlans:
    """What the viewer may see of the person's plans, referrals and orders (the caller opened the
    person, which wrote the audit row)."""
    orders = (
        DisruptionOrder.objects.filter(item_visibility_q(viewer))
        .filter(relationship_q(viewer, "adult_id"))
        .select_related("adult")
        .order_by("-issued_on")
    )
    return PersonPlans(
        plans=list(
            _visible(SafetyPlan, viewer)
            .filter(person_id=person_id)
            .select_related("team")
            .prefetch_related("actions")
            .order_by("-created_at")
        ),
        nrm_referrals=list(
            _visible(NrmReferral, viewer).filter(person_id=person_id).order_by("-referred_on")
        ),
        orders_naming=list(orders.filter(adult_id=person_id)),
        orders_protecting=list(orders.filter(children=person_id)),
    )


def team_children(viewer) -> list[Person]:
    """Children the viewer's team works with (its own allocations and the hubs'), for the pick-list of
    children an order protects: never a list of everyone the agency holds."""
    related = Relationship.objects.filter(Relationship.active_q(viewer.at))
    if viewer.team.is_exploitation_hub:
        related = related.filter(team__is_exploitation_hub=True)
    else:
        related = related.filter(team=viewer.team)
    born_after = local(viewer.at).date().replace(year=local(viewer.at).year - 18)
    children = list(
        Person.objects.filter(pk__in=related.values("person_id"), display_dob__gt=born_after).order_by(
            "display_name"
        )[:300]
    )
    audit_record(
        code=AuditCode.PERSON_SEARCHED,
        viewer=viewer,
        subjects=[child.pk for child in children],
        object_type="team_children",
        justification="Children the team works with, listed to choose whom an order protects",
    )
    return children


# --- MACE ----------------------------------------------------------------------------------------


def _invited(viewer: Viewer):
    return MaceMeeting.objects.filter(invited_agencies=viewer.agency)


def mace_meetings(*, viewer: Viewer) -> list[MaceMeeting]:
    """Meetings the viewer's agency is invited to (titles and dates only: no child is named)."""
    return list(_invited(viewer).select_related("team", "chair").order_by("-held_at")[:100])


def mace_meeting_get(*, viewer: Viewer, meeting_id: int) -> MaceMeeting:
    """The agenda and minutes, for an invited agency. Viewing names every child on the agenda, so
    each is a subject of the audit row."""
    meeting = (
        _invited(viewer)
        .filter(pk=meeting_id)
        .select_related("team__agency", "chair")
        .prefetch_related("invited_agencies", "agenda__person", "actions__plan", "actions__owner_agency")
        .first()
    )
    if meeting is None:
        raise _refused(viewer, "mace_meeting", meeting_id)
    audit_record(
        code=AuditCode.MACE_MEETING_VIEWED,
        viewer=viewer,
        subjects=[item.person_id for item in meeting.agenda.all() if item.person_id],
        object_type="mace_meeting",
        object_id=meeting.pk,
        justification="MACE meeting agenda and minutes",
    )
    return meeting


@dataclass
class Proposal:
    person: Person
    reasons: list[dict[str, str]]


def mace_agenda_proposals(*, viewer: Viewer, meeting: MaceMeeting, at: dt.datetime) -> list[Proposal]:
    """Children to propose for a level 1 agenda, from what the chair's team can see: screened at the
    tool's highest level, open alerts raised in the last 14 days, overdue screening or plan reviews.
    Children already on the agenda are left out."""
    from lantern.screening.models import Screening
    from lantern.screening.services import available_tools

    today = local(at).date()
    reasons: dict[uuid.UUID, list[dict[str, str]]] = {}

    def add(person_id, text, url):
        reasons.setdefault(person_id, []).append({"text": text, "url": url})

    top_levels = {tool.levels[-1].code for tool in available_tools().values()}
    screenings = (
        Screening.objects.filter(relationship_q(viewer, "person_id"))
        .filter(item_visibility_q(viewer), submitted_at__isnull=False)
        .order_by("person_id", "-submitted_at")
    )
    latest: dict[uuid.UUID, Screening] = {}
    for s in screenings.only("pk", "person_id", "final_level", "review_due_on", "submitted_at"):
        latest.setdefault(s.person_id, s)
    for person_id, s in latest.items():
        if s.final_level in top_levels:
            add(person_id, f"Screened {s.final_level}", f"/screening/{s.pk}/")
        if s.review_due_on and s.review_due_on < today:
            add(
                person_id, f"Screening review overdue since {s.review_due_on:%d %b %Y}", f"/screening/{s.pk}/"
            )
    alerts = Alert.objects.filter(
        team=viewer.team, person__isnull=False, raised_at__gte=at - dt.timedelta(days=14)
    ).exclude(status="closed")
    for person_id, title in alerts.values_list("person_id", "title").distinct():
        add(person_id, f"Alert: {title}", "/queue/")
    plans = _visible(SafetyPlan, viewer).filter(closed_at__isnull=True, review_due_on__lt=today)
    for plan in plans.only("pk", "person_id", "review_due_on"):
        add(
            plan.person_id,
            f"Safety plan review overdue since {plan.review_due_on:%d %b %Y}",
            f"/plans/{plan.pk}/",
        )
    on_agenda = set(meeting.agenda.values_list("person_id", flat=True))
    people = Person.objects.in_bulk([p for p in reasons if p not in on_agenda])
    return sorted(
        (Proposal(people[p], r) for p, r in reasons.items() if p in people),
        key=lambda proposal: (-len(proposal.reasons), proposal.person.display_name),
    )


# --- equality monitoring -------------------------------------------------------------------------


@dataclass
class EqualityRow:
    group: str
    screened: int | None  # None: suppressed (fewer than the threshold, identities could be inferred)
    by_level: dict[str, int | None]
    share_at_top: float | None


@dataclass
class EqualityTable:
    dimension: str
    levels: list[str]
    rows: list[EqualityRow]
    total: int


def _age_band(age: int | None) -> str:
    if age is None:
        return "Not known"
    return "Under 13" if age < 13 else "13 to 15" if age < 16 else "16 and 17" if age < 18 else "18 and over"


def screening_equality(
    *, viewer: Viewer, tool_code: str, since: dt.date, threshold: int = 5
) -> list[EqualityTable]:
    """Screening outcomes (the latest submitted screening per child under one tool since a date) by
    sex, ethnicity and age band, against the screened population: counts and rates, with any count
    below the threshold suppressed (and its rate), the start of the disproportionality monitoring the
    report's equality section asks for. Aggregates only; audited, with no subjects."""
    from lantern.screening.models import Screening
    from lantern.screening.services import current_tools

    tool = current_tools()[tool_code]
    levels = [level.code for level in tool.levels]
    rows = (
        Screening.objects.filter(tool_code=tool_code, submitted_at__date__gte=since)
        .order_by("person_id", "-submitted_at")
        .values_list("person_id", "final_level", "person__display_sex", "person__display_dob", "submitted_at")
    )
    people: dict[uuid.UUID, tuple[str, str, dt.date | None, dt.datetime]] = {}
    for person_id, level, sex, dob, submitted_at in rows:
        people.setdefault(person_id, (level, sex, dob, submitted_at))
    ethnicity = dict(
        SourceRecord.objects.filter(person_id__in=list(people))
        .exclude(ethnicity="")
        .order_by("person_id", "-received_at")
        .values_list("person_id", "ethnicity")
    )
    sex_labels, eth_labels = codelist("sex"), codelist("ethnicity")
    groups = {
        "Sex": lambda p, v: sex_labels.label(v[1]) or "Not known",
        "Ethnicity": lambda p, v: eth_labels.label(ethnicity.get(p)) or "Not known",
        "Age band": lambda p, v: _age_band(age_on(v[2], local(v[3]).date())),
    }
    tables = []
    for dimension, group_of in groups.items():
        counts: dict[str, Counter] = {}
        for person_id, values in people.items():
            counts.setdefault(group_of(person_id, values), Counter())[values[0]] += 1
        table_rows = []
        for group in sorted(counts):
            counter, screened = counts[group], sum(counts[group].values())
            shown = screened >= threshold
            by_level = {
                lv: (counter[lv] if counter[lv] >= threshold or counter[lv] == 0 else None) for lv in levels
            }
            top = counter[levels[-1]]
            table_rows.append(
                EqualityRow(
                    group=group,
                    screened=screened if shown else None,
                    by_level=by_level if shown else dict.fromkeys(levels),
                    share_at_top=top / screened if shown and by_level[levels[-1]] is not None else None,
                )
            )
        tables.append(EqualityTable(dimension, levels, table_rows, len(people)))
    audit_record(
        code=AuditCode.EQUALITY_VIEWED,
        viewer=viewer,
        object_type="screening_equality",
        object_id=tool_code,
        justification="Equality monitoring of screening outcomes",
        details={"since": since.isoformat(), "threshold": threshold, "children": len(people)},
    )
    return tables
