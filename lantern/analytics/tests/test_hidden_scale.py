"""List membership for multiple systems estimation, and the acceptance test on the synthetic county:
the estimate's interval covers the county's true number of exploited children."""

from __future__ import annotations

import datetime as dt

import pytest

from lantern.analytics.hidden_scale import (
    LIST_RULES,
    IdentificationEvent,
    IdentificationTable,
    identification_event,
    identification_lists,
    list_memberships,
)
from lantern.analytics.mse import MSEError, estimate_population
from lantern.synthetic import generator
from lantern.synthetic.generator import generate

D = dt.date(2024, 6, 1)
START, END = dt.date(2024, 4, 1), dt.date(2025, 3, 31)
AS_OF = dt.date(2025, 3, 31)


def ev(person, kind, agency, factors=(), role="", level="", on=D):
    return IdentificationEvent(person, kind, agency, on, tuple(factors), role, level)


def lists_of(*events):
    return list_memberships(events, START, END).get(events[0].person, frozenset())


def test_police_needs_a_victim_record_of_exploitation_not_intelligence():
    assert lists_of(ev("a", "police_incident", "police", ["child criminal exploitation"], "victim")) == {
        "police"
    }
    assert not lists_of(ev("a", "police_incident", "police", ["assault"], "victim"))
    assert not lists_of(ev("a", "police_incident", "police", ["child criminal exploitation"], "witness"))
    assert not lists_of(
        ev(
            "a",
            "intelligence",
            "police",
            ["child criminal exploitation"],
            "child at risk of criminal exploitation",
        )
    )


def test_social_care_needs_factor_24a_on_an_assessment():
    assert lists_of(ev("a", "cin_assessment", "childrens_social_care", ["10A", "24A"])) == {
        "childrens_social_care"
    }
    assert not lists_of(ev("a", "cin_assessment", "childrens_social_care", ["10A", "13A"]))
    assert not lists_of(ev("a", "csc_referral", "childrens_social_care", ["24A"]))


def test_health_youth_justice_hub_and_nrm():
    assert lists_of(ev("a", "health_contact", "health", ["child criminal exploitation"])) == {"health"}
    assert not lists_of(ev("a", "ae_attendance", "health", ["stab wound"]))
    assert lists_of(ev("a", "yj_order", "youth_justice", ["child criminal exploitation"])) == {
        "youth_justice"
    }
    assert not lists_of(ev("a", "yj_order", "youth_justice", ["Referral Order"]))
    for level in ("HIGH", "SIGNIFICANT", "top"):
        assert lists_of(ev("a", "screening", "exploitation_hub", level=level)) == {"exploitation_hub"}
    assert not lists_of(ev("a", "screening", "exploitation_hub", level="MEDIUM"))
    assert lists_of(ev("a", "nrm_referral", "childrens_social_care")) == {"nrm"}
    assert lists_of(ev("a", "nrm_referral", "police", ["criminal", "sexual"])) == {"nrm"}
    assert not lists_of(ev("a", "nrm_referral", "police", ["sexual"]))


def test_only_events_in_the_period_count():
    before, after = dt.date(2024, 3, 31), dt.date(2025, 4, 1)
    events = [
        ev("a", "cin_assessment", "childrens_social_care", ["24A"], on=before),
        ev("b", "cin_assessment", "childrens_social_care", ["24A"], on=after),
        ev("c", "cin_assessment", "childrens_social_care", ["24A"], on=START),
        ev("d", "cin_assessment", "childrens_social_care", ["24A"], on=END),
    ]
    assert set(list_memberships(events, START, END)) == {"c", "d"}


def test_the_capture_table_and_the_lists_left_out():
    events = [
        ev("a", "police_incident", "police", ["child criminal exploitation"], "victim"),
        ev("a", "cin_assessment", "childrens_social_care", ["24A"]),
        ev("b", "cin_assessment", "childrens_social_care", ["24A"]),
        ev("b", "nrm_referral", "childrens_social_care"),
        ev("c", "nrm_referral", "police"),
        ev("c", "nrm_referral", "police"),  # twice on one list is still one child on it
    ]
    table = identification_lists(events, START, END)
    assert isinstance(table, IdentificationTable)
    assert table.lists == ("police", "childrens_social_care", "nrm")
    assert table.observed == 3
    assert table.overlap(("police", "childrens_social_care")) == 1
    assert table.overlap(("childrens_social_care", "nrm")) == 1
    assert {name for name, _ in table.left_out} == {"health", "youth_justice", "exploitation_hub"}
    assert table.period == (START, END)


