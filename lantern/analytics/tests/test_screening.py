"""Screening tools, advice and suggested indicators, without a database: the shipped tool files, every
kind of bad tool file, floor rules, versions side by side, each suggestion rule on a crafted child
and a control child (window and provenance included), and the rules against the synthetic
generator's planted exploited children and a matched control group."""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
import textwrap
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from lantern.analytics.missing import age_band
from lantern.analytics.screening import (
    EVIDENCE_MAX,
    RULES,
    TOOLS_DIR,
    ChildFacts,
    Fact,
    Level,
    Suggestion,
    Tool,
    ToolError,
    advise,
    load_tool,
    load_tools,
    looked_after_on,
    review_weeks,
    suggest,
)
from lantern.core.codelists import codelist
from lantern.synthetic.generator import age_on, generate

LONDON = ZoneInfo("Europe/London")
AT = dt.datetime(2026, 11, 28, 12, 0, tzinfo=LONDON)
LANTERN = ("lantern-cce", "1")
EMS = ("partnership-cce-ems", "1")


@pytest.fixture(scope="module")
def tools() -> dict[tuple[str, str], Tool]:
    return load_tools(TOOLS_DIR)


def child(*facts: Fact, age: int | None = 15, looked_after: bool = False, ld: bool = False) -> ChildFacts:
    return ChildFacts(age=age, looked_after=looked_after, learning_disability=ld, facts=list(facts))


def fact(kind: str, days_ago: float, ref: str, summary: str = "", **details: object) -> Fact:
    return Fact(kind, AT - dt.timedelta(days=days_ago), details, ref, summary)


def indicators(suggestions: list[Suggestion]) -> list[str]:
    return [s.indicator for s in suggestions]


def by_indicator(suggestions: list[Suggestion]) -> dict[str, Suggestion]:
    return {s.indicator: s for s in suggestions}


# ================================================================================== the shipped tools


def test_both_shipped_tools_load_keyed_by_code_and_version(tools):
    assert set(tools) == {LANTERN, EMS}
    lantern, ems = tools[LANTERN], tools[EMS]
    assert lantern.name == "Lantern CCE screening v1"
    assert [lv.code for lv in lantern.levels] == ["LOW", "MEDIUM", "HIGH"]
    assert [lv.code for lv in ems.levels] == ["EMERGING", "MODERATE", "SIGNIFICANT"]
    assert [lv.rank for lv in ems.levels] == [0, 1, 2]
    known = codelist("cce_indicator")
    for tool in (lantern, ems):
        assert all(i.code in known for i in tool.indicators)
        assert {i.domain for i in tool.indicators} == {code for code, _label in tool.domains}
    assert {f.code for f in lantern.floor_rules} == {"age_under_13", "learning_disability", "disclosure"}


@pytest.mark.parametrize("name", ["lantern-cce-v1.yaml", "partnership-cce-ems-v1.yaml"])
def test_each_tool_file_says_its_weights_are_a_local_choice_and_only_advise(name):
    header = (TOOLS_DIR / name).read_text(encoding="utf-8").split("\ncode:")[0]
    assert "LOCAL PARTNERSHIP CHOICE" in header
    assert "no single national CCE screening tool" in header
    assert "ADVISES" in header


def test_the_scale_is_configurable_the_same_indicators_give_each_tools_own_level(tools):
    confirmed = ["missing_or_out_of_area", "drugs_paraphernalia"]
    assert advise(tools[LANTERN], confirmed, child()).level == "MEDIUM"  # 3 + 3 = 6
    assert advise(tools[EMS], confirmed, child()).level == "MODERATE"  # 4 + 4 = 8


def test_review_weeks_default_twelve_shorter_when_high(tools):
    lantern, ems = tools[LANTERN], tools[EMS]
    assert review_weeks(lantern, "LOW") == 12
    assert review_weeks(lantern, "MEDIUM") == 12
    assert review_weeks(lantern, "HIGH") == 6
    assert review_weeks(lantern, lantern.level("HIGH")) == 6  # a Level works too
    assert [review_weeks(ems, lv) for lv in ems.levels] == [12, 8, 4]
    with pytest.raises(ValueError, match="not a level"):
        review_weeks(lantern, "SIGNIFICANT")


def test_analytics_screening_imports_no_django():
    code = "import sys, lantern.analytics.screening; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[3]).returncode == 0


# ================================================================================== bad tool files

