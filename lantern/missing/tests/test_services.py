"""Missing episodes, interviews, Philomena, the front door and the queues, through their services:
what each write does, what bad input it refuses (with a message saying why), and who may do it."""

from __future__ import annotations

import datetime as dt

import pytest

from lantern.access.models import Relationship
from lantern.alerts.models import Alert
from lantern.alerts.services import alert_close, alert_snooze, alerts_refresh, alerts_run
from lantern.audit.codes import AuditCode
from lantern.audit.models import AuditEvent
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.timeutils import now
from lantern.missing.models import CareMissingEpisode, MissingReport, PhilomenaRelease, ReturnHomeInterview
from lantern.missing.selectors import missing_dashboard
from lantern.missing.services import (
    InterviewIn,
    ReportIn,
    missing_derive,
    missing_report_open,
    missing_report_regrade,
    missing_report_return,
    philomena_save,
    return_interview_record,
)
from lantern.people.services import ItemIn, timeline_items_collect
from lantern.referrals.models import Contact
from lantern.referrals.services import contact_decide
from lantern.screening.models import SuggestedIndicator


def _open(p, who="coordinator", hours_ago=30, grade="medium", **extra) -> MissingReport:
    return missing_report_open(
        viewer=p.viewer(who),
        data=ReportIn(
            person_id=p.kai.pk,
            police_force_id=p.agencies["POL"].pk,
            reported_at=now() - dt.timedelta(hours=hours_ago),
            risk_grade=grade,
            missing_from="placement",
            **extra,
        ),
    )


def _return(p, report, hours_ago=20, **extra):
    return missing_report_return(
        viewer=p.viewer("coordinator"),
        report_id=report.pk,
        returned_at=now() - dt.timedelta(hours=hours_ago),
        found_location=extra.pop("found_location", "Birmingham New Street"),
        found_out_of_area=extra.pop("found_out_of_area", True),
        **extra,
    )


def test_opening_a_report_releases_philomena_notifies_the_front_door_and_gives_the_missing_team_the_child(
    partnership,
):
    p = partnership
    philomena_save(viewer=p.viewer("coordinator"), person_id=p.kai.pk, values={"description": "Slim, 5ft 6"})
    report = _open(p)
    release = PhilomenaRelease.objects.get(report=report)
    assert release.released_to == p.agencies["POL"]
    assert AuditEvent.objects.filter(
        code=AuditCode.PHILOMENA_RELEASED, object_id=str(release.profile_id)
    ).exists()
    contact = Contact.objects.get(missing_report=report)
    assert contact.kind == "missing_notification" and contact.team == p.teams["front door"]
    assert contact.decision_due_at > contact.received_at
    assert Relationship.objects.filter(person=p.kai, team=p.teams["missing"]).exists()
    assert report.gradings.count() == 1


def test_the_police_see_a_released_profile_only_while_the_report_is_open(partnership):
    from lantern.missing.selectors import philomena_get

    p = partnership
    philomena_save(viewer=p.viewer("coordinator"), person_id=p.kai.pk, values={"description": "Slim, 5ft 6"})
    police = p.viewer("hubpol")
    Relationship.objects.create(
        person=p.kai, team=p.teams["police hub"], kind="allocation", reason="t", starts_at=now()
    )
    assert philomena_get(viewer=police, person_id=p.kai.pk) == (None, "")
    report = _open(p)
    profile, basis = philomena_get(viewer=police, person_id=p.kai.pk)
    assert profile is not None and "released" in basis
    _return(p, report)
    assert philomena_get(viewer=police, person_id=p.kai.pk) == (None, "")


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"reported_at": now() + dt.timedelta(hours=2)}, "reported_at", "future"),
        ({"last_seen_at": now() - dt.timedelta(hours=1)}, "last_seen_at", "on or before"),
        ({"risk_grade": "extreme"}, "risk_grade", "Choose a risk grade"),
    ],
)
def test_a_bad_report_is_refused_naming_the_field(partnership, change, field, words):
    p = partnership
    data = ReportIn(
        person_id=p.kai.pk,
        police_force_id=p.agencies["POL"].pk,
        reported_at=now() - dt.timedelta(hours=3),
        risk_grade="low",
    )
    for name, value in change.items():
        setattr(data, name, value)
    with pytest.raises(ValidationFailed) as refused:
        missing_report_open(viewer=p.viewer("coordinator"), data=data)
    assert words in refused.value.errors[field]
    assert MissingReport.objects.count() == 0