def test_fewer_than_three_lists_is_refused_with_the_reasons():
    events = [
        ev("a", "cin_assessment", "childrens_social_care", ["24A"]),
        ev("a", "nrm_referral", "police"),
    ]
    with pytest.raises(MSEError, match="cannot estimate because only 2 agencies") as info:
        identification_lists(events, START, END)
    assert "no screening in the period reached the tool's top level" in str(info.value)
    with pytest.raises(MSEError, match="only 0 agencies"):
        identification_lists([], START, END)


def test_identification_event_reads_the_details_the_formats_write():
    e = identification_event("p", "cin_assessment", "childrens_social_care", D, {"factors": ["10A", "24A"]})
    assert e.factors == ("10A", "24A")
    e = identification_event(
        "p",
        "police_incident",
        "police",
        D,
        {"incident_type": "child criminal exploitation", "role": "victim"},
    )
    assert (e.factors, e.role) == (("child criminal exploitation",), "victim")
    e = identification_event("p", "intelligence", "police", D, {"subject_role": "adult posing risk"})
    assert e.role == "adult posing risk"
    e = identification_event("p", "screening", "exploitation_hub", D, None, level="HIGH")
    assert e.level == "HIGH" and e.factors == ()


def test_rules_are_documented():
    assert [r.name for r in LIST_RULES] == [
        "police",
        "childrens_social_care",
        "health",
        "youth_justice",
        "exploitation_hub",
        "nrm",
    ]
    assert all(r.description for r in LIST_RULES)


# --------------------------------------------------------------------------------------------------
# The synthetic county
# --------------------------------------------------------------------------------------------------


def county_events(county) -> list[IdentificationEvent]:
    """The county's events as the reporting layer would give them: pseudonymous people (county.truth
    stands in for identity resolution) and the details as the generator writes them."""
    agency_type = {a.code: a.agency_type for a in county.agencies}
    return [
        identification_event(
            county.truth[e.record_key],
            e.item_type,
            agency_type[e.controller_agency_code],
            e.occurred_at.date(),
            e.details,
        )
        for e in county.events
    ]


def window(county) -> tuple[dt.date, dt.date]:
    days = [e.occurred_at.date() for e in county.events]
    return min(days), max(days)


def test_demo_county_lists_hold_only_exploited_children():
    county = generate("demo", seed=2019, as_of=AS_OF)
    exploited = {p.person_key for p in county.people if p.exploited}
    members = list_memberships(county_events(county), *window(county))
    assert members and set(members) <= exploited  # no false identification
    assert {name for lists in members.values() for name in lists} <= {
        "police",
        "childrens_social_care",
        "health",
    }


def test_identification_probabilities_are_below_one():
    assert set(generator.IDENTIFICATION) == {"police", "childrens_social_care", "health"}
    assert all(0 < p < 1 for p in generator.IDENTIFICATION.values())


@pytest.fixture(scope="module")
def county():
    return generate("county", seed=2019, as_of=AS_OF)


def test_county_estimate_covers_the_true_number_of_exploited_children(county):
    """The acceptance test (docs/analytics.md records the figures): about 90 s to generate."""
    truth = sum(p.exploited for p in county.people)
    members = list_memberships(county_events(county), *window(county))
    exploited = {p.person_key for p in county.people if p.exploited}
    assert set(members) <= exploited
    hidden = truth - len(members)
    assert hidden > 0  # some exploited children are identified by nobody
    table = identification_lists(county_events(county), *window(county))
    assert table.lists == ("police", "childrens_social_care", "health")
    result = estimate_population(table, n_boot=1000, seed=1234)
    lo, hi = result.model_choice_ci
    print(
        f"\ncounty seed 2019: truth {truth}, observed {table.observed}, hidden {hidden}, "
        f"counts {table.counts}, model {result.model.label}, estimate {result.estimate:.1f}, "
        f"model CI {result.ci[0]:.1f}-{result.ci[1]:.1f}, model-choice CI {lo:.1f}-{hi:.1f}"
    )
    assert lo <= truth <= hi
    assert result.ci[0] <= truth <= result.ci[1]
