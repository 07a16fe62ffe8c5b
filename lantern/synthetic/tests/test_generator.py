"""Tests for the pure synthetic-county generator (no database, no Django)."""

from __future__ import annotations

import ast
import csv
import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest

from lantern.synthetic import generator as gen
from lantern.synthetic import geography as geo
from lantern.synthetic.identifiers import (
    is_valid_nhs_number,
    is_valid_upn,
    make_upn,
    nhs_check_digit,
    pnc_check_letter,
)

AS_OF = dt.date(2025, 6, 30)
AS_OF_END = dt.datetime(2025, 6, 30, 23, 59, 59, tzinfo=gen.LONDON)


@pytest.fixture(scope="module")
def demo() -> gen.County:
    return gen.generate("demo", seed=2019, as_of=AS_OF)


@pytest.fixture(scope="module")
def demo_summary(demo: gen.County) -> dict:
    return demo.summary()


@pytest.fixture(scope="module")
def tiny() -> gen.County:
    return gen.generate("tiny", seed=2019, as_of=AS_OF)


def _people(county: gen.County) -> dict[str, gen.TruePerson]:
    return {p.person_key: p for p in county.people}


# ----------------------------------------------------------------------------------- contract


def test_public_dataclass_fields_are_the_loader_contract():
    def names(cls):
        return [f.name for f in dataclasses.fields(cls)]

    assert names(gen.GenAgency) == ["code", "name", "agency_type", "area"]
    assert names(gen.GenAddress) == ["key", "line1", "town", "postcode", "district"]
    assert names(gen.GenRecord) == [
        "key",
        "agency_code",
        "source_system",
        "source_key",
        "given_name",
        "family_name",
        "dob",
        "sex",
        "gender",
        "ethnicity",
        "address_key",
        "postcode",
        "upn",
        "nhs_number",
        "la_child_id",
        "police_id",
        "received_at",
        "valid_from",
    ]
    assert names(gen.GenEvent) == [
        "record_key",
        "item_type",
        "controller_agency_code",
        "purpose",
        "handling_code",
        "occurred_at",
        "summary",
        "details",
    ]
    assert names(gen.GenCategory) == ["record_key", "category", "controller_agency_code", "start", "end"]
    assert names(gen.TruePerson) == [
        "person_key",
        "given_name",
        "family_name",
        "dob",
        "sex",
        "ethnicity",
        "is_child",
        "looked_after",
        "exploited",
        "role_in_network",
    ]
    assert set(gen.SIZES) == {"tiny", "demo", "county"}


