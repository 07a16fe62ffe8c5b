"""The board report's sections on small hand-made extracts (no database): quarters, suppression in
tables and sentences, a code no longer in the code list, and the clear refusals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lantern.analytics.board import Period, board_report
from lantern.reporting.extract import SCHEMAS


def _extract(directory: Path, **tables: list[dict]) -> Path:
    for name, schema in SCHEMAS.items():
        pq.write_table(
            pa.Table.from_pylist(tables.get(name, []), schema=schema), directory / f"{name}.parquet"
        )
    return directory


def _missing(pid: str, day: dt.date, age: int = 14) -> dict:
    return {"pid": pid, "report": f"{pid}-{day}", "reported_on": day, "returned_on": day, "age": age}


def _sections(data: dict) -> dict[str, dict]:
    return {s["key"]: s for s in data["sections"]}


@pytest.mark.parametrize(
    ("text", "code", "start", "end"),
    [
        ("2026Q3", "2026Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        ("2026-q4", "2026Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        (" 2025 Q1 ", "2025Q1", dt.date(2025, 1, 1), dt.date(2025, 3, 31)),
    ],
)
def test_quarters(text, code, start, end):
    period = Period.parse(text)
    assert (period.code, period.start, period.end) == (code, start, end)


def test_quarters_run_back_across_years():
    assert [q.code for q in Period.parse("2026Q2").last(5)] == [
        "2025Q2",
        "2025Q3",
        "2025Q4",
        "2026Q1",
        "2026Q2",
    ]


@pytest.mark.parametrize("text", ["2026Q5", "2026", "Q3", "", "2026Q0"])
def test_a_period_that_is_not_a_quarter_is_refused_with_the_expected_form(text):
    with pytest.raises(ValueError, match="expected a year and quarter such as 2026Q3"):
        Period.parse(text)


def test_small_numbers_are_withheld_in_tables_and_sentences(tmp_path):
    day = dt.date(2026, 8, 1)
    persons = [{"pid": f"b{i}", "sex": "M"} for i in range(9)] + [
        {"pid": f"g{i}", "sex": "F"} for i in range(2)
    ]
    missing = [_missing(p["pid"], day) for p in persons]
    data = board_report(_extract(tmp_path, persons=persons, missing=missing), Period(2026, 3), threshold=5)
    section = _sections(data)["missing"]
    assert section["summary"].startswith("11 missing episodes were reported for 11 children.")
    row = section["tables"][0]["rows"][0]  # 12–15: boys 9, girls 2 -> girls withheld, and boys with them
    assert row[0] == "12–15" and row[1:] == [None, None, None, None]
    small = board_report(
        _extract(tmp_path, persons=persons[:3], missing=missing[:3]), Period(2026, 3), threshold=5
    )
    assert _sections(small)["missing"]["summary"] == (
        "Fewer than 5 missing episodes were reported for fewer than 5 children."
    )


def test_missing_reports_about_adults_are_not_counted(tmp_path):
    day = dt.date(2026, 8, 1)
    persons = [{"pid": f"p{i}", "sex": "F"} for i in range(6)]
    missing = [_missing(p["pid"], day, age=30) for p in persons]
    data = board_report(_extract(tmp_path, persons=persons, missing=missing), Period(2026, 3))
    assert _sections(data)["missing"]["has_data"] is False


def test_a_referral_source_no_longer_in_the_code_list_is_shown_as_recorded(tmp_path):
    day = dt.date(2026, 8, 3)
    persons = [{"pid": f"p{i}", "district": "BLABY"} for i in range(6)]
    contacts = [{"pid": p["pid"], "received_on": day, "source": "9Z", "district": "BLABY"} for p in persons]
    data = board_report(_extract(tmp_path, persons=persons, contacts=contacts), Period(2026, 3))
    tables = {t["key"]: t for t in _sections(data)["referrals"]["tables"]}
    assert tables["referrals_by_source"]["rows"] == [["9Z", 6]]
    assert tables["referrals_by_district"]["rows"] == [["Blaby", 6]]


def test_hidden_scale_says_why_it_cannot_estimate(tmp_path):
    day = dt.date(2026, 8, 3)
    events = [
        {"pid": f"p{i}", "item_type": "cin_assessment", "agency_type": "childrens_social_care", "occurred_on": day,
         "factors": ["24A"]}
        for i in range(8)
    ]  # fmt: skip
    data = board_report(_extract(tmp_path, events=events), Period(2026, 3))
    hidden = _sections(data)["hidden_scale"]
    assert hidden["has_data"] is False
    assert hidden["summary"].startswith("Cannot estimate because")
    assert "three lists" in hidden["summary"]


def test_a_missing_table_is_a_clear_error(tmp_path):
    _extract(tmp_path)
    (tmp_path / "nrm.parquet").unlink()
    with pytest.raises(FileNotFoundError, match="no nrm table"):
        board_report(tmp_path, Period(2026, 3))