GOOD = """\
code: test-tool
version: 1
name: Test tool
scale:
  name: Level
  levels:
    - {code: LOW, label: Low}
    - {code: HIGH, label: High}
thresholds:
  - {min_score: 0, level: LOW}
  - {min_score: 5, level: HIGH}
domains:
  - code: signs
    label: Signs
    indicators:
      - {code: weapons, label: Weapons, weight: 3, window_days: 180, evidence_required: true}
      - {code: disclosure, label: Disclosure, weight: 5, evidence_required: true}
floor_rules:
  - {code: young, description: Age under 13, condition: {age_under: 13}, at_least: HIGH}
review_weeks:
  HIGH: 4
"""


def write(tmp_path: Path, text: str, name: str = "tool.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_minimal_good_file_loads(tmp_path):
    tool = load_tool(write(tmp_path, GOOD))
    assert tool.key == ("test-tool", "1")
    assert tool.indicator("disclosure").window_days is None
    assert tool.thresholds == ((0, "LOW"), (5, "HIGH"))
    assert review_weeks(tool, "LOW") == 12


BAD = [
    (
        "unknown indicator code",
        GOOD.replace("code: weapons,", "code: gang_member,"),
        "unknown indicator code 'gang_member' (not in the cce_indicator code list)",
    ),
    (
        "duplicate indicator code",
        GOOD.replace("code: disclosure, label: Disclosure", "code: weapons, label: Knives"),
        "duplicate indicator code 'weapons'",
    ),
    (
        "a scale without levels",
        GOOD.replace(
            "  levels:\n    - {code: LOW, label: Low}\n    - {code: HIGH, label: High}\n", "  levels: []\n"
        ),
        "scale.levels: the scale has no levels",
    ),
    (
        "a threshold naming an unknown level",
        GOOD.replace("{min_score: 5, level: HIGH}", "{min_score: 5, level: SEVERE}"),
        "thresholds[1].level: unknown level 'SEVERE'",
    ),
    (
        "a floor rule naming an unknown level",
        GOOD.replace("at_least: HIGH}", "at_least: CRITICAL}"),
        "floor_rules[0].at_least: unknown level 'CRITICAL'",
    ),
    (
        "non-increasing thresholds",
        GOOD.replace("{min_score: 5, level: HIGH}", "{min_score: 0, level: HIGH}"),
        "thresholds must increase",
    ),
    (
        "a higher score giving a lower level",
        GOOD.replace(
            "{min_score: 0, level: LOW}\n  - {min_score: 5, level: HIGH}",
            "{min_score: 0, level: HIGH}\n  - {min_score: 5, level: LOW}",
        ),
        "a higher score must give a higher level",
    ),
    (
        "no score-0 threshold",
        GOOD.replace("{min_score: 0, level: LOW}", "{min_score: 1, level: LOW}"),
        "must be 0",
    ),
    ("a missing tool field", GOOD.replace("name: Test tool\n", ""), "missing field 'name'"),
    ("a missing indicator field", GOOD.replace("weight: 3, ", ""), "indicators[0]: missing field 'weight'"),
    (
        "no thresholds",
        GOOD.split("thresholds:")[0] + "thresholds: []\n" + "domains:" + GOOD.split("domains:")[1],
        "no thresholds",
    ),
    ("a misspelt field", GOOD.replace("floor_rules:", "floor_rule:"), "unknown field 'floor_rule'"),
    ("a negative weight", GOOD.replace("weight: 3", "weight: -1"), "weight: expected a number of at least 0"),
    ("a yes/no weight", GOOD.replace("weight: 3", "weight: yes"), "a yes/no value"),
    (
        "a zero window",
        GOOD.replace("window_days: 180", "window_days: 0"),
        "window_days: expected a whole number",
    ),
    (
        "evidence_required not a yes/no",
        GOOD.replace("evidence_required: true}", "evidence_required: maybe}", 1),
        "expected true or false",
    ),
    ("an unknown condition", GOOD.replace("{age_under: 13}", "{postcode: LE1}"), "expected exactly one of"),
    ("an unknown fact", GOOD.replace("{age_under: 13}", "{fact: gang_member}"), "unknown fact 'gang_member'"),
    (
        "a floor rule on an indicator the tool lacks",
        GOOD.replace("{age_under: 13}", "{indicator: looked_after}"),
        "not one of this tool's indicators",
    ),
    (
        "review weeks for an unknown level",
        GOOD.replace("HIGH: 4", "SEVERE: 4"),
        "review_weeks.SEVERE: unknown level",
    ),
    ("a float version", GOOD.replace("version: 1", "version: 1.10"), "quoted text"),
    (
        "a key given twice",
        GOOD.replace("name: Test tool\n", "name: Test tool\nname: Other\n"),
        "appears twice",
    ),
    ("not YAML", GOOD.replace("  name: Level", "  name: [Level"), "not valid YAML"),
    ("an empty file", "", "the file is empty"),
    ("a list, not a tool", "- a\n- b\n", "expected a mapping"),
]


@pytest.mark.parametrize(("case", "text", "problem"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_tool_file_is_refused_naming_the_file_and_the_problem(tmp_path, case, text, problem):
    path = write(tmp_path, text, "bad-tool.yaml")
    with pytest.raises(ToolError) as raised:
        load_tool(path)
    assert raised.value.path == str(path)
    assert str(raised.value).startswith("bad-tool.yaml: ")
    assert problem in str(raised.value), str(raised.value)


def test_every_problem_in_a_file_is_reported_at_once(tmp_path):
    text = GOOD.replace("code: weapons,", "code: gang_member,").replace("at_least: HIGH}", "at_least: RED}")
    with pytest.raises(ToolError) as raised:
        load_tool(write(tmp_path, text))
    assert len(raised.value.problems) == 2


def test_a_bad_file_in_a_directory_loads_nothing_and_the_caller_keeps_the_old_tools(tmp_path):
    write(tmp_path, GOOD, "test-tool-v1.yaml")
    active = load_tools(tmp_path)
    write(
        tmp_path,
        GOOD.replace("version: 1", "version: 2").replace("code: weapons,", "code: gangs,"),
        "test-tool-v2.yaml",
    )
    with pytest.raises(ToolError) as raised:
        active = load_tools(tmp_path)
    assert "test-tool-v2.yaml: " in str(raised.value) and "'gangs'" in str(raised.value)
    assert "test-tool-v1.yaml" not in str(raised.value)
    assert set(active) == {("test-tool", "1")}  # the assignment never happened: v1 stays active


def test_the_same_code_and_version_in_two_files_is_refused(tmp_path):
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD.replace("name: Test tool", "name: Copy"), "b.yaml")
    with pytest.raises(ToolError, match=r"b\.yaml: test-tool version 1 is already defined in a\.yaml"):
        load_tools(tmp_path)


def test_a_missing_directory_is_refused(tmp_path):
    with pytest.raises(ToolError, match="not a directory"):
        load_tools(tmp_path / "nowhere")


# ================================================================================== versions


def test_two_versions_load_side_by_side_and_an_old_one_never_changes(tmp_path, tools):
    v1_text = (TOOLS_DIR / "lantern-cce-v1.yaml").read_text(encoding="utf-8")
    v2_text = (
        v1_text.replace("version: 1\n", "version: 2\n")
        .replace("name: Lantern CCE screening v1", "name: Lantern CCE screening v2")
        .replace("{min_score: 4, level: MEDIUM}", "{min_score: 3, level: MEDIUM}")
    )
    write(tmp_path, v1_text, "lantern-cce-v1.yaml")
    write(tmp_path, v2_text, "lantern-cce-v2.yaml")
    both = load_tools(tmp_path)
    assert set(both) == {("lantern-cce", "1"), ("lantern-cce", "2")}
    assert replace(both[("lantern-cce", "1")], path="") == replace(tools[LANTERN], path="")
    confirmed = ["drugs_paraphernalia"]  # score 3
    assert advise(both[("lantern-cce", "1")], confirmed, child()).level == "LOW"
    assert advise(both[("lantern-cce", "2")], confirmed, child()).level == "MEDIUM"


# ================================================================================== advice and floors


def test_the_score_sums_the_confirmed_indicators_the_tool_knows(tools):
    advice = advise(tools[LANTERN], ["weapons", "weapons", "not_a_code", "education_decline"], child())
    assert advice.score == 5 and advice.level == "MEDIUM" and advice.reasons == []


@pytest.mark.parametrize(
    ("score_codes", "level"),
    [
        ((), "LOW"),
        (("weapons",), "LOW"),
        (("weapons", "unusual_travel"), "MEDIUM"),
        (("weapons", "drugs_paraphernalia", "unusual_travel"), "MEDIUM"),
        (("weapons", "drugs_paraphernalia", "missing_or_out_of_area"), "HIGH"),
    ],
)
def test_thresholds_are_inclusive_lower_bounds(tools, score_codes, level):
    # scores 0, 3, 5, 8, 9 against MEDIUM from 4 and HIGH from 9
    assert advise(tools[LANTERN], score_codes, child()).level == level


def test_no_child_under_13_is_low(tools):
    advice = advise(tools[LANTERN], [], child(age=12))
    assert advice.level == "MEDIUM"
    assert advice.reasons == ["Age under 13: not lower than MEDIUM (raised from LOW)"]
    assert advise(tools[LANTERN], [], child(age=13)).level == "LOW"
    assert advise(tools[LANTERN], [], child(age=None)).level == "LOW"  # an unknown age floors nothing


def test_no_child_with_a_learning_disability_is_low(tools):
    advice = advise(tools[LANTERN], ["education_decline"], child(ld=True))
    assert (advice.level, advice.reasons) == (
        "MEDIUM",
        ["Learning disability: not lower than MEDIUM (raised from LOW)"],
    )


def test_a_disclosure_of_exploitation_is_high(tools):
    advice = advise(tools[LANTERN], ["disclosure"], child())
    assert advice.score == 6
    assert advice.level == "HIGH"
    assert advice.reasons == ["Disclosure of exploitation: not lower than HIGH (raised from MEDIUM)"]
    assert advise(tools[EMS], ["disclosure"], child()).level == "SIGNIFICANT"


def test_floors_never_lower_a_level(tools):
    high = ["weapons", "drugs_paraphernalia", "missing_or_out_of_area"]  # 9: HIGH on score alone
    advice = advise(tools[LANTERN], high, child(age=11, ld=True))
    assert advice.level == "HIGH"
    assert advice.reasons == [
        "Age under 13: not lower than MEDIUM",
        "Learning disability: not lower than MEDIUM",
    ]


def test_every_floor_that_applies_is_a_reason_and_the_highest_wins(tools):
    advice = advise(tools[LANTERN], ["disclosure"], child(age=10, ld=True))
    assert advice.level == "HIGH"
    assert advice.reasons == [
        "Age under 13: not lower than MEDIUM",  # the score (6) was MEDIUM already
        "Learning disability: not lower than MEDIUM",
        "Disclosure of exploitation: not lower than HIGH (raised from MEDIUM)",
    ]


def test_a_fact_floor_on_the_second_tool(tools):
    assert advise(tools[EMS], [], child(looked_after=True)).level == "MODERATE"
    assert advise(tools[EMS], [], child(age=9)).level == "EMERGING"  # this tool has no age floor


# ================================================================================== suggestion rules


def test_missing_twice_in_the_window(tools):
    a = fact("missing_report", 100, "m1", found_out_of_area=False)
    b = fact("missing_report", 10, "m2", found_out_of_area=False)
    s = by_indicator(suggest(child(a, b), AT))["missing_or_out_of_area"]
    assert s.refs == ("m1", "m2")
    assert s.evidence.startswith("Missing 2 times in the 180 days to 28 Nov 2026")
    assert suggest(child(b), AT) == []  # control: once
    assert suggest(child(fact("missing_report", 190, "m0"), b), AT) == []  # the other is too old
    assert suggest(child(a, b), AT, missing_times=3) == []  # N is a parameter
    assert indicators(suggest(child(a, b, fact("missing_report", 5, "m3")), AT, missing_times=3)) == [
        "missing_or_out_of_area"
    ]


def test_found_out_of_area_once_is_enough():
    far = fact("missing_report", 20, "m9", found_out_of_area=True, found_location="Corby")
    s = by_indicator(suggest(child(far, fact("missing_report", 300, "old", found_out_of_area=True)), AT))
    assert s["missing_or_out_of_area"].refs == ("m9",)
    assert "Found out of area: Corby (8 Nov 2026)" in s["missing_or_out_of_area"].evidence
    found_by_other_force = fact(
        "police_incident", 3, "pi", incident_type="missing from another force area", role="victim"
    )
    assert by_indicator(suggest(child(found_by_other_force), AT))["missing_or_out_of_area"].refs == ("pi",)


def test_a_missing_from_care_episode_counts_once_with_its_police_report():
    report = fact("missing_report", 30, "mpr")
    same_episode = Fact(
        "missing_episode_903", report.occurred_at.replace(hour=0), {"missing_type": "M"}, "903a", ""
    )
    away = fact("missing_episode_903", 20, "903b", missing_type="A")  # away without authorisation
    assert suggest(child(report, same_episode, away), AT) == []
    another = fact("missing_episode_903", 10, "903c", missing_type="M")
    assert by_indicator(suggest(child(report, same_episode, another), AT))["missing_or_out_of_area"].refs == (
        "mpr",
        "903c",
    )


def test_arrested_with_drugs_from_the_import_format_or_the_offence_text():
    coded = fact(
        "arrest",
        40,
        "a1",
        "Arrested on suspicion of possession with intent to supply",
        offence="possession with intent to supply",
        drug_class="A",
        weapon="",
    )
    text_only = fact("arrest", 20, "a2", offence="being concerned in the supply of Class A drugs")
    s = by_indicator(suggest(child(coded, text_only), AT))
    assert list(s) == ["drugs_paraphernalia"]
    assert s["drugs_paraphernalia"].refs == ("a1", "a2")
    assert (
        "Arrested on suspicion of possession with intent to supply (19 Oct 2026)"
        in s["drugs_paraphernalia"].evidence
    )
    control = fact("arrest", 20, "a3", offence="shoplifting", drug_class="", weapon="")
    assert suggest(child(control), AT) == []


def test_searched_and_found_with_drugs_weapons_cash_or_phones():
    paraphernalia = fact(
        "stop_search", 50, "s1", grounds="drugs", outcome="found snap bags and scales", items_found=True
    )
    knife = fact("stop_search", 40, "s2", grounds="drugs", outcome="found a knife", items_found=True)
    cash = fact(
        "stop_search", 30, "s3", grounds="drugs", outcome="found two mobile phones and a large amount of cash"
    )
    bare = fact(
        "stop_search", 20, "s4", grounds="offensive weapons", outcome="items found (offensive weapons)"
    )
    nothing = fact("stop_search", 10, "s5", grounds="drugs", outcome="nothing found", items_found=False)
    s = by_indicator(suggest(child(paraphernalia, knife, cash, bare, nothing), AT))
    assert s["drugs_paraphernalia"].refs == ("s1",)  # a knife found on a drugs search is not drugs
    assert s["weapons"].refs == ("s2", "s4")
    assert s["unexplained_money_items"].refs == ("s3",)
    assert s["multiple_phones"].refs == ("s3",)
    assert suggest(child(nothing), AT) == []


def test_arrested_with_a_weapon():
    coded = fact("arrest", 60, "w1", offence="affray", weapon="knife", drug_class="")
    text_only = fact("arrest", 50, "w2", offence="possession of an offensive weapon")
    s = by_indicator(suggest(child(coded, text_only), AT))
    assert list(s) == ["weapons"] and s["weapons"].refs == ("w1", "w2")


def test_injury_attendances_and_assaults():
    stab = fact(
        "ae_attendance",
        70,
        "e1",
        "Attended the Emergency Department: stab wound",
        presenting_complaint="stab wound",
        injury_type="stab_wound",
    )
    uncoded = fact("ae_attendance", 60, "e2", presenting_complaint="facial injury after an assault")
    assault = fact("police_incident", 50, "p1", incident_type="assault", role="victim")
    s = by_indicator(suggest(child(stab, uncoded, assault), AT))
    assert list(s) == ["unexplained_injuries"]
    assert s["unexplained_injuries"].refs == ("e1", "e2", "p1")
    controls = (
        fact("ae_attendance", 60, "c1", presenting_complaint="wrist injury", injury_type="other_injury"),
        fact("ae_attendance", 50, "c2", presenting_complaint="fever"),
        fact("police_incident", 40, "c3", incident_type="assault", role="witness"),
    )
    assert suggest(child(*controls), AT) == []


def test_self_harm_attendances():
    harm = fact("ae_attendance", 10, "h1", presenting_complaint="self-harm")
    assert by_indicator(suggest(child(harm), AT))["emotional_change"].refs == ("h1",)


def test_exclusion_or_severe_absence():
    suspended = fact("school_suspension", 80, "x1", "Suspended for 2 days: drug and alcohol related", days=2)
    excluded = fact("permanent_exclusion", 30, "x2", reason="persistent disruptive behaviour")
    severe = fact("school_attendance_concern", 20, "x3", attendance_pct=44.5, concern="unexplained absence")
    persistent_only = fact("school_attendance_concern", 15, "x4", attendance_pct=85.0)
    s = by_indicator(suggest(child(suspended, excluded, severe, persistent_only), AT))
    assert s["education_decline"].refs == ("x1", "x2", "x3")
    assert "lowest 44.5%" in s["education_decline"].evidence
    assert suggest(child(persistent_only), AT) == []
    assert indicators(suggest(child(persistent_only), AT, attendance_at_or_below=90)) == ["education_decline"]


def test_looked_after_during_the_window_even_if_the_episode_began_before_it():
    began = fact(
        "lac_episode",
        400,
        "l1",
        "Became looked after (C2)",
        decom=(AT - dt.timedelta(days=400)).date().isoformat(),
        dec=None,
    )
    s = by_indicator(suggest(child(began), AT))["looked_after"]
    assert s.refs == ("l1",) and "(still looked after)" in s.evidence
    # the generator's shape: the ceasing record's dec is its own date
    ceased_day = (AT - dt.timedelta(days=300)).date().isoformat()
    ceased = fact("lac_episode", 300, "l2", "Ceased to be looked after", dec=ceased_day, decom="2025-01-01")
    assert suggest(child(began, ceased), AT) == []  # left care before the window
    # the import format's shape: a "ceased" record closes the episode, here inside the window
    ended_recently = fact(
        "lac_episode", 100, "l3", ceased=True, dec=(AT - dt.timedelta(days=100)).date().isoformat()
    )
    assert by_indicator(suggest(child(began, ended_recently), AT))["looked_after"].refs == ("l1", "l3")
    assert suggest(child(), AT) == []
    flagged = by_indicator(suggest(child(looked_after=True), AT))["looked_after"]
    assert flagged.refs == () and flagged.evidence == "Recorded as looked after"


def test_looked_after_on_a_day_reads_the_episode_records():
    began = fact("lac_episode", 400, "l1", decom=(AT - dt.timedelta(days=400)).date().isoformat(), dec=None)
    ceased = fact("lac_episode", 100, "l2", ceased=True, dec=(AT - dt.timedelta(days=100)).date().isoformat())
    assert looked_after_on([began], AT)
    assert not looked_after_on([began, ceased], AT)
    assert looked_after_on([began, ceased], AT - dt.timedelta(days=200))  # before it ceased
    assert not looked_after_on([began], AT - dt.timedelta(days=500))  # before it began
    assert not looked_after_on([], AT)


def test_return_home_interview_disclosures_become_their_indicators():
    told = fact(
        "rhi_disclosure", 5, "r1", "Return home interview", indicator="older_controlling_relationships"
    )
    told_again = fact("rhi_disclosure", 2, "r2", indicator="disclosure")
    unknown = fact("rhi_disclosure", 2, "r3", indicator="gang_member")
    old = fact("rhi_disclosure", 200, "r4", indicator="weapons")
    s = by_indicator(suggest(child(told, told_again, unknown, old), AT))
    assert list(s) == ["older_controlling_relationships", "disclosure"]  # code-list order
    assert s["older_controlling_relationships"].refs == ("r1",)
    assert s["disclosure"].evidence.startswith("Told in a return home interview")


def test_two_rules_suggesting_one_indicator_merge_their_evidence_and_refs():
    told = fact("rhi_disclosure", 5, "r1", indicator="weapons")
    arrested = fact("arrest", 50, "a1", offence="possession of a bladed article", weapon="knife")
    (s,) = suggest(child(told, arrested), AT)
    assert s.indicator == "weapons" and s.refs == ("a1", "r1")
    assert "Arrested or searched with a weapon" in s.evidence and "return home interview" in s.evidence


def test_the_window_edges_are_exact_and_the_future_is_ignored():
    def attendance(at: dt.datetime, ref: str) -> Fact:
        return Fact("school_suspension", at, {}, ref, "")

    edge = AT - dt.timedelta(days=180)
    assert suggest(child(attendance(edge, "out")), AT) == []
    assert suggest(child(attendance(edge + dt.timedelta(minutes=1), "in")), AT)[0].refs == ("in",)
    assert suggest(child(attendance(AT + dt.timedelta(minutes=1), "later")), AT) == []
    assert suggest(child(attendance(edge, "out")), AT, window_days=181)[0].refs == ("out",)


def test_a_control_child_with_ordinary_records_gets_no_suggestions():
    ordinary = child(
        fact("ae_attendance", 30, "o1", presenting_complaint="fever", injury_type="not_injury"),
        fact("health_contact", 25, "o2", service="school nursing"),
        fact("school_attendance_concern", 20, "o3", attendance_pct=95.0),
        fact("police_incident", 15, "o4", incident_type="road traffic collision", role="witness"),
        fact("arrest", 10, "o5", offence="criminal damage"),
        fact("stop_search", 5, "o6", grounds="stolen property", outcome="items found (stolen property)"),
        fact("missing_report", 3, "o7", found_out_of_area=False),
        fact("return_home_interview", 2, "o8", accepted=True),
    )
    assert suggest(ordinary, AT) == []


def test_suggestions_are_deterministic_whatever_the_order_of_the_facts():
    facts = [
        fact("missing_report", 90, "m1"),
        fact("missing_report", 60, "m2", found_out_of_area=True, found_location="Nottingham"),
        fact("arrest", 50, "a1", offence="possession with intent to supply Class A drugs"),
        fact("school_suspension", 40, "x1"),
        fact("ae_attendance", 30, "e1", presenting_complaint="stab wound"),
        fact("rhi_disclosure", 20, "r1", indicator="unexplained_money_items"),
    ]
    first = suggest(child(*facts), AT)
    shuffled = facts[:]
    random.Random(7).shuffle(shuffled)
    assert suggest(child(*shuffled), AT) == first
    assert indicators(first) == [
        "missing_or_out_of_area",
        "education_decline",
        "unexplained_money_items",
        "drugs_paraphernalia",
        "unexplained_injuries",
    ]


def test_evidence_fits_the_field_however_many_facts():
    many = [
        fact(
            "school_suspension", d, f"x{d}", "Suspended for 5 days: " + "persistent disruptive behaviour " * 3
        )
        for d in range(1, 60)
    ]
    (s,) = suggest(child(*many), AT)
    assert len(s.evidence) <= EVIDENCE_MAX
    assert len(s.refs) == 59  # every supporting fact is still linked


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        suggest(child(), AT.replace(tzinfo=None))


def test_every_rule_is_named_and_pure():
    assert set(RULES) == {
        "missing",
        "drugs",
        "weapons",
        "money",
        "phones",
        "injuries",
        "harm_to_self",
        "education",
        "looked_after",
        "disclosures",
        "deal_line",
        "network",
    }
    assert Level("LOW", "Low", 0) == Level("LOW", "Low", 0)


def test_links_in_the_association_map_suggest_adult_posing_risk_and_cuckooed_address():
    found = suggest(
        child(
            fact("linked_adult_posing_risk", 20, "n1", "Linked to an adult posing risk: co-arrested (OCC-1)"),
            fact("linked_cuckooed_address", 5, "n2", "Found at an address where a vulnerable adult lives"),
        ),
        AT,
    )
    assert set(indicators(found)) == {"cuckooed_address", "adult_posing_risk"}
    assert all(s.refs for s in found)


def test_intelligence_linking_the_child_to_a_deal_line_is_suggested_but_not_as_an_adult_posing_risk():
    as_child = fact(
        "intelligence", 10, "i1", "Exploited to supply drugs for the line",
        subject_role="child at risk of criminal exploitation", line_name="Jazz", deal_line_number="07700900123",
    )  # fmt: skip
    found = suggest(child(as_child), AT)
    assert indicators(found) == ["linked_to_deal_line"]
    assert "'Jazz'" in found[0].evidence and found[0].refs == ("i1",)
    as_adult = fact(
        "intelligence", 10, "i2", "Runs the line", subject_role="adult posing risk", line_name="Jazz"
    )
    no_line = fact("intelligence", 10, "i3", "Seen in town", subject_role="subject")
    old = fact("intelligence", 400, "i4", "", subject_role="victim", line_name="Jazz")
    assert suggest(child(as_adult, no_line, old), AT) == []


def test_a_fact_with_a_naive_time_is_refused_naming_it():
    naive = Fact("arrest", dt.datetime(2026, 11, 1, 12, 0), {"offence": "theft"}, "item-7", "")
    with pytest.raises(ValueError, match="item-7"):
        suggest(child(naive), AT)


# ================================================================================== ground truth

SEEDS = (2019, 2020, 2021)
AS_OF = dt.date(2026, 11, 28)
CORE_RULES = (
    "missing_or_out_of_area",
    "drugs_paraphernalia",
    "weapons",
    "unexplained_injuries",
    "education_decline",
    "looked_after",
)


@pytest.fixture(scope="module")
def planted_and_controls() -> dict[str, list[set[str]]]:
    """Suggested indicators for every planted exploited child of the demo county (seeds 2019-2021)
    and for their matched controls. A planted child is screened the day after the latest police
    intelligence naming them as a child at risk of criminal exploitation (capped at the county's
    as-of date), i.e. while their exploitation is known and current; their controls are every other
    child of the same sex and age band (lantern.analytics.missing.age_band) on that day who is neither
    exploited nor has a role in the network, screened on the same day. Facts are the generator's
    events (details as the generator writes them), joined to true people by county.truth."""
    out: dict[str, list[set[str]]] = {"planted": [], "control": []}
    for seed in SEEDS:
        county = generate("demo", seed=seed, as_of=AS_OF)
        facts: dict[str, list[Fact]] = defaultdict(list)
        for i, e in enumerate(county.events):
            facts[county.truth[e.record_key]].append(
                Fact(e.item_type, e.occurred_at, e.details, f"{e.record_key}#{i}", e.summary)
            )
        end = dt.datetime.combine(AS_OF, dt.time(12), LONDON)
        for p in (q for q in county.people if q.exploited):
            intelligence = [
                f.occurred_at
                for f in facts[p.person_key]
                if f.kind == "intelligence"
                and f.details.get("subject_role") == "child at risk of criminal exploitation"
            ]
            at = min(max(intelligence) + dt.timedelta(days=1), end)
            band = age_band(age_on(p.dob, at.date()))
            controls = [
                q
                for q in county.people
                if not q.exploited
                and not q.role_in_network
                and q.sex == p.sex
                and age_band(age_on(q.dob, at.date())) == band
            ]
            for group, people in (("planted", [p]), ("control", controls)):
                for q in people:
                    facts_of_q = ChildFacts(age_on(q.dob, at.date()), False, False, facts[q.person_key])
                    out[group].append({s.indicator for s in suggest(facts_of_q, at)})
    return out


def share(group: list[set[str]], test) -> float:
    return sum(1 for indicators_ in group if test(indicators_)) / len(group)


def test_the_rules_fire_on_the_planted_children_far_more_than_on_matched_controls(planted_and_controls):
    """Measured (21 planted children, 1,899 controls): at least one suggested indicator for 100% of
    the planted children and 13.9% of controls; two or more for 100% and 0.37%; three or more for 81%
    and 0% (before the deal-line rule: 81% and 52% of planted children for two and three or more).
    Most controls' single suggestion is education (a suspension, or severe absence)."""
    planted, control = planted_and_controls["planted"], planted_and_controls["control"]
    assert len(planted) == 21 and len(control) > 1000
    any_planted, any_control = share(planted, bool), share(control, bool)
    assert any_planted >= 0.9 and any_planted >= 2 * any_control
    two_planted, two_control = share(planted, lambda s: len(s) >= 2), share(control, lambda s: len(s) >= 2)
    assert two_planted >= 0.5 and two_planted >= 10 * two_control


@pytest.mark.parametrize(
    "indicator", CORE_RULES + ("unexplained_money_items", "multiple_phones", "linked_to_deal_line")
)
def test_each_rule_fires_on_planted_children_more_than_on_controls(planted_and_controls, indicator):
    """Measured share of planted children vs controls for each rule (21 vs 1,899): missing or out
    of area 0.43 vs 0.0016; drugs 0.62 vs 0.0005; weapons 0.19 vs 0.0011; injuries 0.38 vs 0.010;
    education 0.81 vs 0.114; looked after 0.14 vs 0.0058; cash 0.24 vs 0; phones 0.19 vs 0; linked to
    a deal line 1.0 vs 0 (by construction: a planted child is screened the day after the latest
    intelligence naming them, so that rule's share among planted children says little).
    Not asserted here: self-harm (1 planted child in 21 vs 0.0095 of controls, too few to say) and
    return home interview disclosures (the generator records none); both are proved on crafted
    children above."""
    planted = share(planted_and_controls["planted"], lambda s: indicator in s)
    control = share(planted_and_controls["control"], lambda s: indicator in s)
    assert planted > 0
    assert planted >= 5 * control
