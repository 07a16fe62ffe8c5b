"""The web journey through the access spine: login with acting role, session expiry, break-glass,
refusals that leak nothing, and every page that returns personal data refusing the unauthorised."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from lantern.access.middleware import ACTING_MEMBERSHIP, LOGIN_AT
from lantern.access.models import BreakGlassGrant, Membership
from lantern.audit.models import AuditEvent
from lantern.conftest import PASSWORD


def _login(client, username: str):
    response = client.post(reverse("access:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    membership = Membership.objects.filter(user__username=username).first()
    client.post(reverse("access:choose_role"), {"membership": membership.pk})
    return client


def test_wrong_password_is_refused_with_a_clear_message_and_audited(partnership, client):
    before = AuditEvent.objects.count()
    response = client.post(reverse("access:login"), {"username": "frontdoor", "password": "wrong"})
    assert response.status_code == 401
    assert "The username or password is not right" in response.content.decode()
    assert AuditEvent.objects.order_by("-seq").first().code == 402
    assert AuditEvent.objects.count() == before + 1
    assert client.get(reverse("people:search")).status_code == 302


def test_a_user_with_two_roles_must_choose_one_and_it_is_recorded(partnership, client):
    from lantern.access.models import Team

    user = partnership.users["hubsw"]
    Membership.objects.create(user=user, team=Team.objects.get(name="front door"), role="front_door")
    client.post(reverse("access:login"), {"username": "hubsw", "password": PASSWORD})
    page = client.get(reverse("home"))
    assert page.status_code == 302 and page.url.startswith(reverse("access:choose_role"))
    choice = client.get(reverse("access:choose_role"))
    assert "Which role are you acting in?" in choice.content.decode()
    membership = Membership.objects.get(user=user, role="front_door")
    client.post(reverse("access:choose_role"), {"membership": membership.pk})
    home = client.get(reverse("home"))
    assert "acting as <strong>Front door practitioner</strong>" in home.content.decode()
    assert AuditEvent.objects.order_by("-seq").filter(code=404).first().role == "front_door"


def test_cannot_choose_someone_elses_membership(partnership, client):
    client.post(reverse("access:login"), {"username": "dsla", "password": PASSWORD})
    other = Membership.objects.get(user__username="hubpol")
    response = client.post(reverse("access:choose_role"), {"membership": other.pk})
    assert response.status_code == 200  # re-shown with an error, not accepted
    assert client.session.get(ACTING_MEMBERSHIP) is None


def test_a_session_older_than_the_limit_ends_with_a_message(partnership, client):
    _login(client, "frontdoor")
    session = client.session
    session[LOGIN_AT] = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=9)).isoformat()
    session.save()
    response = client.get(reverse("people:search"))
    assert response.status_code == 302 and "expired=1" in response.url
    assert "Your session has ended" in client.get(response.url).content.decode()


PERSONAL_DATA_PAGES = [
    ("people:search", lambda p: {}, {"name": "Kai Brennan"}),
    ("people:person", lambda p: {"person_id": p.kai.pk}, {}),
    ("people:timeline", lambda p: {"person_id": p.kai.pk}, {}),
    ("audit:home", lambda p: {}, {"name": "Kai Brennan"}),
    ("audit:person", lambda p: {"person_id": p.kai.pk}, {}),
    ("audit:user", lambda p: {"user_id": p.users["frontdoor"].pk}, {}),
    ("audit:users", lambda p: {}, {}),
]


@pytest.mark.parametrize(("name", "kwargs", "params"), PERSONAL_DATA_PAGES)
def test_anonymous_users_are_sent_to_login_and_see_nothing(partnership, client, name, kwargs, params):
    response = client.get(reverse(name, kwargs=kwargs(partnership)), params)
    assert response.status_code == 302 and response.url.startswith(reverse("access:login"))
    assert b"Brennan" not in response.content


@pytest.mark.parametrize(("name", "kwargs", "params"), PERSONAL_DATA_PAGES)
def test_a_school_without_relationship_sees_nothing_of_the_child(partnership, client, name, kwargs, params):
    _login(client, "dslb")
    response = client.get(reverse(name, kwargs=kwargs(partnership)), params)
    assert response.status_code in (200, 403)
    content = response.content.decode()
    # The search box echoes what the user typed; nothing the partnership holds may appear.
    for leak in (str(partnership.kai.pk), "27 Mar 2011", "Birmingham", "Suspended", "Test Police"):
        assert leak not in content


@pytest.mark.parametrize("username", ["sysadmin", "dpo"])
def test_roles_without_case_access_get_403_on_case_pages(partnership, client, username):
    _login(client, username)
    for name in ("people:person", "people:timeline"):
        response = client.get(reverse(name, kwargs={"person_id": partnership.kai.pk}))
        assert response.status_code == 403
        assert b"Brennan" not in response.content


@pytest.mark.parametrize(
    "username", ["frontdoor", "hubsw", "hubpol", "analyst", "dsla", "manager", "sysadmin"]
)
def test_non_auditors_get_403_on_audit_pages(partnership, client, username):
    _login(client, username)
    for name, kwargs, _ in PERSONAL_DATA_PAGES[3:]:
        response = client.get(reverse(name, kwargs=kwargs(partnership)), {"name": "Kai Brennan"})
        assert response.status_code == 403
        assert str(partnership.kai.pk) not in response.content.decode()


def test_person_page_shows_cross_agency_timeline_and_withheld_count(partnership, client):
    _login(client, "dsla")
    before = AuditEvent.objects.count()
    page = client.get(reverse("people:person", kwargs={"person_id": partnership.kai.pk})).content.decode()
    assert "Kai Brennan" in page and "Suspended 3 days" in page and "Test Police" in page
    assert "Linked to deal line" not in page and "Source-protected" not in page
    assert "3 items held by other agencies are not shared with you" in page
    assert AuditEvent.objects.count() == before + 1  # exactly one row per consultation


def test_another_agencys_record_by_id_is_refused_without_leaking(partnership, client):
    _login(client, "dslb")
    for person_id in (partnership.mia.pk, uuid.uuid4()):
        response = client.get(reverse("people:person", kwargs={"person_id": person_id}))
        assert response.status_code == 403
        assert b"Stone" not in response.content and b"cuckooed" not in response.content


def test_break_glass_needs_a_reason_then_opens_for_a_limited_time_and_alerts_the_dpo(partnership, client):
    _login(client, "frontdoor")
    person_url = reverse("people:person", kwargs={"person_id": partnership.mia.pk})
    refused = client.get(person_url)
    assert refused.status_code == 302 and "break-glass" in refused.url
    no_reason = client.post(refused.url, {"reason": ""})
    assert "Enter why you need this record" in no_reason.content.decode()
    short = client.post(refused.url, {"reason": "because"})
    assert "at least 20 characters" in short.content.decode()
    assert not BreakGlassGrant.objects.exists()
    opened = client.post(
        refused.url, {"reason": "Police report she is missing tonight with a known adult"}, follow=True
    )
    assert "Mia Stone" in opened.content.decode() and "break-glass access" in opened.content.decode()
    grant = BreakGlassGrant.objects.get()
    assert dt.timedelta(hours=3, minutes=59) < grant.expires_at - grant.granted_at <= dt.timedelta(hours=4)
    assert AuditEvent.objects.filter(code=410, justification__contains="missing tonight").exists()
    # the DPO sees it waiting for review
    client.logout()
    _login(client, "dpo")
    audit_home = client.get(reverse("audit:home")).content.decode()
    assert "missing tonight" in audit_home
    # after expiry the record closes again
    BreakGlassGrant.objects.update(expires_at=grant.granted_at)
    client.logout()
    _login(client, "frontdoor")
    assert client.get(person_url).status_code == 302


def test_dpo_sees_who_accessed_a_child_and_what_a_user_accessed(partnership, client):
    _login(client, "dsla")
    client.get(reverse("people:person", kwargs={"person_id": partnership.kai.pk}))
    client.logout()
    _login(client, "dpo")
    who = client.get(reverse("audit:person", kwargs={"person_id": partnership.kai.pk})).content.decode()
    assert "dsla" in who and "Person record viewed" in who and "School designated safeguarding lead" in who
    what = client.get(
        reverse("audit:user", kwargs={"user_id": partnership.users["dsla"].pk})
    ).content.decode()
    assert "Kai Brennan" in what
    assert AuditEvent.objects.filter(code=110, actor__username="dpo").count() == 1
    assert AuditEvent.objects.filter(code=111, actor__username="dpo").count() == 1


def test_dpo_tamper_check_page_reports_a_clean_log(partnership, client):
    _login(client, "dpo")
    page = client.post(reverse("audit:verify")).content.decode()
    assert "No tampering found" in page


def test_timeline_page_query_count_does_not_grow_with_items(partnership, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lantern.conftest import at
    from lantern.people.services import ItemIn, timeline_items_collect

    _login(client, "hubpol")
    url = reverse("people:timeline", kwargs={"person_id": partnership.kai.pk})
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    timeline_items_collect(
        items=[
            ItemIn(
                ("HOSP", "ED", "H1"),
                "ae_attendance",
                "HOSP",
                "safeguarding",
                at(f"2026-0{1 + i % 9}-01T10:00"),
                f"Visit number {i}",
            )
            for i in range(40)
        ],
        source_reference="more",
        system_actor="test",
    )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.content.decode().count("Visit number ") == 40
    assert len(many) == len(few)


def test_health_endpoint(client, db):
    assert client.get("/healthz").json()["status"] == "ok"


def test_unknown_page_is_a_friendly_404(partnership, client):
    _login(client, "frontdoor")
    response = client.get("/no/such/page/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()


def test_pages_carry_a_strict_content_security_policy(partnership, client):
    policy = client.get(reverse("access:login"))["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