def test_generator_package_imports_no_django():
    folder = Path(gen.__file__).parent
    for name in ("generator.py", "names.py", "geography.py", "identifiers.py"):
        tree = ast.parse((folder / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("django") for a in node.names), name
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("django"), name


# ----------------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_output(tiny: gen.County):
    again = gen.generate("tiny", seed=2019, as_of=AS_OF)
    assert again.records == tiny.records
    assert again.events == tiny.events
    assert again.truth == tiny.truth
    assert again.categories == tiny.categories
    assert again.people == tiny.people
    assert again.addresses == tiny.addresses
    assert again.lines == tiny.lines


def test_different_seed_gives_different_output(tiny: gen.County):
    other = gen.generate("tiny", seed=2020, as_of=AS_OF)
    assert other.records != tiny.records
    assert other.events != tiny.events


def test_progress_is_reported():
    calls: list[tuple[str, int, int]] = []
    gen.generate(
        "tiny", seed=1, as_of=AS_OF, progress=lambda stage, done, total: calls.append((stage, done, total))
    )
    stages = {c[0] for c in calls}
    assert {"people", "records", "finishing"} <= stages
    assert all(0 <= done <= total for _s, done, total in calls)


def test_unknown_size_is_rejected():
    with pytest.raises(ValueError):
        gen.generate("huge", as_of=AS_OF)


# ----------------------------------------------------------------------------------- integrity


def test_references_resolve(demo: gen.County):
    record_keys = {r.key for r in demo.records}
    address_keys = {a.key for a in demo.addresses}
    agency_codes = {a.code for a in demo.agencies}
    person_keys = {p.person_key for p in demo.people}
    assert len(record_keys) == len(demo.records)
    assert all(e.record_key in record_keys for e in demo.events)
    assert all(c.record_key in record_keys for c in demo.categories)
    assert all(r.address_key is None or r.address_key in address_keys for r in demo.records)
    assert all(r.agency_code in agency_codes for r in demo.records)
    assert set(demo.truth) == record_keys
    assert set(demo.truth.values()) == person_keys  # every person is held by at least one agency
    assert all(k in address_keys for k in demo.cuckooed_address_keys)
    by_key = {r.key: r for r in demo.records}
    assert all(e.controller_agency_code == by_key[e.record_key].agency_code for e in demo.events)
    assert len({(r.agency_code, r.source_system, r.source_key) for r in demo.records}) == len(demo.records)
    assert len({(a.line1, a.postcode) for a in demo.addresses}) == len(demo.addresses)


def test_codes_are_from_the_agreed_lists(demo: gen.County):
    agency_types = {
        "police",
        "childrens_social_care",
        "education",
        "health",
        "youth_justice",
        "housing",
        "voluntary",
        "regional_partner",
    }
    assert {a.agency_type for a in demo.agencies} <= agency_types
    codes = {a.code for a in demo.agencies}
    assert {
        "LEICS-POLICE",
        "LCC-CFS",
        "UHL-NHS",
        "LPT-NHS",
        "LEICS-YJS",
        "NWL-HOUSING",
        "VOL-RHI",
        "NORTHANTS-POLICE",
    } <= codes
    first_school = next(a for a in demo.agencies if a.agency_type == "education")
    assert first_school.name.endswith("Academy")  # the loader's demo school is a secondary
    districts = set(gen.geo.DISTRICT_CODES) | {"OUT_OF_AREA"}
    assert {a.district for a in demo.addresses} <= districts
    assert any(a.district == "OUT_OF_AREA" and a.postcode.startswith("B") for a in demo.addresses)
    assert all(re.fullmatch(r"[A-Z]{1,2}\d{1,2} \d[A-Z]{2}", a.postcode) for a in demo.addresses)
    assert {r.sex for r in demo.records} <= {"M", "F", "U"}
    assert {r.ethnicity for r in demo.records} <= set(gen.ETHNICITY_CODES) | {None}
    assert {p.ethnicity for p in demo.people} <= set(gen.ETHNICITY_CODES)
    assert {e.item_type for e in demo.events} == set(gen.ITEM_TYPES)
    assert {c.category for c in demo.categories} <= set(gen.CATEGORIES)
    agency_type = {a.code: a.agency_type for a in demo.agencies}
    for e in demo.events:
        police = agency_type[e.controller_agency_code] in ("police", "regional_partner")
        if e.item_type == "intelligence":
            assert police and e.handling_code in (1, 2, 3, 4, 5)
        else:
            assert e.handling_code is None
        expected = "law_enforcement" if police and e.item_type != "missing_report" else "safeguarding"
        assert e.purpose == expected


def test_identifiers_have_valid_formats(demo: gen.County):
    nhs = [r.nhs_number for r in demo.records if r.nhs_number]
    assert nhs and all(is_valid_nhs_number(n) for n in nhs)
    upns = [r.upn for r in demo.records if r.upn]
    assert upns and all(is_valid_upn(u) for u in upns)
    pncs = [r.police_id for r in demo.records if r.police_id]
    assert pncs and all(re.fullmatch(r"\d{2}/\d{7}[A-Z]", p) for p in pncs)
    assert all(re.fullmatch(r"LCC\d{7}", r.la_child_id) for r in demo.records if r.la_child_id)
    agency_type = {a.code: a.agency_type for a in demo.agencies}
    for r in demo.records:
        if agency_type[r.agency_code] == "education":
            assert not (r.nhs_number or r.police_id or r.la_child_id)
        if agency_type[r.agency_code] == "health":
            assert not (r.upn or r.police_id or r.la_child_id)


def test_check_characters_known_values():
    assert nhs_check_digit("943476591") == 9  # NHS Digital's published example 943 476 5919
    assert is_valid_nhs_number("9434765919")
    assert not is_valid_nhs_number("9434765918")
    upn = make_upn("2001", "13", 1)
    assert len(upn) == 13 and is_valid_upn(upn)
    assert pnc_check_letter("19", "1234567") in "ZABCDEFGHJKLMNPQRTUVWXY"


def test_nothing_is_after_as_of(demo: gen.County):
    for e in demo.events:
        assert e.occurred_at.tzinfo is not None and str(e.occurred_at.tzinfo) == "Europe/London"
        assert e.occurred_at <= AS_OF_END
        for key in ("returned_at", "offered_at"):
            value = e.details.get(key)
            if value:
                assert dt.datetime.fromisoformat(value) <= AS_OF_END
    for r in demo.records:
        assert r.received_at.tzinfo is not None and r.received_at <= AS_OF_END
        assert r.valid_from <= AS_OF
        assert r.dob is None or r.dob <= AS_OF
    assert all(p.dob <= AS_OF for p in demo.people)
    assert all(c.start <= AS_OF and (c.end is None or c.start <= c.end <= AS_OF) for c in demo.categories)


def test_events_sit_inside_a_three_year_window_in_order(demo: gen.County):
    start = dt.datetime(2022, 7, 1, tzinfo=gen.LONDON)
    assert all(e.occurred_at >= start for e in demo.events)
    stamps = [e.occurred_at for e in demo.events[:2000]]
    assert stamps == sorted(stamps)


# ----------------------------------------------------------------------------------- realism


def test_population_shape(demo_summary: dict):
    assert 4_900 <= demo_summary["people"] <= 5_200
    assert 0.18 <= demo_summary["children_share"] <= 0.23
    assert 0.47 <= demo_summary["male_share"] <= 0.52
    assert demo_summary["ethnicity_share"]["WBRI"] > 0.75
    assert 40_000 <= demo_summary["events"] <= 65_000


def test_households_share_address_and_name(demo: gen.County):
    by_home: dict[str, list[gen.TruePerson]] = {}
    for p in demo.people:
        by_home.setdefault(demo.person_home[p.person_key], []).append(p)
    families = [m for m in by_home.values() if any(p.is_child for p in m) and len(m) >= 2]
    assert len(families) > 100
    shared = sum(1 for m in families if len({p.family_name.split("-")[0] for p in m}) < len(m))
    assert shared / len(families) > 0.8
    assert any("-" in p.family_name for p in demo.people if p.is_child)


def test_identity_noise_at_plausible_rates(demo: gen.County, demo_summary: dict):
    rates = demo_summary["identity_noise_share_of_extra_records"]
    assert 0.015 <= rates["typo"] <= 0.05
    assert 0.02 <= rates["nickname"] <= 0.08
    assert 0.003 <= rates["swapped_names"] <= 0.02
    assert 0.008 <= rates["dob_transposed"] + rates["dob_digit"] <= 0.025
    assert 0.015 <= rates["dob_missing"] <= 0.05
    assert 0.05 <= rates["moved"] <= 0.11
    assert 0.01 <= rates["surname_variant"] <= 0.05
    # and the noise is really in the records, checked against the truth
    people = _people(demo)
    extra = [r for r in demo.records if demo.record_noise[r.key]]
    swapped = [r for r in extra if "swapped_names" in demo.record_noise[r.key]]
    assert swapped
    for r in swapped:
        p = people[demo.truth[r.key]]
        assert r.family_name.lower() != p.family_name.lower() or r.given_name != p.given_name
    missing_dob = sum(1 for r in demo.records if r.dob is None)
    assert 0.005 <= missing_dob / len(demo.records) <= 0.04
    first_records_clean = sum(1 for k in demo.record_noise.values() if not k)
    assert first_records_clean >= len(demo.people)


def test_records_per_person(demo_summary: dict):
    children = demo_summary["records_per_person_children"]
    adults = demo_summary["records_per_person_adults"]
    assert adults["1"] + adults["2"] > 0.9 * sum(adults.values())
    assert children["3"] + children["4"] + children["5"] > children["1"] + children["2"]


def test_missing_children_distributions(demo: gen.County, demo_summary: dict):
    s = demo_summary
    assert s["missing_incidents_by_sex"]["M"] > s["missing_incidents_by_sex"]["F"]
    assert s["missing_children_by_sex"]["M"] > s["missing_children_by_sex"]["F"]
    bands = s["missing_children_by_age_band_at_first_incident"]
    assert max(bands, key=bands.get) == "12-15"
    top3 = s["top5_missing_children"][:3]
    assert all(t["exploited"] and t["sex"] == "M" for t in top3)
    assert s["top5_missing_children"][2]["incidents"] > s["top5_missing_children"][3]["incidents"]
    assert 0.55 <= s["missing_repeat_share"] <= 0.75
    grades = s["missing_risk_grade_share"]
    assert max(grades, key=grades.get) == "medium"
    assert 0.35 <= s["rhi_held_per_child_incident"] <= 0.65


def test_missing_episodes_903_only_for_looked_after_children(demo: gen.County):
    people = _people(demo)
    episodes = [e for e in demo.events if e.item_type == "missing_episode_903"]
    assert episodes
    for e in episodes:
        p = people[demo.truth[e.record_key]]
        assert p.looked_after and e.controller_agency_code == "LCC-CFS"
        assert e.details["missing_type"] in ("M", "A")
        lo, hi = demo.looked_after_periods[p.person_key]
        start = dt.date.fromisoformat(e.details["mis_start"])
        assert lo <= start and (hi is None or start <= hi)
        if e.details["mis_end"]:
            assert dt.date.fromisoformat(e.details["mis_end"]) >= start
    for e in demo.events:
        if e.item_type == "missing_report":
            assert set(e.details) >= {"risk_grade", "found_location", "found_out_of_area", "returned_at"}
            assert e.details["risk_grade"] in ("high", "medium", "low", "no_apparent_risk")
        if e.item_type == "return_home_interview":
            assert set(e.details) >= {"offered_at", "within_72h", "accepted"}
            assert e.controller_agency_code in ("VOL-RHI", "LCC-CFS")


def test_exploitation_layer(demo: gen.County):
    people = _people(demo)
    assert any(o["exporting_area"] == "West Midlands" for o in demo.ocgs)
    for line in demo.lines:
        assert 2 <= len(line["deal_numbers"]) <= 4
        for dn in line["deal_numbers"]:
            assert re.fullmatch(r"07700 900\d{3}", dn["number"])
        assert set(line["importing_towns"]) <= {"Loughborough", "Hinckley", "Market Harborough", "Coalville"}
        assert line["active"] == (line["last_active"] >= AS_OF - dt.timedelta(days=183))
    assert any(line["active"] for line in demo.lines)
    exploited = [p for p in demo.people if p.exploited]
    assert exploited and all(p.role_in_network == "exploited_child" for p in exploited)
    assert sum(p.sex == "M" for p in exploited) / len(exploited) >= 0.7
    cats: dict[str, set[str]] = {}
    for c in demo.categories:
        cats.setdefault(demo.truth[c.record_key], set()).add(c.category)
    in_county = [
        p
        for p in exploited
        if demo.person_home[p.person_key]
        not in {a.key for a in demo.addresses if a.district == "OUT_OF_AREA"}
    ]
    assert all("child_at_risk" in cats.get(p.person_key, set()) for p in in_county)
    adults = [p for p in demo.people if p.role_in_network == "adult_posing_risk"]
    assert adults and all("adult_posing_risk" in cats[p.person_key] for p in adults)
    assert demo.cuckooed_address_keys
    # indicators on the exploited children's records
    exploited_keys = {p.person_key for p in exploited}
    kinds = [(e.item_type, e) for e in demo.events if demo.truth[e.record_key] in exploited_keys]
    intel = [e for t, e in kinds if t == "intelligence"]
    assert intel and all(e.details["deal_line_number"].startswith("07700 900") for e in intel)
    assert any(e.handling_code == 4 for e in intel)
    assert any(t == "arrest" and "co_arrested_record_keys" in e.details for t, e in kinds)
    assert any(t == "missing_report" and e.details["found_out_of_area"] for t, e in kinds)
    assert any(t == "cin_assessment" and "24A" in e.details["factors"] for t, e in kinds)
    assert all(people[k].is_child or people[k].exploited for k in exploited_keys)


FORBIDDEN = (
    "gang member",
    "gangster",
    "associate",
    "recruited",
    "working for",
    "putting themselves at risk",
    "prostitut",
    "runner",
)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def test_victim_centred_language(demo: gen.County):
    texts = set()
    for e in demo.events:
        texts.add(e.summary.lower())
        texts.update(s.lower() for s in _strings(e.details))
    texts.update(c.category for c in demo.categories)
    texts.update(p.role_in_network for p in demo.people)
    for text in texts:
        for word in FORBIDDEN:
            assert word not in text, (word, text)


def test_write_ground_truth(tiny: gen.County, tmp_path: Path):
    paths = gen.write_ground_truth(tiny, tmp_path / "truth")
    names = sorted(p.name for p in paths)
    assert names == ["truth_network.csv", "truth_people.csv", "truth_records.csv"]
    with (tmp_path / "truth" / "truth_records.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(tiny.records)
    assert {r["record_key"]: r["person_key"] for r in rows} == tiny.truth
    with (tmp_path / "truth" / "truth_network.csv").open(encoding="utf-8") as fh:
        kinds = {r["kind"] for r in csv.DictReader(fh)}
    assert {"ocg", "line", "deal_number", "exploited_child", "adult_posing_risk", "cuckooed_address"} <= kinds


def test_a_county_too_large_for_its_postcode_units_stops_with_an_error():
    """Each postcode sector has 400 units (20 x 20 inward letters); a county that needs more used to
    draw for ever. It now stops and says which space ran out."""
    builder = gen._Builder("tiny", gen.SIZES["tiny"], 1, AS_OF, None)
    letters = geo.INWARD_LETTERS
    builder.postcodes.update(f"LE99 9{a}{b}" for a in letters for b in letters)
    with pytest.raises(gen.CountyTooLarge, match=r"postcode units in sector LE99 9 .*too large"):
        builder.new_address("Testtown", "NWL", ("LE99",), "9")
    builder.postcodes.discard("LE99 9ZZ")  # one unit free: found, not refused
    assert builder.new_address("Testtown", "NWL", ("LE99",), "9").postcode == "LE99 9ZZ"
