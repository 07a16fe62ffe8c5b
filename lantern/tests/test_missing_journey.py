"""Journey 2 end to end in real headless Chromium: a looked-after child goes missing (the Philomena
profile is released to police and the release logged), comes back, the return-interview alert lands
in the missing team's queue with its deadline, the interview is recorded with a disclosure, the alert
closes and the disclosure appears on the child's page as a suggested screening indicator."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from lantern.core.timeutils import LONDON

from .test_journeys import _sign_in

pytestmark = pytest.mark.browser


def _local(hours_ago: float) -> str:
    return (dt.datetime.now(tz=LONDON) - dt.timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M")


def test_missing_episode_to_return_interview_to_suggested_indicator(live_lantern, page):
    child, person_id = live_lantern.shell(
        "from lantern.people.models import Person;"
        "from lantern.missing.models import MissingReport;"
        "busy = MissingReport.objects.filter(returned_at__isnull=True).values('item__person_id');"
        "p = Person.objects.filter(timeline_items__item_type='lac_episode', timeline_items__controller__code='LCC-CFS')"
        ".exclude(pk__in=busy).exclude(display_name='').distinct().order_by('pk').first();"
        "print(p.display_name, p.pk, sep='|')"
    ).split("|")
    base = live_lantern.base_url
    _sign_in(page, base, "jo", role_label="Missing children coordinator")

    # Part 1 of the Philomena Protocol, kept in advance by the local authority
    page.goto(f"{base}/people/{person_id}/")
    page.get_by_role("link", name="Philomena profile").click()
    page.get_by_label("Personal details and physical description").fill("Slim build, 5ft 4, short dark hair")
    page.get_by_label("Friends and associates").fill("An older boy known as 'T'")
    page.get_by_role("button", name="Create the profile").click()
    assert "Philomena profile saved" in page.locator(".govuk-notification-banner").inner_text()

    # The child is reported missing: the profile goes to the police force, and the release is logged
    page.goto(f"{base}/people/{person_id}/")
    page.get_by_role("link", name="Open a missing report").click()
    page.get_by_label("Police force reported to").select_option(label="Leicestershire Police")
    page.get_by_label("Reported to police at").fill(_local(6))
    page.get_by_label("Risk grade").select_option("medium")
    page.get_by_label("Missing from").select_option("placement")
    page.get_by_label("Last seen where").fill("Loughborough railway station")
    page.get_by_role("button", name="Open the report").click()
    banner = page.locator(".govuk-notification-banner").inner_text()
    assert "Philomena profile released to Leicestershire Police (logged)" in banner
    assert page.get_by_test_id("episode-status").inner_text() == "Missing"
    assert "logged as a disclosure" in page.get_by_test_id("philomena-releases").inner_text()
    report_url = page.url
    logged = live_lantern.shell(
        "from lantern.audit.models import AuditEvent;"
        f"print(AuditEvent.objects.filter(code=310, subjects__person_id='{person_id}').count())"
    )
    assert logged == "1"

    # The child returns
    form = page.get_by_test_id("return-form")
    form.get_by_label("Found or returned at").fill(_local(2))
    form.get_by_label("Where found or returned to").fill("Found by police in Birmingham")
    form.get_by_label("Found outside the force area").check()
    form.get_by_role("button", name="Record the return").click()
    assert page.get_by_test_id("episode-status").inner_text() == "Returned"

    # The interview alert is in the missing team's queue, with its 72-hour deadline
    page.get_by_role("link", name="Team queue").first.click()
    alert = page.get_by_test_id("alert").filter(has_text="Return home interview due").filter(has_text=child)
    assert alert.count() == 1
    assert re.search(r"due in (\d+ hours|\d+ days)", alert.get_by_test_id("alert-due").inner_text())

    # The interview is recorded with a disclosure
    page.goto(report_url)
    rhi = page.get_by_test_id("rhi-form")
    rhi.get_by_label("Outcome").select_option("completed")
    rhi.get_by_label("Offered at").fill(_local(1))
    rhi.get_by_label("Held at").fill(_local(0.5))
    rhi.get_by_label("Held by").fill("Independent return interviewer")
    rhi.get_by_label("Unexplained money, clothes or phones").check()
    rhi.get_by_label("In the child's words").fill("An older boy gives him trainers and a phone")
    rhi.get_by_role("button", name="Record the interview").click()
    assert "Return home interview recorded" in page.locator(".govuk-notification-banner").inner_text()
    assert "Unexplained money, clothes or phones" in page.get_by_test_id("suggested-from-rhi").inner_text()

    # The alert has closed, and the child's page shows the suggested indicator with its evidence
    page.get_by_role("link", name="Team queue").first.click()
    assert (
        page.get_by_test_id("alert")
        .filter(has_text="Return home interview due")
        .filter(has_text=child)
        .count()
        == 0
    )
    page.goto(f"{base}/people/{person_id}/")
    suggested = page.get_by_test_id("suggested-indicators")
    assert "Unexplained money, clothes or phones" in suggested.inner_text()
    suggested.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/missing/reports/\d+/"))
