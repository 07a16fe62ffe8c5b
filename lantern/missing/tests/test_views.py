"""The missing, front door and queue pages: each renders for the roles that do the work, refuses the
rest, shows nothing of other teams' work, and lists in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from lantern.alerts.models import Alert
from lantern.audit.codes import AuditCode
from lantern.audit.models import AuditEvent
from lantern.conftest import sign_in
from lantern.core.timeutils import local, now
from lantern.missing.models import MissingReport
from lantern.missing.services import ReportIn, missing_report_open, missing_report_return
from lantern.referrals.models import Contact


def _report(p, hours_ago=30) -> MissingReport:
    return missing_report_open(
        viewer=p.viewer("coordinator"),
        data=ReportIn(
            person_id=p.kai.pk,
            police_force_id=p.agencies["POL"].pk,
            reported_at=now() - dt.timedelta(hours=hours_ago),
            risk_grade="high",
        ),
    )


def test_a_coordinator_opens_a_report_through_the_form_and_sees_errors_by_field(partnership, client):
    p = partnership
    sign_in(client, "coordinator")
    url = reverse("missing:report_new", args=[p.kai.pk])
    assert client.get(url).status_code == 200
    bad = client.post(
        url,
        {
            "police_force": p.agencies["POL"].pk,
            "reported_at": "2099-01-01T10:00",
            "risk_grade": "low",
            "missing_from": "home",
        },
    )
    assert bad.status_code == 200 and "cannot be in the future" in bad.content.decode()
    assert not MissingReport.objects.exists()
    good = client.post(
        url,
        {
            "police_force": p.agencies["POL"].pk,
            "reported_at": (now() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "risk_grade": "medium",
            "missing_from": "home",
            "last_seen_where": "Loughborough station",
        },
    )
    report = MissingReport.objects.get()
    assert good.status_code == 302 and good.url == reverse("missing:report", args=[report.pk])
    page = client.get(good.url).content.decode()
    assert "Loughborough station" in page and "Record the return" in page


def test_a_non_existent_spring_forward_time_is_refused_by_the_form(partnership, client):
    p = partnership
    sign_in(client, "coordinator")
    response = client.post(
        reverse("missing:report_new", args=[p.kai.pk]),
        {
            "police_force": p.agencies["POL"].pk,
            "reported_at": "2026-03-29T01:30",
            "risk_grade": "low",
            "missing_from": "home",
        },
    )
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    assert not MissingReport.objects.exists()


def test_the_return_form_rejects_a_return_before_the_report(partnership, client):
    p = partnership
    report = _report(p)
    sign_in(client, "coordinator")
    response = client.post(
        reverse("missing:return", args=[report.pk]),
        {
            "return-returned_at": local(report.reported_at - dt.timedelta(hours=1)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "return-found_location": "Home",
        },
    )
    assert response.status_code == 400 and "on or after the report" in response.content.decode()


@pytest.mark.parametrize("who", ["dsla", "analyst", "dpo", "sysadmin"])
def test_pages_refuse_roles_that_do_not_do_the_work(partnership, client, who):
    p = partnership
    report = _report(p)
    sign_in(client, who)
    for url in (
        reverse("missing:dashboard"),
        reverse("missing:calls"),
        reverse("referrals:queue"),
        reverse("missing:report_new", args=[p.kai.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert (
        client.post(
            reverse("missing:regrade", args=[report.pk]), {"regrade-grade": "low", "regrade-rationale": "x"}
        ).status_code
        == 403
    )


def test_a_school_cannot_open_a_report_by_guessing_its_id(partnership, client):
    p = partnership
    report = _report(p)
    sign_in(client, "dslb")  # School B holds no record of Kai
    response = client.get(reverse("missing:report", args=[report.pk]))
    assert response.status_code == 403
    assert "Kai" not in response.content.decode()
    assert AuditEvent.objects.filter(code=AuditCode.ACCESS_REFUSED, object_type="missing_report").exists()


def test_queues_show_each_team_only_its_own_alerts(partnership, client):
    p = partnership
    missing_report_return(
        viewer=p.viewer("coordinator"),
        report_id=_report(p).pk,
        returned_at=now() - dt.timedelta(hours=3),
        found_location="Birmingham",
        found_out_of_area=True,
    )
    sign_in(client, "coordinator")
    mine = client.get(reverse("alerts:queue")).content.decode()
    assert "Return home interview due" in mine and "Kai Brennan" in mine
    client.logout()
    sign_in(client, "frontdoor")
    theirs = client.get(reverse("alerts:queue")).content.decode()
    assert "Return home interview due" not in theirs and "Kai Brennan" not in theirs
    alert = Alert.objects.filter(rule__code="RHI-DUE").get()
    assert (
        client.post(reverse("alerts:action", args=[alert.pk, "close"]), {"reason": "not ours"}).status_code
        == 403
    )


def test_working_an_alert_from_the_queue(partnership, client):
    p = partnership
    missing_report_return(
        viewer=p.viewer("coordinator"), report_id=_report(p).pk, returned_at=now() - dt.timedelta(hours=3),
        found_location="Birmingham", found_out_of_area=True,
    )  # fmt: skip
    alert = Alert.objects.get(rule__code="FOUND-OOA")
    sign_in(client, "coordinator")
    client.post(reverse("alerts:action", args=[alert.pk, "acknowledge"]))
    alert.refresh_from_db()
    assert alert.status == "acknowledged"
    client.post(
        reverse("alerts:action", args=[alert.pk, "snooze"]), {"until": "2099-01-01T09:00", "reason": ""}
    )
    alert.refresh_from_db()
    assert alert.status == "acknowledged"  # no reason: not snoozed
    client.post(
        reverse("alerts:action", args=[alert.pk, "snooze"]),
        {"until": "2099-01-01T09:00", "reason": "Strategy meeting on Monday"},
    )
    alert.refresh_from_db()
    assert alert.status == "snoozed"
    assert alert.actions.filter(
        action="snoozed", reason="Strategy meeting on Monday", by__username="coordinator"
    ).exists()


def test_the_front_door_decides_a_contact_from_its_page(partnership, client):
    p = partnership
    _report(p)
    contact = Contact.objects.get()
    sign_in(client, "frontdoor")
    queue = client.get(reverse("referrals:queue")).content.decode()
    assert "Police missing notification" in queue and "due in" in queue
    page = client.post(
        reverse("referrals:contact", args=[contact.pk]), {"pathway": "early_help", "reason": ""}
    )
    assert page.status_code == 400 and "Enter the reason" in page.content.decode()
    done = client.post(
        reverse("referrals:contact", args=[contact.pk]), {"pathway": "early_help", "reason": "Family support"}
    )
    assert done.status_code == 302
    contact.refresh_from_db()
    assert contact.pathway == "early_help" and contact.decided_by.username == "frontdoor"


def test_list_pages_use_a_fixed_number_of_queries(partnership, client, django_assert_max_num_queries):
    p = partnership
    report = _report(p)
    missing_report_return(
        viewer=p.viewer("coordinator"), report_id=report.pk, returned_at=now() - dt.timedelta(hours=3),
        found_location="Birmingham", found_out_of_area=True,
    )  # fmt: skip
    sign_in(client, "coordinator")
    for url in (
        reverse("missing:dashboard"),
        reverse("alerts:queue"),
        reverse("missing:calls"),
        reverse("missing:report", args=[report.pk]),
    ):
        with django_assert_max_num_queries(30):
            assert client.get(url).status_code == 200
    client.logout()
    sign_in(client, "frontdoor")
    with django_assert_max_num_queries(30):
        assert client.get(reverse("referrals:queue")).status_code == 200


def test_the_phone_line_records_a_call(partnership, client):
    sign_in(client, "coordinator")
    url = reverse("missing:calls")
    client.post(
        url,
        {
            "received_at": "2026-11-01T10:00",
            "caller_name": "",
            "child_name": "Kai",
            "what_reported": "x",
            "outcome": "advice_given",
        },
    )
    response = client.post(
        url,
        {"received_at": (now() - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"), "caller_name": "Foster carer",
         "child_name": "Kai", "what_reported": "Not home from school", "outcome": "passed_to_police"},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Not home from school" in page and page.count("Foster carer") == 1