def test_a_second_open_episode_for_the_same_child_is_refused_with_the_one_it_overlaps(partnership):
    p = partnership
    first = _open(p, hours_ago=30)
    with pytest.raises(ValidationFailed) as refused:
        _open(p, hours_ago=10)
    assert first.occurrence_ref in refused.value.errors["reported_at"]
    assert MissingReport.objects.count() == 1


def test_a_return_before_the_report_or_in_the_future_is_refused(partnership):
    p = partnership
    report = _open(p, hours_ago=30)
    with pytest.raises(ValidationFailed) as before:
        _return(p, report, hours_ago=40)
    assert "on or after the report" in before.value.errors["returned_at"]
    with pytest.raises(ValidationFailed) as future:
        _return(p, report, hours_ago=-2)
    assert "future" in future.value.errors["returned_at"]
    report.refresh_from_db()
    assert report.is_open and not ReturnHomeInterview.objects.exists()


def test_an_interview_cannot_be_recorded_for_an_open_episode(partnership):
    p = partnership
    report = _open(p)
    with pytest.raises(ValidationFailed) as refused:
        return_interview_record(
            viewer=p.viewer("coordinator"),
            report_id=report.pk,
            data=InterviewIn(outcome="completed", offered_at=now(), held_at=now(), interviewer_name="Sam"),
        )
    assert "not returned" in refused.value.errors["outcome"]


def test_regrading_keeps_every_grade_with_who_and_why(partnership):
    p = partnership
    report = _open(p, grade="medium")
    with pytest.raises(ValidationFailed):
        missing_report_regrade(
            viewer=p.viewer("coordinator"), report_id=report.pk, grade="high", rationale=" "
        )
    missing_report_regrade(
        viewer=p.viewer("coordinator"), report_id=report.pk, grade="high", rationale="Seen with an older male"
    )
    grades = list(report.gradings.values_list("grade", "graded_by__username", "rationale"))
    assert grades[0][:2] == ("medium", "coordinator")
    assert grades[1] == ("high", "coordinator", "Seen with an older male")


def test_the_rhi_alert_reaches_the_missing_team_with_its_deadline_and_closes_when_recorded(partnership):
    p = partnership
    report = _return(p, _open(p, hours_ago=30), hours_ago=20)
    alert = Alert.objects.get(rule__code="RHI-DUE")
    assert alert.team == p.teams["missing"] and alert.person_id == p.kai.pk
    assert alert.due_at == report.rhi.due_at == report.returned_at + dt.timedelta(hours=72)
    rhi = return_interview_record(
        viewer=p.viewer("coordinator"),
        report_id=report.pk,
        data=InterviewIn(
            outcome="completed",
            offered_at=now() - dt.timedelta(hours=2),
            held_at=now() - dt.timedelta(hours=1),
            interviewer_name="Independent worker",
            disclosures=["unexplained_money_items", "older_controlling_relationships"],
            disclosure_notes="An older boy gives him trainers and a phone",
        ),
    )
    alert.refresh_from_db()
    assert alert.status == "closed"
    suggested = SuggestedIndicator.objects.filter(person=p.kai)
    assert sorted(suggested.values_list("indicator", flat=True)) == [
        "older_controlling_relationships",
        "unexplained_money_items",
    ]
    assert all(s.source_item_id == rhi.item_id for s in suggested)
    assert all(f"/missing/reports/{report.pk}/" in s.evidence_url for s in suggested)


def test_found_out_of_area_and_rules_never_double_alert(partnership):
    p = partnership
    _return(p, _open(p, hours_ago=30), hours_ago=20, found_out_of_area=True)
    assert Alert.objects.filter(rule__code="FOUND-OOA").count() == 1
    before = Alert.objects.count()
    alerts_run()
    alerts_refresh(person_ids={p.kai.pk})
    alerts_run()
    assert Alert.objects.count() == before


def test_a_closed_alert_is_not_raised_again_and_snooze_and_close_need_reasons(partnership):
    p = partnership
    _return(p, _open(p, hours_ago=30), hours_ago=20, found_out_of_area=True)
    alert = Alert.objects.get(rule__code="FOUND-OOA")
    viewer = p.viewer("coordinator")
    with pytest.raises(ValidationFailed) as no_reason:
        alert_snooze(viewer=viewer, alert_id=alert.pk, until=now() + dt.timedelta(days=1), reason="")
    assert "reason" in no_reason.value.errors
    with pytest.raises(ValidationFailed):
        alert_close(viewer=viewer, alert_id=alert.pk, reason="  ")
    alert_close(viewer=viewer, alert_id=alert.pk, reason="Discussed with the hub")
    alerts_run()
    assert Alert.objects.filter(rule__code="FOUND-OOA").count() == 1
    assert Alert.objects.get(pk=alert.pk).status == "closed"


