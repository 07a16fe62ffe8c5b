"""Safety plans, disruption orders, NRM referrals, MACE meetings and the equality view, through their
services and pages: the domain rules refuse bad input with clear messages, overdue and due actions
reach the plan team's queue, and nobody without a relationship or an invitation sees any of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from lantern.access.models import Team
from lantern.access.services import user_create
from lantern.alerts.models import Alert
from lantern.audit.models import AuditEvent
from lantern.conftest import PASSWORD, sign_in
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.timeutils import local, now
from lantern.people.models import PersonCategory, SourceRecord
from lantern.people.services import RecordIn, source_records_collect
from lantern.plans import selectors, services
from lantern.plans.models import PlanAction, SafetyPlan
from lantern.screening.services import screening_indicator_decide, screening_start, screening_submit

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return local(now()).date()


@pytest.fixture
def p(hub_allocated_kai):
    return hub_allocated_kai


@pytest.fixture
def adult(p):
    source_records_collect(
        records=[
            RecordIn("POL", "NICHE", "P9", "Ryan", "Cole", dt.date(1994, 2, 11), "M", police_id="26/999Z")
        ],
        source_reference="fixture",
        system_actor="test",
    )
    return SourceRecord.objects.get(source_key="P9").person


def _plan(p, **kwargs):
    return services.safety_plan_create(
        viewer=p.viewer("hubsw"), person_id=p.kai.pk, aim="Keep Kai safe", **kwargs
    )


def _action(p, plan, due_on, **kwargs):
    return services.plan_action_add(
        viewer=p.viewer("hubsw"), plan_id=plan.pk, description="Daily check-in at school",
        owner_agency=p.agencies["SCHA"], owner_name="Head of year", due_on=due_on, **kwargs,
    )  # fmt: skip


# --- safety plans --------------------------------------------------------------------------------


def test_a_plan_with_an_action_due_reaches_the_plan_teams_queue_and_leaves_it_when_done(p):
    plan = _plan(p)
    assert plan.review_due_on == today() + dt.timedelta(weeks=12)
    action = _action(p, plan, today() + dt.timedelta(days=3))
    alert = Alert.objects.get(rule__code="PLAN-ACTION-DUE", person=p.kai)
    assert alert.team == p.teams["csc hub"] and alert.status == "open"
    assert reverse("plans:plan", args=[plan.pk]) in alert.evidence[0]["url"]

    services.plan_action_update(viewer=p.viewer("hubsw"), action_id=action.pk, status="done")
    alert.refresh_from_db()
    assert alert.status == "closed"


def test_an_action_far_off_is_not_yet_queued(p):
    _action(p, _plan(p), today() + dt.timedelta(days=30))
    assert not Alert.objects.filter(rule__code="PLAN-ACTION-DUE").exists()


def test_plan_rules_refuse_bad_input(p):
    plan = _plan(p)
    with pytest.raises(ValidationFailed) as error:
        _plan(p)
    assert "already has an open safety plan" in error.value.errors["plan"]
    with pytest.raises(ValidationFailed) as error:
        _action(p, plan, today() - dt.timedelta(days=1))
    assert error.value.errors == {"due_on": "A new action cannot be due in the past"}
    action = _action(p, plan, today())
    with pytest.raises(ValidationFailed) as error:
        services.plan_action_update(viewer=p.viewer("hubsw"), action_id=action.pk, status="cancelled")
    assert error.value.errors == {"note": "Enter why the action is cancelled"}
    with pytest.raises(ValidationFailed) as error:
        services.plan_review_record(
            viewer=p.viewer("hubsw"), plan_id=plan.pk, held_on=today(), attendees="Jo", notes="ok",
            next_review_on=today(),
        )  # fmt: skip
    assert "next_review_on" in error.value.errors
    with pytest.raises(AccessDenied):
        services.safety_plan_create(viewer=p.viewer("dslb"), person_id=p.kai.pk, aim="x")


def test_a_review_moves_the_review_date_and_closing_ends_the_plan(p):
    plan = _plan(p)
    services.plan_review_record(
        viewer=p.viewer("hubsw"), plan_id=plan.pk, held_on=today(), attendees="Jo (CSC), Dev (police)",
        notes="Going well", next_review_on=today() + dt.timedelta(weeks=4),
    )  # fmt: skip
    plan.refresh_from_db()
    assert plan.review_due_on == today() + dt.timedelta(weeks=4)
    services.safety_plan_close(viewer=p.viewer("hubsw"), plan_id=plan.pk, reason="Risk reduced")
    with pytest.raises(ValidationFailed):
        _action(p, plan, today())
    _plan(p)  # a new plan may start once the old one is closed


def test_the_plan_is_seen_by_the_childs_agencies_and_by_nobody_else(p, client):
    plan = _plan(p)
    _action(p, plan, today() + dt.timedelta(days=2))
    assert [x.pk for x in selectors.person_plans(viewer=p.viewer("dsla"), person_id=p.kai.pk).plans] == [
        plan.pk
    ]
    assert selectors.person_plans(viewer=p.viewer("dslb"), person_id=p.kai.pk).plans == []
    with pytest.raises(AccessDenied):
        selectors.safety_plan_get(viewer=p.viewer("dslb"), plan_id=plan.pk)

    sign_in(client, "dslb")
    assert client.get(reverse("plans:plan", args=[plan.pk])).status_code == 403
    assert client.get(reverse("plans:plan_new", args=[p.kai.pk])).status_code == 403
    sign_in(client, "hubsw")
    page = client.get(reverse("plans:plan", args=[plan.pk]))
    assert page.status_code == 200 and "Daily check-in at school" in page.text
    assert AuditEvent.objects.filter(code=123, object_id=str(plan.pk), actor_username="hubsw").exists()


def test_plan_pages_add_an_action_and_show_field_errors(p, client):
    sign_in(client, "hubsw")
    response = client.post(reverse("plans:plan_new", args=[p.kai.pk]), {"aim": "Keep Kai safe"})
    plan = SafetyPlan.objects.get(person=p.kai)
    assert response.url == reverse("plans:plan", args=[plan.pk])
    bad = client.post(
        reverse("plans:action_add", args=[plan.pk]),
        {"description": "Refer to youth service", "owner_agency": p.agencies["CSC"].pk, "owner_name": "Jo",
         "due_on": (today() - dt.timedelta(days=2)).isoformat()},
    )  # fmt: skip
    assert bad.status_code == 400 and "A new action cannot be due in the past" in bad.text
    good = client.post(
        reverse("plans:action_add", args=[plan.pk]),
        {"description": "Refer to youth service", "owner_agency": p.agencies["CSC"].pk, "owner_name": "Jo",
         "due_on": (today() + dt.timedelta(days=2)).strftime("%d/%m/%Y")},
    )  # fmt: skip
    assert good.status_code == 302 and PlanAction.objects.filter(plan=plan).count() == 1


# --- disruption orders ---------------------------------------------------------------------------


def _order(p, adult, kind="cawn", children=None, **kwargs):
    kwargs.setdefault("issued_on", today())
    return services.disruption_order_record(
        viewer=p.viewer("hubpol"), kind=kind, adult_id=adult.pk, child_ids=children or [p.kai.pk],
        issued_by="PC 123 Smith", **kwargs,
    )  # fmt: skip


def test_a_cawn_names_an_adult_posing_risk_and_protects_the_child(p, adult):
    order = _order(p, adult, served_on=today())
    assert list(order.children.all()) == [p.kai]
    assert PersonCategory.objects.filter(person=adult, category="adult_posing_risk").exists()
    assert not PersonCategory.objects.filter(person=p.kai, category="adult_posing_risk").exists()
    seen = selectors.person_plans(viewer=p.viewer("hubpol"), person_id=p.kai.pk)
    assert [o.pk for o in seen.orders_protecting] == [order.pk]
    assert selectors.person_plans(viewer=p.viewer("dsla"), person_id=p.kai.pk).orders_protecting == []


def test_disruption_order_rules(p, adult):
    with pytest.raises(AccessDenied, match="recorded by the police"):
        services.disruption_order_record(
            viewer=p.viewer("hubsw"), kind="cawn", adult_id=adult.pk, child_ids=[p.kai.pk],
            issued_on=today(), issued_by="PC 1",
        )  # fmt: skip
    with pytest.raises(ValidationFailed) as error:
        _order(p, adult, kind="stro", expires_on=today() + dt.timedelta(days=365))
    assert "at least 2 years" in error.value.errors["expires_on"]
    with pytest.raises(ValidationFailed) as error:
        _order(p, adult, kind="stpo", expires_on=today().replace(year=today().year + 3))
    assert "at least 5 years" in error.value.errors["expires_on"]
    _order(p, adult, kind="stro")  # until further order
    with pytest.raises(ValidationFailed) as error:  # Mia is 16 and not recorded as looked after
        _order(p, adult, children=[p.mia.pk])
    assert "under 16, or under 18 if in care" in error.value.errors["children"]
    with pytest.raises(ValidationFailed) as error:
        _order(p, adult, served_on=today() - dt.timedelta(days=3))
    assert "served_on" in error.value.errors


# --- NRM -----------------------------------------------------------------------------------------


def _refer(p, who="hubsw", **kwargs):
    kwargs.setdefault("referred_on", today())
    return services.nrm_refer(
        viewer=p.viewer(who), person_id=kwargs.pop("person_id", p.kai.pk), exploitation_types=["criminal"],
        summary="Found in a cuckooed address in another county", **kwargs,
    )  # fmt: skip


def test_a_first_responder_refers_a_child_and_records_the_decisions(p):
    referral = _refer(p, referred_on=dt.date(2026, 11, 20))  # a Friday: 5 working days is the next Friday
    assert referral.rg_due_on == dt.date(2026, 11, 27) and referral.duty_to_notify
    with pytest.raises(ValidationFailed) as error:
        services.nrm_decision_record(
            viewer=p.viewer("hubsw"),
            referral_id=referral.pk,
            stage="cg",
            decision="positive",
            decided_on=today(),
        )
    assert "follows a positive reasonable grounds decision" in error.value.errors["stage"]
    services.nrm_decision_record(
        viewer=p.viewer("hubsw"), referral_id=referral.pk, stage="rg", decision="positive",
        decided_on=dt.date(2026, 11, 25),
    )  # fmt: skip
    with pytest.raises(ValidationFailed):
        services.nrm_decision_record(
            viewer=p.viewer("hubsw"), referral_id=referral.pk, stage="cg", decision="positive",
            decided_on=dt.date(2026, 11, 24),
        )  # fmt: skip
    referral = services.nrm_decision_record(
        viewer=p.viewer("hubsw"), referral_id=referral.pk, stage="cg", decision="positive", decided_on=today()
    )
    assert (referral.rg_decision, referral.cg_decision) == ("positive", "positive")


def test_only_first_responders_refer_and_only_children(p, adult):
    health = Team.objects.create(agency=p.agencies["HOSP"], name="health hub", is_exploitation_hub=True)
    user_create(username="nurse", password=PASSWORD, display_name="nurse", memberships=[(health, "hub_worker")],
                system_actor="test")  # fmt: skip
    with pytest.raises(AccessDenied, match="not an NRM first responder"):
        _refer(p, who="nurse")
    with pytest.raises(ValidationFailed) as error:
        _refer(p, who="hubpol", person_id=adult.pk)
    assert "needs their consent" in error.value.errors["person"]
    with pytest.raises(ValidationFailed) as error:
        _refer(p, referred_on=today() + dt.timedelta(days=1))
    assert "referred_on" in error.value.errors
    p.agencies["HOSP"].designated_first_responder = True  # e.g. a designated voluntary organisation
    p.agencies["HOSP"].save()
    assert p.agencies["HOSP"].is_first_responder


def test_nrm_pages_are_refused_to_those_who_may_not_see_or_refer(p, client):
    referral = _refer(p)
    sign_in(client, "dslb")
    assert client.get(reverse("plans:nrm", args=[referral.pk])).status_code == 403
    assert client.get(reverse("plans:nrm_new", args=[p.kai.pk])).status_code == 403
    sign_in(client, "hubsw")
    page = client.get(reverse("plans:nrm", args=[referral.pk]))
    assert page.status_code == 200 and "5 working days" in page.text


# --- MACE ----------------------------------------------------------------------------------------


def _screen_high(p):
    screening = screening_start(viewer=p.viewer("hubsw"), person_id=p.kai.pk)
    for row in screening.indicators.all():
        screening_indicator_decide(
            viewer=p.viewer("hubsw"), screening_id=screening.pk, indicator=row.indicator, decision="confirmed"
        )
    return screening_submit(
        viewer=p.viewer("hubsw"), screening_id=screening.pk, final_level="HIGH", rationale="Found out of area"
    )


def _meeting(p, held_at=None):
    return services.mace_meeting_create(
        viewer=p.viewer("manager"), level="1", title="MACE level 1, December",
        held_at=held_at or now() - dt.timedelta(hours=1), invited_agencies=[p.agencies["POL"]],
    )  # fmt: skip


def test_mace_agenda_proposed_minutes_and_actions_flow_into_the_plan(p):
    _screen_high(p)
    meeting = _meeting(p)
    proposals = selectors.mace_agenda_proposals(viewer=p.viewer("manager"), meeting=meeting, at=now())
    kai = next(x for x in proposals if x.person.pk == p.kai.pk)
    assert any(r["text"] == "Screened HIGH" for r in kai.reasons)
    item = services.mace_agenda_add(
        viewer=p.viewer("manager"), meeting_id=meeting.pk, person_id=p.kai.pk, reasons=kai.reasons
    )
    assert p.kai.pk not in {
        x.person.pk
        for x in selectors.mace_agenda_proposals(viewer=p.viewer("manager"), meeting=meeting, at=now())
    }
    with pytest.raises(ValidationFailed) as error:
        services.mace_minutes_record(
            viewer=p.viewer("manager"), meeting_id=meeting.pk, attendees="Chris (CSC), Dev (police)",
            minutes="Discussed", decisions={},
            actions=[{"item_id": item.pk, "description": "Serve a CAWN", "owner_agency": None, "owner_name": "Dev",
                      "due_on": today()}],
        )  # fmt: skip
    assert error.value.errors == {"action 1 owner_agency": "Choose the agency that owns the action"}
    services.mace_minutes_record(
        viewer=p.viewer("manager"), meeting_id=meeting.pk, attendees="Chris (CSC), Dev (police)",
        minutes="Discussed", decisions={item.pk: "CAWN to be served"},
        actions=[{"item_id": item.pk, "description": "Serve a CAWN", "owner_agency": p.agencies["POL"],
                  "owner_name": "Dev", "due_on": today() + dt.timedelta(days=1)}],
    )  # fmt: skip
    action = PlanAction.objects.get(meeting=meeting)
    assert action.plan.person == p.kai and action.plan.is_open
    assert Alert.objects.filter(rule__code="PLAN-ACTION-DUE", person=p.kai, status="open").exists()


def test_mace_minutes_are_seen_only_by_invited_agencies(p, client):
    meeting = _meeting(p)
    assert [m.pk for m in selectors.mace_meetings(viewer=p.viewer("hubpol"))] == [meeting.pk]
    assert selectors.mace_meetings(viewer=p.viewer("dsla")) == []
    with pytest.raises(AccessDenied):
        selectors.mace_meeting_get(viewer=p.viewer("dsla"), meeting_id=meeting.pk)
    with pytest.raises(AccessDenied):  # invited, but only the chairing team changes the meeting
        services.mace_agenda_add(viewer=p.viewer("hubpol"), meeting_id=meeting.pk, subject="Park", reasons=[])
    sign_in(client, "dsla")
    assert client.get(reverse("plans:meeting", args=[meeting.pk])).status_code == 403
    assert "MACE level 1" not in client.get(reverse("plans:meetings")).text
    sign_in(client, "manager")
    assert client.get(reverse("plans:meeting", args=[meeting.pk])).status_code == 200


def test_minutes_wait_for_the_meeting(p):
    meeting = _meeting(p, held_at=now() + dt.timedelta(days=2))
    with pytest.raises(ValidationFailed) as error:
        services.mace_minutes_record(
            viewer=p.viewer("manager"),
            meeting_id=meeting.pk,
            attendees="x",
            minutes="y",
            decisions={},
            actions=[],
        )
    assert error.value.errors == {"minutes": "Minutes are recorded after the meeting is held"}


# --- equality ------------------------------------------------------------------------------------


def test_equality_view_suppresses_small_numbers_and_shows_no_identity(p, client):
    _screen_high(p)
    tables = selectors.screening_equality(
        viewer=p.viewer("manager"), tool_code="lantern-cce", since=today() - dt.timedelta(days=1), threshold=5
    )
    by_sex = tables[0]
    assert by_sex.total == 1 and by_sex.rows[0].screened is None and by_sex.rows[0].share_at_top is None
    shown = selectors.screening_equality(
        viewer=p.viewer("manager"), tool_code="lantern-cce", since=today() - dt.timedelta(days=1), threshold=1
    )
    assert shown[0].rows[0].group == "Male" and shown[0].rows[0].by_level["HIGH"] == 1
    assert shown[2].rows[0].group == "13 to 15"
    event = AuditEvent.objects.filter(code=126).latest("seq")
    assert not event.subjects.exists()
    sign_in(client, "hubsw")
    assert client.get(reverse("plans:equality")).status_code == 403
    sign_in(client, "manager")
    page = client.get(reverse("plans:equality"))
    assert page.status_code == 200 and p.kai.display_name not in page.text
