"""Screening through its services and pages: suggestions pre-filled from what the assessor's agency
may see (with links to the evidence), decisions with reasons, the level as the practitioner's
judgement, sign-off by another manager, the version kept, and nobody else seeing any of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from lantern.alerts.models import Alert
from lantern.alerts.services import alerts_refresh
from lantern.analytics.screening import suggest
from lantern.conftest import sign_in
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.timeutils import local, now
from lantern.people.models import PersonCategory
from lantern.screening.models import Screening, SuggestedIndicator
from lantern.screening.services import (
    child_facts,
    current_tools,
    screening_indicator_add,
    screening_indicator_decide,
    screening_sign_off,
    screening_start,
    screening_submit,
)


def _decide_all(p, screening, who="hubsw"):
    for row in screening.indicators.all():
        screening_indicator_decide(
            viewer=p.viewer(who), screening_id=screening.pk, indicator=row.indicator, decision="confirmed"
        )


def test_a_screening_is_prefilled_with_suggestions_and_their_evidence(partnership):
    p = partnership
    screening = screening_start(viewer=p.viewer("hubsw"), person_id=p.kai.pk)
    tool = current_tools()["lantern-cce"]
    assert (screening.tool_code, screening.tool_version) == (tool.code, tool.version)
    suggested = {row.indicator: row for row in screening.indicators.all()}
    assert "education_decline" in suggested  # the school suspension
    links = suggested["education_decline"].evidence_links
    assert links and all(
        f"/people/{p.kai.pk}/timeline/" in link["url"] or "/missing/" in link["url"] for link in links
    )
    assert all(row.origin == "suggested" and row.decision == "" for row in suggested.values())


def test_withheld_records_never_become_evidence(partnership):
    p = partnership
    seen_by_school = {f.kind for f in child_facts(p.viewer("dsla"), p.kai, now())[0].facts}
    seen_by_social_care = {f.kind for f in child_facts(p.viewer("hubsw"), p.kai, now())[0].facts}
    assert "arrest" in seen_by_social_care  # shared with children's services under the CCE agreement
    assert "arrest" not in seen_by_school  # law-enforcement data never reaches a school


def test_decisions_levels_and_sign_off(partnership):
    p = partnership
    hub = p.viewer("hubsw")
    screening = screening_start(viewer=hub, person_id=p.kai.pk)
    first = screening.indicators.first()
    with pytest.raises(ValidationFailed) as no_reason:
        screening_indicator_decide(
            viewer=hub, screening_id=screening.pk, indicator=first.indicator, decision="rejected"
        )
    assert "reason" in no_reason.value.errors
    with pytest.raises(ValidationFailed) as undecided:
        screening_submit(viewer=hub, screening_id=screening.pk, final_level="HIGH", rationale="x")
    assert "indicators" in undecided.value.errors
    _decide_all(p, screening)
    screening_indicator_add(
        viewer=hub,
        screening_id=screening.pk,
        indicator="older_controlling_relationships",
        note="Seen with an older male",
    )
    advisory = _advisory(p, screening)
    other = next(level.code for level in current_tools()["lantern-cce"].levels if level.code != advisory)
    with pytest.raises(ValidationFailed) as no_rationale:
        screening_submit(viewer=hub, screening_id=screening.pk, final_level=other, rationale="")
    assert advisory in no_rationale.value.errors["rationale"]
    screening = screening_submit(
        viewer=hub,
        screening_id=screening.pk,
        final_level="HIGH",
        rationale="Found in Birmingham with an adult posing risk",
    )
    assert screening.status == "submitted" and screening.final_level == "HIGH"
    assert screening.review_due_on < local(now()).date() + dt.timedelta(weeks=12)  # high: reviewed sooner
    assert PersonCategory.objects.filter(
        person=p.kai, category="child_at_risk", controller=p.agencies["CSC"]
    ).exists()
    with pytest.raises(ValidationFailed):  # a submitted screening no longer changes
        screening_indicator_decide(
            viewer=hub, screening_id=screening.pk, indicator=first.indicator, decision="confirmed"
        )
    with pytest.raises(AccessDenied):  # a hub worker cannot sign off
        screening_sign_off(viewer=hub, screening_id=screening.pk)
    signed = screening_sign_off(viewer=p.viewer("manager"), screening_id=screening.pk)
    assert signed.status == "signed_off" and signed.signed_off_by.username == "manager"


def _advisory(p, screening) -> str:
    from lantern.screening.services import advice_for

    return advice_for(p.viewer("hubsw"), screening).level


def test_the_assessor_cannot_sign_off_their_own_screening(partnership):
    p = partnership
    manager = p.viewer("manager")
    screening = screening_start(viewer=manager, person_id=p.kai.pk)
    _decide_all(p, screening, who="manager")
    screening_submit(
        viewer=manager, screening_id=screening.pk, final_level=_advisory(p, screening), rationale=""
    )
    with pytest.raises(ValidationFailed) as refused:
        screening_sign_off(viewer=manager, screening_id=screening.pk)
    assert "other than its assessor" in refused.value.errors["screening"]


@pytest.mark.parametrize("who", ["dsla", "analyst", "dpo", "sysadmin", "coordinator"])
def test_roles_that_do_not_screen_cannot_start_one(partnership, who):
    with pytest.raises(AccessDenied):
        screening_start(viewer=partnership.viewer(who), person_id=partnership.kai.pk)
    assert not Screening.objects.exists()


def test_a_screening_page_is_refused_to_a_school_and_audited(partnership, client):
    p = partnership
    screening = screening_start(viewer=p.viewer("hubsw"), person_id=p.kai.pk)
    sign_in(client, "hubsw")
    page = client.get(reverse("screening:detail", args=[screening.pk]))
    assert page.status_code == 200 and "Exploitation screening" in page.content.decode()
    client.logout()
    sign_in(client, "dslb")
    refused = client.get(reverse("screening:detail", args=[screening.pk]))
    assert refused.status_code == 403 and "Kai" not in refused.content.decode()


def test_a_new_indicator_without_a_current_screening_alerts_the_hub_until_screened(partnership):
    p = partnership
    from lantern.people.models import TimelineItem

    item = TimelineItem.objects.filter(person=p.kai, item_type="missing_report").first()
    SuggestedIndicator.objects.create(
        person=p.kai, indicator="unexplained_money_items", evidence="Disclosed at interview", source_item=item,
        evidence_url="/missing/", suggested_at=now(), controller=p.agencies["CSC"], purpose="safeguarding",
        item_type="return_home_interview", source_reference="test",
    )  # fmt: skip
    alerts_refresh(person_ids={p.kai.pk})
    alert = Alert.objects.get(rule__code="INDICATOR-NO-SCREENING")
    assert alert.team == p.teams["csc hub"] and alert.status == "open"
    hub = p.viewer("hubsw")
    screening = screening_start(viewer=hub, person_id=p.kai.pk)
    _decide_all(p, screening)
    screening_submit(viewer=hub, screening_id=screening.pk, final_level=_advisory(p, screening), rationale="")
    alerts_refresh(person_ids={p.kai.pk})
    alert.refresh_from_db()
    assert alert.status == "closed"


def test_suggestions_for_every_child_match_the_one_child_path(partnership):
    from lantern.screening.services import suggestions_for_children

    p = partnership
    at = now()
    everyone = suggestions_for_children(p.viewer("hubsw"), at)
    one = {s.indicator for s in suggest(child_facts(p.viewer("hubsw"), p.kai, at)[0], at)}
    assert {s.indicator for s in everyone[p.kai.pk]} == one
    assert "education_decline" in one


def test_trajectory_chart_plots_each_level_and_escapes_text():
    from lantern.screening.charts import trajectory_svg

    svg = trajectory_svg(
        [(dt.date(2026, 1, 5), "LOW"), (dt.date(2026, 4, 1), "HIGH"), (dt.date(2026, 6, 1), "<b>")],
        ["LOW", "MEDIUM", "HIGH"],
    )
    assert svg.count("<circle") == 2  # a level outside the scale is not plotted
    assert "HIGH on 01 Apr 2026" in svg and "<b>" not in svg
    assert trajectory_svg([], ["LOW"]) == ""


def test_a_learning_disability_recorded_by_the_practitioner_lifts_the_advice_off_low(partnership, client):
    from lantern.screening.services import advice_for

    p = partnership
    screening = screening_start(viewer=p.viewer("hubsw"), person_id=p.kai.pk)
    for row in screening.indicators.all():
        screening_indicator_decide(
            viewer=p.viewer("hubsw"), screening_id=screening.pk, indicator=row.indicator,
            decision="rejected", reason="Not borne out",
        )  # fmt: skip
    assert advice_for(p.viewer("hubsw"), screening).level == "LOW"
    sign_in(client, "hubsw")
    url = reverse("screening:learning_disability", args=[screening.pk])
    assert client.post(url, {"learning_disability": "yes"}).status_code == 302
    screening.refresh_from_db()
    advice = advice_for(p.viewer("hubsw"), screening)
    assert advice.level == "MEDIUM" and any("Learning disability" in r for r in advice.reasons)
    sign_in(client, "dslb")
    assert client.post(url, {"learning_disability": ""}).status_code == 403
    screening.refresh_from_db()
    assert screening.learning_disability
