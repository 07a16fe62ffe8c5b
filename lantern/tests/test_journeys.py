"""End-to-end journeys in real headless Chromium against a real server (JOURNEYS.md 3 and 7):
a hub worker finds and opens a child; the data protection officer then sees that access."""

from __future__ import annotations

import re

import pytest

from lantern.synthetic.personas import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page, base_url: str, username: str, role_label: str | None = None) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if role_label:
        page.get_by_label(re.compile(role_label)).check()
        page.get_by_role("button", name="Continue").click()
    page.wait_for_selector("[data-testid=acting-role]")


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login/"))


def test_hub_worker_opens_a_child_and_the_dpo_sees_that_access(live_lantern, page):
    child, person_id = live_lantern.shell(
        "from lantern.access.models import Relationship;"
        "r = Relationship.objects.filter(team__is_exploitation_hub=True).select_related('person').order_by('id').first();"
        "print(r.person.display_name, r.person.pk, sep='|')"
    ).split("|")
    base = live_lantern.base_url

    _sign_in(page, base, "dev")
    assert "Exploitation hub worker" in page.get_by_test_id("acting-role").inner_text()
    page.get_by_role("link", name="Find a person").first.click()
    page.get_by_label("Name").fill(child)
    page.get_by_role("button", name="Search").click()
    results = page.get_by_test_id("search-results")
    results.locator(f"a[href*='{person_id}']").click()
    assert page.get_by_role("heading", level=1).inner_text() == child
    page.get_by_test_id("timeline").wait_for()
    assert page.get_by_test_id("timeline").locator("tbody tr").count() > 0
    _sign_out(page)

    _sign_in(page, base, "morgan")
    page.get_by_role("link", name="Audit").first.click()
    page.get_by_label("Child's name").fill(child)
    page.get_by_role("button", name="Find").click()
    page.get_by_test_id("audit-people").locator(f"a[href*='{person_id}']").click()
    events = page.get_by_test_id("audit-events")
    viewed = events.locator("tr", has_text="Person record viewed").filter(has_text="dev")
    assert viewed.count() >= 1
    assert "Exploitation hub worker" in viewed.first.inner_text()
    searched = events.locator("tr", has_text="Person search").filter(has_text="dev")
    assert searched.count() >= 1


def test_a_user_with_two_roles_chooses_one_at_login(live_lantern, page):
    _sign_in(page, live_lantern.base_url, "jo", role_label="Missing children coordinator")
    assert "Missing children coordinator" in page.get_by_test_id("acting-role").inner_text()


def test_wrong_password_shows_an_error_summary(live_lantern, page):
    page.goto(f"{live_lantern.base_url}/login/")
    page.get_by_label("Username").fill("dev")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    assert "There is a problem" in page.locator(".govuk-error-summary").inner_text()


def test_a_reviewer_resolves_a_queued_pair_and_the_person_page_reflects_it(live_lantern, page):
    """Chris (team manager, children's social care) decides that a queued pair are different
    people; the child's page then lists one record fewer."""
    pair_id, person_id = live_lantern.shell(
        "from lantern.linkage.models import ReviewPair;"
        "from lantern.access.models import Team;"
        "from lantern.access.services import relationship_start;"
        "from django.db.models import F;"
        # a queued pair now in one person (which pairs the synthetic county queues depends on the
        # day it is generated for), allocated to Chris's team so that he may open the person
        "p = ReviewPair.objects.filter(decision='', record_l__person=F('record_r__person'))"
        ".exclude(record_r__agency__agency_type='regional_partner').order_by('id').first();"
        "team = Team.objects.get(agency__code='LCC-CFS', name='Exploitation hub (social care)');"
        "relationship_start(person_id=p.record_l.person_id, kind='allocation', reason='e2e set-up', team=team,"
        " system_actor='e2e');"
        "print(p.pk, p.record_l.person_id, sep='|')"
    ).split("|")
    base = live_lantern.base_url
    _sign_in(page, base, "chris")
    page.goto(f"{base}/people/{person_id}/")
    linked = re.compile(r"^Linked records \((\d+)")
    records_before = int(linked.match(page.get_by_role("heading", name=linked).inner_text()).group(1))
    page.get_by_role("link", name="Review matches").click()
    page.get_by_test_id("review-queue").get_by_role("link", name=f"Review pair {pair_id}", exact=True).click()
    page.get_by_test_id("waterfall").wait_for()
    page.get_by_label("Different people").check()
    page.get_by_label("Reason").fill("Different children: confirmed with the school office")
    page.get_by_role("button", name="Record decision").click()
    assert "Decision recorded and applied" in page.locator(".govuk-notification-banner").inner_text()
    page.goto(f"{base}/people/{person_id}/")
    records_after = int(linked.match(page.get_by_role("heading", name=linked).inner_text()).group(1))
    assert records_after == records_before - 1
