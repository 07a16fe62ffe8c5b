"""The 903 missing-episode rules on small hand-made returns (cases adapted from the D2I-903 rule tests),
and the FORMAT metadata every module exposes."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest

from lantern.ingest.formats import cin_census, generic, health, police, school_exclusions, ssda903
from lantern.ingest.formats.base import KINDS, ParsedRow, RowRejected

HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\r\n"
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\r\n"
MISSING = "CHILD,DOB,MISSING,MIS_START,MIS_END\r\n"


def run(
    header: list[str], episodes: list[str] | None, missing: list[str], year: int | None = None
) -> dict[int, list[str]]:
    """Rules broken per Missing row number (only rows with errors)."""
    v = ssda903.ReturnValidator()
    list(
        v.check(
            ssda903.parse(
                io.BytesIO((HEADER + "".join(f"{h},1,01/01/2005,WBRI,,,\r\n" for h in header)).encode()),
                filename="h.csv",
            )
        )
    )
    if episodes is not None:
        eps = "".join(f"{e}\r\n" for e in episodes)
        for r in v.check(ssda903.parse(io.BytesIO((EPISODES + eps).encode()), filename="e.csv")):
            assert isinstance(r, ParsedRow), r
    rows = "".join(f"{m}\r\n" for m in missing)
    out: dict[int, list[str]] = {}
    for r in v.check(
        ssda903.parse(io.BytesIO((MISSING + rows).encode()), filename="m.csv", collection_year=year)
    ):
        if isinstance(r, RowRejected):
            out[r.row] = [e.rule or "" for e in r.errors]
    return out


def ep(child: str, decom: str, dec: str = "", rec: str = "") -> str:
    return f"{child},{decom},S,C2,N1,U4,PR1,{dec},{rec},,,,"


def ms(child: str, start: str, end: str = "", kind: str = "M") -> str:
    return f"{child},01/01/2005,{kind},{start},{end}"


def test_574_overlaps_and_open_periods() -> None:
    got = run(
        ["111", "222", "333", "444"],
        None,
        [
            ms("111", "01/06/2020", "05/06/2020"),
            ms("111", "04/06/2020"),  # overlaps the first
            ms("222", "03/06/2020", "04/06/2020"),
            ms("222", "04/06/2020"),  # starts the day the previous ended: allowed
            ms("222", "07/06/2020", "09/06/2020"),  # the previous is still open
            ms("333", "02/06/2020", "04/06/2020"),
            ms("333", "03/06/2020", "09/06/2020"),  # overlaps
            ms("444", "06/06/2020", "08/06/2020"),
            ms("444", "10/06/2020", "10/06/2020"),
            ms("444", "08/06/2020", "10/08/2020"),  # overlaps the one on 10/06
        ],
    )
    assert got == {2: ["574"], 5: ["574"], 7: ["574"], 10: ["574"]}


def test_575_open_period_after_its_placement_ended() -> None:
    got = run(
        ["111", "123", "333"],
        [
            ep("111", "01/06/2020", "10/06/2020", "E8"),
            ep("123", "08/06/2020", "10/06/2020", "X1"),
            ep("123", "10/06/2020"),
            ep("333", "06/06/2020"),
        ],  # fmt: skip
        [ms("111", "01/06/2020", "05/06/2020"), ms("123", "08/06/2020"), ms("333", "06/06/2020")],
    )
    assert got == {2: ["575"]}


def test_577_and_578_against_periods_of_care() -> None:
    got = run(
        ["1", "5", "6", "9"],
        [
            ep("1", "01/04/2019", "31/03/2020", "E8"),
            ep("5", "01/04/2018", "01/01/2019", "X1"),
            ep("5", "01/01/2019", "01/01/2020", "E8"),
            ep("6", "01/04/2019", "04/06/2020", "E8"),
            ep("9", "01/01/2020", "04/06/2020", "E8"),
            ep("9", "08/08/2021"),
        ],  # fmt: skip
        [
            ms("1", "01/01/2020"),  # open, care ended: 575 (its placement ended) - 577 not repeated
            ms("5", "01/06/2019", "01/06/2020"),  # ends after care ended: 577
            ms("6", "01/01/2019", "01/02/2019"),  # before care began: 578
            ms("9", "01/01/2021", "02/01/2021"),  # between two periods of care: 578 and 577
            ms("9", "01/09/2021"),  # open in the current period: fine
        ],
    )
    assert got == {1: ["575"], 2: ["577"], 3: ["577", "578"], 4: ["577", "578"]}


def test_row_level_rules_and_collection_year() -> None:
    got = run(
        ["1"],
        None,
        [
            ms("1", "05/06/2023", "01/06/2023"),
            ms("1", "01/01/2005"),
            ms("1", "01/05/2024"),
            ms("1", "01/01/2023", "02/01/2023"),
            "1,01/01/2005,,01/07/2023,",
            "1,01/01/2005,,,02/07/2023",
            "1,01/01/2005,M,,",
            "1,01/01/2005,m,01/08/2023,",
            "1,01/01/2005,A,32/01/2024,",
            "1,01/01/2005,A,01/09/2023,31/09/2023",
        ],  # fmt: skip
        year=2024,
    )
    assert got == {
        1: ["567"],
        2: ["586"],
        3: ["570"],
        4: ["571"],
        5: ["565"],
        6: ["566", "1004"],
        7: ["564"],
        8: ["1006"],
        9: ["1004"],
        10: ["1005"],
    }


def test_header_dependencies_int04_int13_and_known_children() -> None:
    v = ssda903.ReturnValidator(known_children={"K1": dt.date(2005, 1, 1)})
    data = (
        MISSING
        + "K1,01/01/2005,M,01/06/2023,02/06/2023\r\nK1,02/01/2005,M,01/07/2023,02/07/2023\r\nZZ,01/01/2005,M,01/06/2023,\r\n"
    ).encode()
    results = list(v.check(ssda903.parse(io.BytesIO(data), filename="m.csv")))
    assert isinstance(results[0], ParsedRow)
    assert [e.rule for e in results[1].errors] == ["INT13"]
    assert [e.rule for e in results[2].errors] == ["INT04"]
    fresh = ssda903.ReturnValidator()
    (orphan,) = list(
        fresh.check(
            ssda903.parse(
                io.BytesIO((MISSING + "K1,01/01/2005,M,01/06/2023,\r\n").encode()), filename="m.csv"
            )
        )
    )
    assert "check the Header file first" in orphan.errors[0].expected


def test_a_rejected_episode_row_suspends_the_episode_rules_for_that_child() -> None:
    v = ssda903.ReturnValidator()
    list(
        v.check(ssda903.parse(io.BytesIO((HEADER + "1,1,01/01/2005,WBRI,,,\r\n").encode()), filename="h.csv"))
    )
    eps = EPISODES + ep("1", "01/04/2019", "31/03/2020", "E8") + "\r\n" + "1,01/04/2020,S,ZZ,N1,U4,,,,,,,\r\n"
    assert [type(r).__name__ for r in v.check(ssda903.parse(io.BytesIO(eps.encode()), filename="e.csv"))] == [
        "ParsedRow",
        "RowRejected",
    ]
    (row,) = list(
        v.check(
            ssda903.parse(io.BytesIO((MISSING + ms("1", "01/06/2020") + "\r\n").encode()), filename="m.csv")
        )
    )
    assert isinstance(row, ParsedRow)  # no 577/578: the child's episodes are incomplete


FORMATS = [ssda903, cin_census, school_exclusions, police, health, generic]


@pytest.mark.parametrize("module", FORMATS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_format_metadata_is_complete_and_documented(module) -> None:
    spec = module.FORMAT
    assert spec.code and spec.label and spec.kind in ("csv", "xml") and spec.source and spec.source_system
    docs = (Path(__file__).resolve().parents[4] / "docs" / "data-formats.md").read_text(encoding="utf-8")
    assert f"`{spec.code}`" in docs
    for table in spec.tables:
        assert table.key and set(table.key) <= set(table.column_names)
        for col in table.columns:
            assert col.kind in KINDS and col.description, col
            assert col.kind != "code" or col.codes, col
            assert re.search(rf"\b{re.escape(col.name.rsplit('/', 1)[-1])}\b", docs), (spec.code, col.name)
    assert module.__doc__ and ("ST §" in module.__doc__ or "Lantern" in module.__doc__)


def test_no_django_in_the_formats_package() -> None:
    root = Path(ssda903.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+django", text, re.M), path


@pytest.mark.parametrize(("code", "sex"), [("1", "M"), ("2", "F"), ("M", "M"), ("F", "F"), ("U", "U")])
def test_header_sex_is_read_in_both_the_old_and_the_2024_25_codes(code, sex):
    """1/2 up to the 2023-24 return; the reported sex M/F/U from 2024-25 (DfE validator rule 101)."""
    rows = list(
        ssda903.ReturnValidator().check(
            ssda903.parse(
                io.BytesIO((HEADER + f"C1,{code},01/01/2012,WBRI,,,\r\n").encode()), filename="h.csv"
            )
        )
    )
    assert isinstance(rows[0], ParsedRow) and rows[0].person.sex == sex
