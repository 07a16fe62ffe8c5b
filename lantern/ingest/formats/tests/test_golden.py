"""Golden files: a small defective file per format and the exact messages Lantern gives for it.

Set LANTERN_UPDATE_GOLDEN=1 to rewrite the .expected.txt files after a deliberate change (then review
the diff)."""

from __future__ import annotations

import os

import pytest

from lantern.ingest.formats import generic, ssda903

from .helpers import GOLDEN, parse_path, render

CASES = {
    "ssda903": [
        ("903_Header.csv", "ssda903"),
        ("903_Episodes.csv", "ssda903"),
        ("903_Missing.csv", "ssda903"),
    ],
    "cin_census": [("cin_census.xml", "cin_census")],
    "school_exclusions": [("school_exclusions.csv", "school_exclusions")],
    "police": [
        ("police_missing_reports.csv", "police"),
        ("police_arrests.csv", "police"),
        ("police_stop_search.csv", "police"),
        ("police_intelligence.csv", "police"),
    ],
    "health": [("ed_attendances.csv", "health")],
    "generic": [("generic_contacts.csv", "generic")],
}


def _messages(name: str) -> str:
    lines: list[str] = []
    validator = ssda903.ReturnValidator()
    mapping = generic.ColumnMapping.from_json(
        (GOLDEN / "generic_contacts.mapping.json").read_text(encoding="utf-8")
    )
    for filename, fmt in CASES[name]:
        results = parse_path(
            GOLDEN / filename, fmt, validator=validator, mapping=mapping, collection_year=2024
        )
        lines.extend(render(results))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_messages(name: str) -> None:
    expected_path = GOLDEN / f"{name}.expected.txt"
    got = _messages(name)
    if os.environ.get("LANTERN_UPDATE_GOLDEN") == "1":
        expected_path.write_text(got, encoding="utf-8")
    assert got == expected_path.read_text(encoding="utf-8")


def test_golden_rejections_name_rules() -> None:
    """A 903 rejection says which rule, in the words of ST §4.1."""
    text = (GOLDEN / "ssda903.expected.txt").read_text(encoding="utf-8")
    assert "rule 567: end date before start date" in text
    for rule in (
        "564",
        "565",
        "566",
        "570",
        "571",
        "574",
        "575",
        "577",
        "578",
        "586",
        "1004",
        "1006",
        "INT04",
    ):
        assert f"rule {rule}:" in text
