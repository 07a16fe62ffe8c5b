"""Journey 3 (first part) in real headless Chromium: a hub social worker screens a child allocated to
the exploitation hub — indicators suggested from the records with links to their evidence — confirms
them, records a level with a rationale, and her manager signs the screening off, makes a safety plan
with an action that reaches the team's queue, and puts the child on the next MACE agenda."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from .test_journeys import _sign_in, _sign_out

pytestmark = pytest.mark.browser


def test_hub_worker_screens_a_child_and_the_manager_signs_off(live_lantern, page):
    child, person_id = live_lantern.shell(
        "from lantern.access.models import Relationship;"
        "r = Relationship.objects.filter(team__name='Exploitation hub (social care)').select_related('person')"
        ".order_by('id').first();"
        "print(r.person.display_name, r.person.pk, sep='|')"
    ).split("|")
    school_name = live_lantern.shell(
        "from lantern.access.models import Agency;"
        "print(Agency.objects.filter(agency_type='education').order_by('pk').first().name)"
    )
    due_in_two_days = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    base = live_lantern.base_url
    _sign_in(page, base, "jo", role_label="Exploitation hub worker")
    page.goto(f"{base}/people/{person_id}/")
    page.get_by_role("button", name="Start an exploitation screening").click()
    page.wait_for_url(re.compile(r"/screening/\d+/$"))
    screening_url = page.url
    assert page.get_by_test_id("screening-status").inner_text() == "In progress"

    table = page.get_by_test_id("indicators")
    if table.count():  # suggestions from the records, each with a link to the record it comes from
        assert table.locator("tbody tr").first.get_by_role("link").count() >= 1
        for index in range(table.locator("tbody tr").count()):
            row = page.get_by_test_id("indicators").locator("tbody tr").nth(index)
            row.get_by_role("button", name=re.compile(r"^Confirm")).click()
            page.get_by_test_id("indicators").locator("tbody tr").nth(index).locator(
                ".govuk-tag--green"
            ).wait_for()
    page.get_by_text("Add an indicator from your own knowledge").click()
    page.get_by_label("Indicator from your own knowledge").select_option("older_controlling_relationships")
    page.get_by_label("What you know").fill("Seen getting into cars with an older male")
    page.get_by_role("button", name="Add the indicator").click()
    advisory = re.search(r"advises (\w+)", page.get_by_test_id("advisory").inner_text()).group(1)
    page.get_by_label("Your level").select_option("HIGH")
    if advisory != "HIGH":
        page.get_by_label("Rationale").fill(
            "Found out of area twice with an adult posing risk; my judgement is high"
        )
    page.get_by_role("button", name="Submit for manager sign-off").click()
    assert page.get_by_test_id("screening-status").inner_text() == "Awaiting manager sign-off"
    assert "HIGH" in page.get_by_test_id("outcome").inner_text()
    _sign_out(page)

    _sign_in(page, base, "chris")
    page.goto(f"{base}/people/{person_id}/")
    page.get_by_test_id("screenings").get_by_role("link").first.click()
    page.get_by_role("button", name="Sign off this screening").click()
    assert page.get_by_test_id("screening-status").inner_text() == "Signed off"
    assert page.url == screening_url

    # The plan for the child: a safety plan with an action for the school, due in two days, which
    # appears in the team's queue; then the child goes on the next MACE agenda (screened HIGH).
    page.goto(f"{base}/people/{person_id}/")
    page.get_by_role("link", name="Create a safety plan").click()
    page.get_by_label("What the plan is for").fill("Keep him safe at school and away from the deal line")
    page.get_by_role("button", name="Create the plan").click()
    page.wait_for_url(re.compile(r"/plans/\d+/$"))
    page.get_by_label("Action").fill("Daily check-in with the designated safeguarding lead")
    page.get_by_label("Owner agency").select_option(label=school_name)
    page.get_by_label("Responsible person").fill("Head of year 10")
    page.get_by_label("Due by").fill(due_in_two_days)
    page.get_by_role("button", name="Add the action").click()
    assert "Daily check-in" in page.get_by_test_id("actions").inner_text()

    page.get_by_role("link", name="Team queue").click()
    card = page.locator("[data-rule=PLAN-ACTION-DUE]").filter(has_text=child)
    assert "Daily check-in" in card.first.inner_text()

    page.get_by_role("link", name="MACE").click()
    page.get_by_role("link", name=re.compile("MACE level 1")).first.click()
    proposed = page.get_by_test_id("proposals").locator("tr", has_text=child)
    assert "Screened HIGH" in proposed.inner_text()
    proposed.get_by_role("button", name=re.compile("^Add to the agenda")).click()
    assert child in page.get_by_test_id("agenda").inner_text()
    assert "Screened HIGH" in page.get_by_test_id("agenda").inner_text()
    assert child