def test_another_team_cannot_work_an_alert(partnership):
    p = partnership
    _return(p, _open(p, hours_ago=30), hours_ago=20)
    alert = Alert.objects.get(rule__code="RHI-DUE")
    with pytest.raises(AccessDenied):
        alert_close(viewer=p.viewer("frontdoor"), alert_id=alert.pk, reason="not mine")


def test_a_high_risk_episode_open_too_long_alerts_and_resolves_on_return(partnership):
    p = partnership
    report = _open(p, hours_ago=30, grade="high")
    alert = Alert.objects.get(rule__code="HIGH-RISK-OPEN")
    assert alert.status == "open"
    _return(p, report, hours_ago=1)
    alert.refresh_from_db()
    assert alert.status == "closed"


def test_a_decision_needs_a_reason_and_allocation_starts_the_relationship(partnership):
    p = partnership
    report = _open(p)
    contact = Contact.objects.get(missing_report=report)
    viewer = p.viewer("frontdoor")
    with pytest.raises(ValidationFailed) as refused:
        contact_decide(viewer=viewer, contact_id=contact.pk, pathway="exploitation_hub", reason="")
    assert "reason" in refused.value.errors
    with pytest.raises(ValidationFailed) as no_hub:
        contact_decide(
            viewer=viewer,
            contact_id=contact.pk,
            pathway="exploitation_hub",
            reason="Found in a cuckooed flat",
        )
    assert "hub" in no_hub.value.errors["allocate_team"]
    contact_decide(
        viewer=viewer,
        contact_id=contact.pk,
        pathway="exploitation_hub",
        reason="Found in a cuckooed flat",
        allocate_team_id=p.teams["csc hub"].pk,
    )
    assert Relationship.objects.filter(person=p.kai, team=p.teams["csc hub"], kind="allocation").exists()
    with pytest.raises(ValidationFailed):
        contact_decide(viewer=viewer, contact_id=contact.pk, pathway="nfa", reason="again")


def test_an_overdue_decision_alerts_the_front_door_and_resolves_when_decided(partnership):
    p = partnership
    report = _open(p, hours_ago=2)
    contact = Contact.objects.get(missing_report=report)
    alerts_run(at=contact.decision_due_at + dt.timedelta(minutes=5))
    alert = Alert.objects.get(rule__code="REFERRAL-OVERDUE")
    assert alert.team == p.teams["front door"]
    contact_decide(
        viewer=p.viewer("frontdoor"),
        contact_id=contact.pk,
        pathway="nfa",
        reason="Already known; plan in place",
    )
    alert.refresh_from_db()
    assert alert.status == "closed"


@pytest.mark.parametrize("who", ["dsla", "analyst", "dpo", "sysadmin"])
def test_roles_without_missing_work_can_do_none_of_it(partnership, who):
    p = partnership
    with pytest.raises(AccessDenied):
        missing_dashboard(viewer=p.viewer(who))
    with pytest.raises(AccessDenied):
        _open(p, who=who)
    with pytest.raises(AccessDenied):
        philomena_save(viewer=p.viewer(who), person_id=p.kai.pk, values={"description": "x"})
    assert MissingReport.objects.count() == 0


def test_a_coordinator_cannot_open_a_report_on_a_child_they_have_no_relationship_with(partnership):
    p = partnership
    with pytest.raises(AccessDenied):
        missing_report_open(
            viewer=p.viewer("coordinator"),
            data=ReportIn(
                person_id=p.mia.pk,
                police_force_id=p.agencies["POL"].pk,
                reported_at=now() - dt.timedelta(hours=1),
                risk_grade="low",
            ),
        )


