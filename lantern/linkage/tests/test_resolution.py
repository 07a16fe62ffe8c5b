"""Identity resolution over stored records: accurate on the synthetic county, stable across runs,
incremental in effect, respectful of reviewers' decisions, and all-or-nothing on failure."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F

from lantern.audit.models import AuditEvent
from lantern.linkage.models import IdentityChange, LinkageRun, ReviewPair
from lantern.linkage.services import linkage_run_full, model_path
from lantern.people.models import Person, SourceRecord, TimelineItem
from lantern.people.services import RecordIn, source_records_collect
from lantern.synthetic.generator import generate
from lantern.synthetic.loader import load_county

AS_OF = dt.date(2026, 11, 28)


@pytest.fixture(scope="session")
def tiny_county():
    return generate("tiny", seed=2019, as_of=AS_OF)


@pytest.fixture
def loaded(db, tiny_county, settings, tmp_path_factory):
    # One model file for the whole session: training is not what these tests are about.
    settings.DATA_DIR = tmp_path_factory.getbasetemp() / "linkage-data"
    load_county(tiny_county, truth_dir=tmp_path_factory.mktemp("truth"))
    return tiny_county


def _person_of_record() -> dict[tuple[str, str, str], object]:
    return {
        (agency, system, key): person
        for agency, system, key, person in SourceRecord.objects.values_list(
            "agency__code", "source_system", "source_key", "person_id"
        )
    }


def test_loading_links_one_child_across_agencies_without_false_merges(loaded):
    from lantern.analytics.linkage import pairwise_scores

    keys = {r.key: (r.agency_code, r.source_system, r.source_key) for r in loaded.records}
    person_of = _person_of_record()
    predicted = {k: str(person_of[keys[k]]) for k in keys}
    scores = pairwise_scores(predicted, loaded.truth)
    assert scores.precision >= 0.99
    assert scores.recall >= 0.9
    assert Person.objects.filter(merged_into__isnull=True).count() < len(loaded.records)


def test_timeline_items_follow_their_records_into_the_surviving_person(loaded):
    mismatched = TimelineItem.objects.exclude(person_id=F("source_record__person_id")).count()
    assert mismatched == 0


def test_a_second_run_on_unchanged_data_changes_no_person_id(loaded):
    before = _person_of_record()
    run = linkage_run_full(system_actor="test")
    assert run.stats["records_moved"] == 0 and run.stats["persons_retired"] == 0
    assert _person_of_record() == before


def test_new_records_touch_only_the_people_they_join(loaded):
    child = (
        SourceRecord.objects.filter(dob__isnull=False, agency__agency_type="education").order_by("id").first()
    )
    before = _person_of_record()
    source_records_collect(
        records=[
            RecordIn(
                "UHL-NHS",
                "ED-SYSTEM",
                "NEW-ED-1",
                child.given_name,
                child.family_name.upper(),
                child.dob,
                child.sex,
                postcode=child.postcode,
            )
        ],
        source_reference="test new attendance",
        system_actor="test",
    )
    run = linkage_run_full(system_actor="test")
    after = _person_of_record()
    assert (
        after[("UHL-NHS", "ED-SYSTEM", "NEW-ED-1")]
        == before[(child.agency.code, child.source_system, child.source_key)]
    )
    changed = {key for key in before if before[key] != after[key]}
    assert changed == set()
    assert run.stats["records_moved"] == 1


def test_a_reviewers_different_decision_splits_the_pair_and_is_respected_by_later_runs(loaded):
    person = next(p for p in Person.objects.filter(merged_into__isnull=True) if p.source_records.count() == 2)
    left, right = sorted(person.source_records.values_list("pk", flat=True))
    ReviewPair.objects.create(
        record_l_id=left,
        record_r_id=right,
        match_probability=0.97,
        match_weight=5,
        decision="different",
        reason="Different children: checked with the school",
    )
    linkage_run_full(system_actor="test")
    assert SourceRecord.objects.get(pk=left).person_id != SourceRecord.objects.get(pk=right).person_id
    assert IdentityChange.objects.filter(kind="split", person=person).exists()
    again = linkage_run_full(system_actor="test")
    assert again.stats["records_moved"] == 0


def test_a_corrupt_model_file_fails_cleanly_and_changes_nothing(loaded):
    before = (_person_of_record(), AuditEvent.objects.count())
    model_path().write_text("{not json", encoding="utf-8")
    try:
        with pytest.raises(Exception, match="(?i)model"):
            linkage_run_full(system_actor="test")
    finally:
        model_path().unlink()
    assert (_person_of_record(), AuditEvent.objects.count()) == before
    assert LinkageRun.objects.order_by("-id").first().status == "failed"


def test_old_person_ids_lead_to_the_survivor(loaded):
    from lantern.people.selectors import person_resolve_id

    retired = Person.objects.filter(merged_into__isnull=False).first()
    assert retired is not None
    assert person_resolve_id(retired.pk) == retired.merged_into_id


def test_queued_pairs_say_why_they_were_queued_and_carry_no_values_in_their_explanation(loaded):
    pairs = list(ReviewPair.objects.all())
    assert pairs, "the tiny county leaves some pairs for review"
    assert {p.queued_because for p in pairs} <= {"probability_band", "guard_refused", "bridge_cut"}
    for pair in pairs:
        for row in pair.explanation:
            assert not {"value_l", "value_r"} & set(row), "explanations must not copy personal data"


def test_incremental_linking_attaches_a_new_record_and_touches_no_one_else(loaded):
    from lantern.linkage.services import linkage_link_new

    child = (
        SourceRecord.objects.filter(dob__isnull=False, agency__agency_type="education").order_by("id").first()
    )
    before = _person_of_record()
    rows = source_records_collect(
        records=[
            RecordIn(
                "UHL-NHS",
                "ED-SYSTEM",
                "INC-1",
                child.given_name,
                child.family_name,
                child.dob,
                child.sex,
                postcode=child.postcode,
            ),
            RecordIn(
                "UHL-NHS",
                "ED-SYSTEM",
                "INC-2",
                "Zephyrine",
                "Quillfeather",
                dt.date(2011, 7, 9),
                "F",
                postcode="LE11 9ZZ",
            ),
        ],
        source_reference="test incremental",
        system_actor="test",
    )
    run = linkage_link_new(record_ids=[r.pk for r in rows], system_actor="test")
    after = _person_of_record()
    assert (
        after[("UHL-NHS", "ED-SYSTEM", "INC-1")]
        == before[(child.agency.code, child.source_system, child.source_key)]
    )
    stranger = after[("UHL-NHS", "ED-SYSTEM", "INC-2")]
    assert SourceRecord.objects.filter(person_id=stranger).count() == 1
    assert {key for key in before if before[key] != after[key]} == set()
    assert run.kind == "incremental" and run.stats["new_records"] == 2


def test_incremental_linking_without_a_model_does_nothing(db, settings, tmp_path):
    from lantern.linkage.services import linkage_link_new

    settings.DATA_DIR = tmp_path
    assert linkage_link_new(record_ids=[1, 2], system_actor="test") is None
