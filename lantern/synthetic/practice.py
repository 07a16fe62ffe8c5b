"""The hub's practice on the demo day (journeys 3 and 5): a few hub children already screened, with
safety plans whose actions fall due this week (one overdue), an NRM referral awaiting its reasonable
grounds decision, and next week's level 1 MACE meeting, all written through the services as the
demo's personas. The first hub child is left unscreened for the screening journey."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from lantern.access.models import Agency, Membership, Relationship
from lantern.access.policy import Viewer
from lantern.core.timeutils import LONDON, local, now
from lantern.plans import services as plans
from lantern.plans.models import PlanAction
from lantern.screening import services as screening

HUB_TEAM = "Exploitation hub (social care)"


def _viewer(username: str) -> Viewer:
    membership = Membership.objects.select_related("team__agency", "user").get(
        user__username=username, team__name=HUB_TEAM
    )
    return Viewer(user=membership.user, membership=membership)


def _screen(jo: Viewer, chris: Viewer, person_id, level: str, rationale: str) -> None:
    draft = screening.screening_start(viewer=jo, person_id=person_id)
    for row in draft.indicators.all():
        screening.screening_indicator_decide(
            viewer=jo, screening_id=draft.pk, indicator=row.indicator, decision="confirmed"
        )
    screening.screening_submit(viewer=jo, screening_id=draft.pk, final_level=level, rationale=rationale)
    screening.screening_sign_off(viewer=chris, screening_id=draft.pk)


@transaction.atomic
def stage_hub_practice() -> int:
    """Returns the number of safety plans staged."""
    jo, chris = _viewer("jo"), _viewer("chris")
    today = local(now()).date()
    # Children still under 18 (a child allocated to the hub years ago may be an adult now).
    children = list(
        Relationship.objects.filter(
            team__name=HUB_TEAM, person__display_dob__gt=today.replace(year=today.year - 18)
        )
        .order_by("id")
        .values_list("person_id", flat=True)[1:4]
    )
    agencies = {a.agency_type: a for a in Agency.objects.order_by("pk")}
    owners = [
        (
            "education",
            "Designated safeguarding lead",
            "Daily check-in on arrival and at the end of the school day",
        ),
        ("health", "School nurse", "Sexual health and substance use appointment offered"),
        ("police", "Neighbourhood sergeant", "Patrols near the address the child was found at"),
    ]
    for index, person_id in enumerate(children):
        _screen(jo, chris, person_id, "HIGH" if index == 0 else "MEDIUM", "Professional judgement at the hub")
        plan = plans.safety_plan_create(
            viewer=jo, person_id=person_id, aim="Keep the child safe at home, at school and in the community"
        )
        for days, (agency_type, owner, what) in enumerate(owners, start=index + 1):
            plans.plan_action_add(
                viewer=jo, plan_id=plan.pk, description=what, owner_agency=agencies[agency_type],
                owner_name=owner, due_on=today + dt.timedelta(days=days),
            )  # fmt: skip
    if children:
        # History: the first plan was made three weeks ago and one of its actions is now overdue.
        overdue = PlanAction.objects.filter(plan__person_id=children[0]).order_by("due_on").first()
        PlanAction.objects.filter(pk=overdue.pk).update(due_on=today - dt.timedelta(days=2))
        plans.nrm_refer(
            viewer=jo, person_id=children[0], referred_on=today - dt.timedelta(days=3),
            exploitation_types=["criminal"], reference="NRM-DEMO-0001",
            summary="Found in a cuckooed address out of county with class A drugs; disclosed owing a debt",
        )  # fmt: skip
    held_at = dt.datetime.combine(today + dt.timedelta(days=7), dt.time(10), tzinfo=LONDON)
    plans.mace_meeting_create(
        viewer=chris, level="1", title="MACE level 1: children at risk of criminal exploitation", held_at=held_at,
        invited_agencies=[agencies[t] for t in ("police", "education", "health", "youth_justice") if t in agencies],
    )  # fmt: skip
    return len(children)


def stage_operation() -> None:
    """Last quarter's police operation against the most recently active line (journey 6's
    "Operation outcomes"), recorded by the police analyst persona; its arrests, children and
    vulnerable adults are counted from the linked records."""
    from lantern.lines.models import Line, LineNumber
    from lantern.lines.services import operation_record

    latest = LineNumber.objects.order_by("-last_seen").select_related("line").first()
    if latest is None:
        return
    membership = Membership.objects.select_related("team__agency", "user").get(user__username="ali")
    ali = Viewer(user=membership.user, membership=membership)
    today = local(now()).date()
    operation_record(
        viewer=ali, name="Operation Kestrel", started_on=today - dt.timedelta(days=365),
        ended_on=today - dt.timedelta(days=30), line_ids=[latest.line_id], warrants_executed=12,
    )  # fmt: skip
    Line.objects.filter(pk=latest.line_id).update(status="confirmed", transport_modes=["rail", "hire_car"])
