"""Writers (903 export, quarantine report) are CSV-injection safe; readers keep odd values as text;
the 903 export selects a collection year and reads back identically."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from lantern.ingest.formats import ssda903
from lantern.ingest.formats.base import (
    FORMULA_START,
    ParsedRow,
    RowRejected,
    neutralise_cell,
    write_quarantine,
)

from .helpers import GOLDEN, parse_path

HYPERLINK = '=HYPERLINK("http://example.invalid/","Click")'


@pytest.mark.parametrize("value", [HYPERLINK, "+1+2", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1", "  =1+1"])
def test_formula_cells_are_neutralised(value: str) -> None:
    safe = neutralise_cell(value)
    assert safe.startswith("'") and safe[1:] == value


@pytest.mark.parametrize("value", ["LCC1", "O'Neil", "2+2", "", None, dt.date(2024, 1, 5)])
def test_ordinary_cells_are_unchanged(value) -> None:
    assert not neutralise_cell(value).startswith("'")
    assert neutralise_cell(dt.date(2024, 1, 5)) == "05/01/2024"


def test_903_export_neutralises_injection(tmp_path: Path) -> None:
    header = [
        {"CHILD": HYPERLINK, "SEX": "1", "DOB": dt.date(2010, 1, 1), "ETHNIC": "WBRI", "UPN": "@import"}
    ]
    episodes = [{"CHILD": HYPERLINK, "DECOM": dt.date(2023, 5, 1), "RNE": "S", "LS": "C2", "CIN": "N1", "PLACE": "U4",
                 "URN": "-1+1"}]  # fmt: skip
    missing = [
        {"CHILD": HYPERLINK, "DOB": dt.date(2010, 1, 1), "MISSING": "M", "MIS_START": dt.date(2023, 6, 1)}
    ]
    paths = ssda903.write_903(
        tmp_path, collection_year=2024, header=header, episodes=episodes, missing=missing
    )
    for path in paths.values():
        text = path.read_text(encoding="utf-8")
        assert "'=HYPERLINK" in text
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                assert not cell or cell[0] not in FORMULA_START, (path.name, cell)
    assert "'@import" in paths["Header"].read_text(encoding="utf-8")
    assert "'-1+1" in paths["Episodes"].read_text(encoding="utf-8")


def test_quarantine_report_is_neutralised_and_complete() -> None:
    results = parse_path(GOLDEN / "school_exclusions.csv", "school_exclusions")
    rejected = [r for r in results if isinstance(r, RowRejected)]
    out = io.StringIO()
    n = write_quarantine(rejected, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["file", "table", "row", "field", "value", "expected", "rule", "message"]
    assert len(rows) == n + 1 == sum(len(r.errors) for r in rejected) + 1
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)
    for row in rows:
        for cell in row:
            assert not cell or cell[0] not in FORMULA_START


def test_readers_keep_formula_text_in_free_text_fields() -> None:
    header = (GOLDEN / "police_missing_reports.csv").read_text(encoding="utf-8").splitlines()[0]
    line = (
        "NOM1,,SMITH,Jo,01/01/2010,F,,,,,,LP-1,05/06/2023 21:40,,,LOW,,home,parent,"
        '"=HYPERLINK(""http://example.invalid/"",""Click"")",N'
    )
    from lantern.ingest.formats import police

    (row,) = list(police.parse(io.BytesIO(f"{header}\r\n{line}\r\n".encode()), filename="p.csv"))
    assert isinstance(row, ParsedRow)
    assert row.events[0].details["found_location"] == HYPERLINK


def test_write_903_selects_the_collection_year_and_reads_back(tmp_path: Path) -> None:
    header = [
        {"CHILD": "C1", "SEX": "1", "DOB": dt.date(2010, 1, 1), "ETHNIC": "WBRI"},
        {"CHILD": "C2", "SEX": "2", "DOB": "2011-02-02", "ETHNIC": "NOBT"},
        {"CHILD": "C3", "SEX": "2", "DOB": dt.date(2012, 3, 3), "ETHNIC": "AIND"},
    ]
    episodes = [
        {"CHILD": "C1", "DECOM": dt.date(2022, 1, 1), "RNE": "S", "LS": "C2", "CIN": "N1", "PLACE": "U4",
         "DEC": dt.date(2023, 6, 1), "REC": "X1"},
        {"CHILD": "C1", "DECOM": dt.date(2023, 6, 1), "RNE": "P", "LS": "C2", "CIN": "N1", "PLACE": "K2",
         "DEC": dt.date(2024, 5, 1), "REC": "E8"},  # ends after the year: DEC/REC blanked
        {"CHILD": "C2", "DECOM": dt.date(2020, 1, 1), "RNE": "S", "LS": "V2", "CIN": "N4", "PLACE": "U1",
         "DEC": dt.date(2021, 1, 1), "REC": "E8"},  # before the year: left out (and so is C2's Header row)
        {"CHILD": "C3", "DECOM": dt.date(2023, 9, 1), "RNE": "S", "LS": "J1", "CIN": "N1", "PLACE": "K2"},
    ]  # fmt: skip
    missing = [
        {"CHILD": "C1", "DOB": dt.date(2010, 1, 1), "MISSING": "M", "MIS_START": dt.date(2023, 3, 30), "MIS_END": dt.date(2023, 4, 2)},
        {"CHILD": "C1", "DOB": dt.date(2010, 1, 1), "MISSING": "A", "MIS_START": dt.date(2024, 3, 30), "MIS_END": dt.date(2024, 4, 2)},
        {"CHILD": "C1", "DOB": dt.date(2010, 1, 1), "MISSING": "A", "MIS_START": dt.date(2022, 3, 30), "MIS_END": dt.date(2022, 4, 2)},
        {"CHILD": "C3", "DOB": dt.date(2012, 3, 3), "MISSING": "M", "MIS_START": dt.date(2023, 10, 1)},
    ]  # fmt: skip
    paths = ssda903.write_903(
        tmp_path, collection_year=2024, header=header, episodes=episodes, missing=missing
    )
    assert {p.name for p in paths.values()} == {
        "903_2023-24_Header.csv",
        "903_2023-24_Episodes.csv",
        "903_2023-24_Missing.csv",
    }
    validator = ssda903.ReturnValidator()
    back = {
        t: parse_path(paths[t], "ssda903", validator=validator, collection_year=2024)
        for t in ("Header", "Episodes", "Missing")
    }
    assert all(isinstance(r, ParsedRow) for rows in back.values() for r in rows), back
    assert [r.values["CHILD"] for r in back["Header"]] == ["C1", "C3"]
    eps = [(r.values["CHILD"], r.values["DECOM"], r.values["DEC"], r.values["REC"]) for r in back["Episodes"]]
    assert eps == [
        ("C1", dt.date(2022, 1, 1), dt.date(2023, 6, 1), "X1"),
        ("C1", dt.date(2023, 6, 1), None, None),
        ("C3", dt.date(2023, 9, 1), None, None),
    ]
    mis = [(r.values["CHILD"], r.values["MIS_START"], r.values["MIS_END"]) for r in back["Missing"]]
    assert mis == [
        ("C1", dt.date(2023, 3, 30), dt.date(2023, 4, 2)),
        ("C1", dt.date(2024, 3, 30), None),
        ("C3", dt.date(2023, 10, 1), None),
    ]
    assert back["Missing"][0].events[0].summary == "Missing from placement; returned 02/04/2023"
