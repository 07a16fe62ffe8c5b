"""Repeat-missing alerts on the synthetic county against the generator's ground truth: each true
child's police missing reports, in order, crossing "3 in 30 days" exactly where the pure rule says,
and Lantern raising exactly one alert per crossing — however many times the rules run."""

from __future__ import annotations

import datetime as dt

import pytest

from lantern.alerts.models import Alert, AlertRule
from lantern.alerts.services import alerts_refresh, alerts_run
from lantern.analytics.missing import age_on, threshold_crossings
from lantern.missing.models import MissingReport
from lantern.synthetic.generator import generate
from lantern.synthetic.loader import load_county

AS_OF = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def county():
    return generate("demo", seed=2019, as_of=AS_OF)


@pytest.fixture
def loaded(db, county, settings, tmp_path_factory):
    settings.DATA_DIR = tmp_path_factory.getbasetemp() / "linkage-data"
    load_county(county, truth_dir=tmp_path_factory.mktemp("truth"), defect_rate=0)
    return county


def _expected_crossings(county) -> set[tuple[str, dt.datetime]]:
    people = {p.person_key: p for p in county.people}
    starts: dict[str, list[dt.datetime]] = {}
    for event in county.events:
        if event.item_type != "missing_report":
            continue
        person = people[county.truth[event.record_key]]
        if age_on(person.dob, event.occurred_at.date()) < 18:
            starts.setdefault(person.person_key, []).append(event.occurred_at)
    expected = set()
    for key, times in starts.items():
        times.sort()
        for index in threshold_crossings(times, 3, dt.timedelta(days=30)):
            expected.add((key, times[index]))
    return expected


def _true_person_of_report(county) -> dict[int, str]:
    truth_by_identity = {
        (r.agency_code, r.source_system, r.source_key): county.truth[r.key] for r in county.records
    }
    return {
        pk: truth_by_identity[(agency, system, key)]
        for pk, agency, system, key in MissingReport.objects.values_list(
            "pk",
            "item__source_record__agency__code",
            "item__source_record__source_system",
            "item__source_record__source_key",
        )
    }


def test_repeat_missing_fires_exactly_once_per_crossing(loaded):
    rule = AlertRule.objects.get(code="RM-3IN30")
    rule.params = {**rule.params, "lookback_days": None}  # all history, to compare with all the truth
    rule.save()
    alerts_run()
    alerts_run()  # again: nothing doubles
    alerts_refresh(person_ids=set(MissingReport.objects.values_list("item__person_id", flat=True)))
    expected = _expected_crossings(loaded)
    assert len(expected) >= 3, "the tiny county should have some repeat-missing children"
    true_person = _true_person_of_report(loaded)
    reports = MissingReport.objects.in_bulk()
    raised = Alert.objects.filter(rule=rule)
    actual = [
        (true_person[int(a.key.split(":")[1])], reports[int(a.key.split(":")[1])].reported_at) for a in raised
    ]
    assert len(actual) == len(set(actual)), "one alert per crossing"
    assert set(actual) == expected