def test_the_dashboard_lists_only_children_the_viewer_works_with(partnership):
    p = partnership
    _open(p)
    timeline_items_collect(
        items=[
            ItemIn(
                ("POL", "NICHE", "P2"),
                "missing_report",
                "POL",
                "safeguarding",
                now() - dt.timedelta(hours=5),
                "Missing from home",
                details={"risk_grade": "high", "missing_from": "home", "occurrence_ref": "MPR-MIA"},
            )
        ],
        source_reference="test import",
        system_actor="test",
    )
    missing_derive(
        system_actor="test"
    )  # the import's notification gives the missing team... only recent work
    Relationship.objects.filter(person=p.mia).delete()  # ...so take it away: no relationship with Mia
    board = missing_dashboard(viewer=p.viewer("coordinator"))
    assert {r.item.person_id for r in board.open_reports} == {p.kai.pk}
    police = missing_dashboard(viewer=p.viewer("hubpol"))  # the force holds both children's records
    assert {r.item.person_id for r in police.open_reports} == {p.kai.pk, p.mia.pk}
    shown = AuditEvent.objects.filter(code=AuditCode.MISSING_DASHBOARD_VIEWED).order_by("-pk").first()
    assert shown is not None


def test_imported_police_reports_and_903_episodes_are_derived_distinct_but_linked(partnership):
    p = partnership
    returned = now() - dt.timedelta(days=2)
    timeline_items_collect(
        items=[
            ItemIn(
                ("POL", "NICHE", "P1"),
                "missing_report",
                "POL",
                "safeguarding",
                returned - dt.timedelta(hours=20),
                "Missing from placement",
                details={
                    "risk_grade": "high",
                    "risk_history": [
                        {"at": (returned - dt.timedelta(hours=20)).isoformat(), "grade": "medium"}
                    ],
                    "returned_at": returned.isoformat(),
                    "found_location": "Coalville",
                    "found_out_of_area": False,
                    "missing_from": "placement",
                    "occurrence_ref": "MPR-1",
                },
                event_key="MPR:MPR-1",
            ),
            ItemIn(
                ("CSC", "MOSAIC", "C1"),
                "missing_episode_903",
                "CSC",
                "safeguarding",
                returned - dt.timedelta(hours=20),
                "Missing from placement",
                details={
                    "missing_type": "M",
                    "mis_start": (returned - dt.timedelta(hours=20)).date().isoformat(),
                    "mis_end": returned.date().isoformat(),
                },
            ),
        ],
        source_reference="test import",
        system_actor="test",
    )
    touched = missing_derive()
    assert p.kai.pk in touched
    report = MissingReport.objects.get(occurrence_ref="MPR-1")
    episode = CareMissingEpisode.objects.get()
    assert episode.police_report == report and episode.item_id != report.item_id
    assert [g.grade for g in report.gradings.all()] == ["medium", "high"]
    assert report.rhi.due_at == returned + dt.timedelta(hours=72)
    # idempotent: a second derive changes nothing
    missing_derive()
    assert MissingReport.objects.count() == 2  # the fixture's own report is derived too
    assert CareMissingEpisode.objects.count() == 1


def test_an_imported_open_police_report_releases_the_philomena_profile(partnership):
    p = partnership
    philomena_save(viewer=p.viewer("coordinator"), person_id=p.kai.pk, values={"description": "Slim, 5ft 6"})
    timeline_items_collect(
        items=[
            ItemIn(
                ("POL", "NICHE", "P1"),
                "missing_report",
                "POL",
                "safeguarding",
                now() - dt.timedelta(hours=3),
                "Missing from placement",
                details={"risk_grade": "high", "missing_from": "placement", "occurrence_ref": "MPR-FEED"},
                event_key="MPR:MPR-FEED",
            )
        ],
        source_reference="police feed",
        system_actor="test",
    )
    missing_derive()
    release = PhilomenaRelease.objects.get(report__occurrence_ref="MPR-FEED")
    assert release.released_to == p.agencies["POL"] and release.released_by is None
    logged = AuditEvent.objects.filter(code=AuditCode.PHILOMENA_RELEASED, details__report=release.report_id)
    assert logged.count() == 1 and logged.get().actor_username.startswith("system:")


def test_a_call_links_to_a_report_by_its_reference_only_if_the_caller_taker_can_see_it(partnership):
    from lantern.missing.services import CallIn, missing_call_record

    p = partnership
    report = _open(p)
    base = {
        "received_at": now(),
        "caller_name": "Foster carer",
        "child_name": "Kai",
        "what_reported": "Seen in town",
        "outcome": "linked_to_episode",
    }
    call = missing_call_record(
        viewer=p.viewer("coordinator"), data=CallIn(**base, report_ref=report.occurrence_ref)
    )
    assert call.report == report and call.person_id == p.kai.pk
    with pytest.raises(ValidationFailed) as unknown:
        missing_call_record(viewer=p.viewer("coordinator"), data=CallIn(**base, report_ref="NO-SUCH-REF"))
    assert "NO-SUCH-REF" in unknown.value.errors["report_ref"]
