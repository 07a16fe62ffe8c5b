"""Clerical review, manual merge and split: decisions apply at once, are audited, survive later
runs, and are refused to anyone without the reviewer capability. Reviewers see only the records
their agency may see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from lantern.access.models import Membership, Team
from lantern.access.policy import Viewer
from lantern.audit.models import AuditEvent
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.linkage.charts import waterfall
from lantern.linkage.models import IdentityChange, ReviewPair
from lantern.linkage.selectors import review_pair_get, review_queue
from lantern.linkage.services import person_split, persons_merge, review_pair_decide
from lantern.people.models import Person, SourceRecord
from lantern.people.services import RecordIn, source_records_collect


@pytest.fixture
def reviewer(partnership):
    team = Team.objects.get(name="csc hub")
    membership = Membership.objects.create(user=partnership.users["hubsw"], team=team, role="data_officer")
    return Viewer(user=membership.user, membership=membership)


@pytest.fixture
def twin_records(partnership):
    """Two CSC records of one child that the deterministic pass could not join."""
    rows = source_records_collect(
        records=[
            RecordIn(
                "CSC", "MOSAIC", "T1", "Rio", "Ferdinand", dt.date(2012, 2, 2), "M", la_child_id="LCC-T1"
            ),
            RecordIn(
                "HOSP", "ED", "T2", "Rio", "Ferdinand", dt.date(2012, 2, 2), "M", nhs_number="9434765870"
            ),
        ],
        source_reference="t",
        system_actor="test",
    )
    left, right = sorted(rows, key=lambda r: r.pk)
    pair = ReviewPair.objects.create(
        record_l=left,
        record_r=right,
        match_probability=0.8,
        match_weight=2.0,
        explanation=[
            {"kind": "prior", "comparison": "prior", "match_weight": -10.0},
            {"kind": "comparison", "comparison": "given_name", "label": "Exact match", "match_weight": 8.0},
            {"kind": "comparison", "comparison": "dob", "label": "Exact match", "match_weight": 6.0},
            {"kind": "final", "comparison": "final", "match_weight": 4.0},
        ],
    )
    return pair


def test_same_decision_merges_the_two_people_and_is_audited(reviewer, twin_records):
    left, right = twin_records.record_l, twin_records.record_r
    assert left.person_id != right.person_id
    review_pair_decide(
        viewer=reviewer, pair=twin_records, decision="same", reason="Same child: CSC confirmed"
    )
    left.refresh_from_db()
    right.refresh_from_db()
    assert left.person_id == right.person_id
    assert Person.objects.filter(merged_into=left.person_id).count() == 1
    assert AuditEvent.objects.filter(code=204, actor=reviewer.user).exists()
    assert AuditEvent.objects.filter(code=205, actor=reviewer.user).exists()
    assert IdentityChange.objects.filter(kind="merge", survivor_id=left.person_id).exists()


def test_different_decision_on_one_person_splits_it(reviewer, twin_records, partnership):
    persons_merge(
        viewer=reviewer,
        person_ids=[twin_records.record_l.person_id, twin_records.record_r.person_id],
        reason="x",
    )
    twin_records.refresh_from_db()
    review_pair_decide(
        viewer=reviewer, pair=twin_records, decision="different", reason="Twins, checked with school"
    )
    left = SourceRecord.objects.get(pk=twin_records.record_l_id)
    right = SourceRecord.objects.get(pk=twin_records.record_r_id)
    assert left.person_id != right.person_id
    assert right.link_method == "manual"


def test_decisions_need_a_reason_and_the_capability(partnership, reviewer, twin_records):
    with pytest.raises(ValidationFailed):
        review_pair_decide(viewer=reviewer, pair=twin_records, decision="same", reason="")
    for username in ("frontdoor", "dpo", "dsla", "sysadmin"):
        with pytest.raises(AccessDenied):
            review_pair_decide(
                viewer=partnership.viewer(username), pair=twin_records, decision="same", reason="x"
            )
        with pytest.raises(AccessDenied):
            review_queue(viewer=partnership.viewer(username))
        with pytest.raises(AccessDenied):
            review_pair_get(viewer=partnership.viewer(username), pair_id=twin_records.pk)


def test_split_keeps_the_id_with_the_remaining_records(reviewer, partnership):
    kai = partnership.kai
    hospital = SourceRecord.objects.get(source_key="H1")
    new_person = person_split(
        viewer=reviewer, person_id=kai.pk, record_ids=[hospital.pk], reason="Different child"
    )
    assert SourceRecord.objects.filter(person=kai).count() == 3
    assert SourceRecord.objects.get(pk=hospital.pk).person_id == new_person.pk
    assert hospital.timeline_items.filter(person=new_person).count() == hospital.timeline_items.count()
    with pytest.raises(ValidationFailed):
        person_split(viewer=reviewer, person_id=kai.pk, record_ids=[], reason="nothing")


def test_pair_page_withholds_records_not_shared_with_the_reviewers_agency(partnership, twin_records):
    """A school reviewer (hypothetically) sees school and shared records only."""
    team = Team.objects.get(name="school b safeguarding")
    membership = Membership.objects.create(user=partnership.users["dslb"], team=team, role="data_officer")
    viewer = Viewer(user=membership.user, membership=membership)
    police = SourceRecord.objects.get(source_key="P2")
    other = SourceRecord.objects.get(source_key="A1")
    left, right = sorted([police, other], key=lambda r: r.pk)
    pair = ReviewPair.objects.create(record_l=left, record_r=right, match_probability=0.6, match_weight=1.0)
    view = review_pair_get(viewer=viewer, pair_id=pair.pk)
    shown = {view.left.source_key: view.left_visible, view.right.source_key: view.right_visible}
    assert shown == {"P2": False, "A1": True}


def test_waterfall_bars_accumulate_to_the_final_weight():
    chart = waterfall(
        [
            {"kind": "prior", "match_weight": -10.0},
            {"kind": "comparison", "comparison": "dob", "label": "Exact", "match_weight": 12.0},
            {"kind": "final", "match_weight": 2.0},
        ]
    )
    assert [b.weight for b in chart.bars] == [-10.0, 12.0, 2.0]
    assert [b.positive for b in chart.bars] == [False, True, True]
    assert chart.bars[-1].total


def test_review_pages_for_a_reviewer_and_refusal_for_others(partnership, reviewer, twin_records, client):
    from lantern.access.middleware import ACTING_MEMBERSHIP
    from lantern.conftest import PASSWORD

    client.post(reverse("access:login"), {"username": "hubsw", "password": PASSWORD})
    client.post(reverse("access:choose_role"), {"membership": reviewer.membership.pk})
    assert client.session[ACTING_MEMBERSHIP] == reviewer.membership.pk
    queue = client.get(reverse("linkage:queue")).content.decode()
    assert f"Review pair {twin_records.pk}" in queue and "Ferdinand" not in queue
    page = client.get(reverse("linkage:pair", args=[twin_records.pk])).content.decode()
    assert "Ferdinand" in page and 'data-testid="waterfall"' in page
    response = client.post(
        reverse("linkage:pair", args=[twin_records.pk]), {"decision": "same", "reason": "confirmed"}
    )
    assert response.status_code == 302
    twin_records.refresh_from_db()
    assert twin_records.decision == "same"
    client.logout()
    client.post(reverse("access:login"), {"username": "dsla", "password": PASSWORD})
    client.get(reverse("access:choose_role"))  # a single role is chosen automatically
    for url in (reverse("linkage:queue"), reverse("linkage:pair", args=[twin_records.pk])):
        denied = client.get(url)
        assert denied.status_code == 403 and b"Ferdinand" not in denied.content
