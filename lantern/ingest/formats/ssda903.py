"""SSDA903 (children looked after return): the Header, Episodes and Missing tables as CSV files.

Sources (cited as ST = /work/shared/domain/standards.md):

* Tables and columns: ST §4.1 (QLAC ``validator903/config.py`` @53e70c7, D2I-903
  ``lac_validator/config.py`` @10ad07c).  Dates are ``dd/mm/yyyy`` (ST §4.1, LIIA 2024 schema).
* Codes: ST §4.1 (LIIA ``SSDA903_schema_2024.yml`` @0dd821c): SEX, ETHNIC, RNE, LS, CIN, PLACE,
  PLACE_PROVIDER, REC, REASON_PLACE_CHANGE, MISSING (M/A with the SSD meanings).  Code *meanings*
  other than those ST gives are marked "(meaning not verified)".
* Missing-episode rules 564, 565, 566, 567, 570, 571, 574, 575, 577, 578, 586, 1004, 1005, 1006
  (ST §4.1 table); the message wording follows the D2I-903 rule files
  ``lac_validator/rules/lac2022_23/rule_<code>.py`` (read at commits 1e17be6, 21579536, 0e51bd1,
  3a231f5, 9ac8316, 5f7b993, 99e5bf2, 13e212a), including their comparison details (586 flags a start
  *on or before* the DOB; 574 allows a period to start on the day the previous one ended; 577/578
  compare against periods of care built from consecutive episodes).  INT04 (a Missing child must be
  in Header) and INT13 (Missing DOB equals Header DOB) are ST §4.1 (LIIA yml).

Lantern's own specification (not in ST): UPN may also be one of the CIN census UPNunknown codes
UN1-UN7 (ST §4.2); MOTHER is 0/1; an episode's DEC must not precede its DECOM and DEC/REC come as a
pair (rule ``LAN-EPI-REC``); Episodes rows must belong to a Header child (``LAN-HEADER``); a
``collection_year`` is the year in which the collection ends (2024 = 1 April 2023 - 31 March 2024).

What Lantern creates (docs/data-formats.md): a Header row is a person record (source key CHILD, also
the LA child id; no names: the 903 carries none).  An Episodes row is a ``lac_episode`` event at
DECOM and, when REC is not X1 (the child stays looked after), a second ``lac_episode`` "ceased to be
looked after" event at DEC.  A Missing row is a ``missing_episode_903`` event at MIS_START.  All are
safeguarding purpose, no handling code, and attach to the record CHILD.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from .base import (
    Column,
    EventPart,
    FieldError,
    FileValidator,
    FormatSpec,
    ParsedRow,
    PersonPart,
    Result,
    RowRejected,
    SafeCsvWriter,
    TableSpec,
    fmt_date,
    local_midnight,
    parse_csv,
    register_rules,
)

SOURCE = "ST §4.1 (SSDA903; QLAC/D2I-903 config, LIIA 2024 schema)"

#: Short rule texts: ST §4.1's table.
RULES = {
    "564": "missing/away and start date blank",
    "565": "start date completed but MISSING (M/A) not completed",
    "566": "end date completed but MISSING not completed",
    "567": "end date before start date",
    "570": "start date after end of collection year",
    "571": "end date before start or after end of collection year",
    "574": "a new period cannot start while the previous one is open; periods must not overlap",
    "575": "if the placement the child went missing from ends, the missing period must have an end date",
    "577": "child ceased to be looked after but there is an open missing period",
    "578": "missing start after the child ceased to be looked after",
    "586": "missing dates before DOB",
    "1004": "start date not a valid date",
    "1005": "end date not a valid date",
    "1006": "Missing type invalid",
    "INT04": "the child must exist in Header",
    "INT13": "DOB must equal the Header DOB",
    "LAN-HEADER": "an episode's child must exist in Header",
    "LAN-EPI-REC": "DEC and REC are completed together",
}
#: The DfE/D2I message for each rule (D2I-903 ``rule_<code>.py`` ``message=``), shown in the docs.
DFE_MESSAGES = {
    "564": "Child was missing or away from placement without authorisation and the date started is blank.",
    "565": "The date that the child started to be missing or away from placement without authorisation has "
    "been completed but whether the child was missing or away from placement without authorisation has not "
    "been completed.",
    "566": "The date that the child's episode of being missing or away from placement without authorisation "
    "ended has been completed but whether the child was missing or away without authorisation has not been "
    "completed.",
    "567": "The date that the missing episode or episode that the child was away from placement without "
    "authorisation ended is before the date that it started.",
    "570": "The date that the child started to be missing or away from placement without authorisation is "
    "after the end of the collection year.",
    "571": "The date that the child ceased to be missing or away from placement without authorisation is "
    "before the start or after the end of the collection year.",
    "574": "A new missing/away from placement without authorisation period cannot start when the previous "
    "missing/away from placement without authorisation period is still open. Missing/away from placement "
    "without authorisation periods should also not overlap.",
    "575": "If the placement from which the child goes missing/away from placement without authorisation "
    "ends, the missing/away from placement without authorisation period in the missing module must also have "
    "an end date.",
    "577": "Child ceased to be looked after but there is a missing/away from placement without authorisation "
    "period without an end date.",
    "578": "The date that the child started to be missing is after the child ceased to be looked after.",
    "586": "Dates of missing periods are before child's date of birth.",
    "1004": "The start date of the missing episode or episode that the child was away from placement without "
    "authorisation is not a valid date.",
    "1005": "The end date of the missing episode or episode that the child was away from placement without "
    "authorisation is not a valid date.",
    "1006": "Missing type invalid.",
}
register_rules(RULES)


def _codes(*codes: str, meaning: str = "(meaning not verified)") -> dict[str, str]:
    return {c: meaning for c in codes}


# Header.SEX was 1/2 up to the 2023-24 return and is the reported sex M/F/U from 2024-25 (the DfE
# validator's rule 101 changes with the lac2024_25 ruleset): both are read, as Lantern's M/F/U.
SEX = {"1": "Male", "2": "Female", "M": "Male (reported sex, from 2024-25)", "F": "Female (reported sex, from 2024-25)",
       "U": "Not known (reported sex, from 2024-25)"}  # fmt: skip
SEX_TO_LANTERN = {"1": "M", "2": "F", "M": "M", "F": "F", "U": "U"}
ETHNIC = {
    "WBRI": "White British",
    "WIRI": "White Irish",
    "WOTH": "Any other White background",
    "WIRT": "Traveller of Irish heritage",
    "WROM": "Gypsy/Roma",
    "MWBC": "White and Black Caribbean",
    "MWBA": "White and Black African",
    "MWAS": "White and Asian",
    "MOTH": "Any other mixed background",
    "AIND": "Indian",
    "APKN": "Pakistani",
    "ABAN": "Bangladeshi",
    "AOTH": "Any other Asian background",
    "BCRB": "Caribbean",
    "BAFR": "African",
    "BOTH": "Any other Black background",
    "CHNE": "Chinese",
    "OOTH": "Any other ethnic group",
    "REFU": "Refused",
    "NOBT": "Information not yet obtained",
}
UPN_UNKNOWN = {
    f"UN{i}": "UPN unknown (CIN census UPNunknown code; meaning not verified)" for i in range(1, 8)
}
RNE = _codes("S", "L", "P", "T", "B", "U")
RNE["S"] = "started to be looked after (Lantern's reading; the generator uses S for a start)"
RNE["P"] = "change of placement (Lantern's reading; the generator uses P for a placement change)"
LS = _codes("C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2", "J3")
LS["J1"] = "~ remanded to LA accommodation or youth detention (ST §4.1, unverified)"
LS["J2"] = "~ detained under PACE in LA accommodation (ST §4.1, unverified)"
LS["J3"] = "~ sentenced to a youth rehabilitation order with residence requirement (ST §4.1, unverified)"
CIN_NEED = _codes(*(f"N{i}" for i in range(1, 9)))
PLACE = _codes(
    "A3", "A4", "A5", "A6", "H5", "K1", "K2", "P1", "P2", "P3", "R1", "R2", "R3", "R5", "S1",
    "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1",
)  # fmt: skip
PLACE_PROVIDER = _codes("PR0", "PR1", "PR2", "PR3", "PR4", "PR5")
REC = _codes(
    "X1", "E11", "E12", "E2", "E3", "E4A", "E4B", "E13", "E41", "E45", "E46", "E47", "E48",
    "E5", "E6", "E7", "E9", "E14", "E15", "E16", "E17", "E8",
)  # fmt: skip
REC["X1"] = "~ episode ceased, child remains looked after (Lantern's reading)"
REASON_PLACE_CHANGE = _codes(
    "CARPL",
    "CLOSE",
    "ALLEG",
    "STAND",
    "APPRR",
    "CREQB",
    "CREQO",
    "CHILD",
    "LAREQ",
    "PLACE",
    "CUSTOD",
    "OTHER",
)
MISSING = {
    "M": "Missing from care: a looked-after child who is not at their placement or the place they are expected "
    "to be (for example school) and their whereabouts is not known",
    "A": "Away from placement without authorisation: a looked-after child whose whereabouts is known but who is "
    "not at their placement or place they are expected to be and the carer has concerns or the incident has "
    "been notified to the local authority or the police.",
}
MOTHER = {"0": "not a mother (Lantern assumption)", "1": "the child is a mother (Lantern assumption)"}

# Placement labels used in summaries (the generator's wording for the codes it uses).
PLACE_LABELS = {
    "U1": "foster care (relative or friend)",
    "U2": "foster care (relative or friend)",
    "U3": "foster care (relative or friend)",
    "U4": "foster care",
    "U5": "foster care",
    "U6": "foster care",
    "K2": "children's home",
    "H5": "semi-independent living",
    "P1": "placed with parents",
}


def _child() -> Column:
    return Column(
        "CHILD", "id", True, "LA's identifier for the child (alphanumeric)", source=SOURCE, max_length=20
    )


HEADER = (
    _child(),
    Column("SEX", "code", True, "Sex", SEX, SOURCE),
    Column("DOB", "date", True, "Date of birth (dd/mm/yyyy)", source=SOURCE),
    Column("ETHNIC", "code", True, "Ethnicity (20 DfE codes)", ETHNIC, SOURCE),
    Column("UPN", "upn", False, "Unique pupil number, or UN1-UN7 (Lantern assumption)", UPN_UNKNOWN, SOURCE),
    Column("MOTHER", "code", False, "Is the child a mother (Lantern assumption: 0/1)", MOTHER, SOURCE),
    Column("MC_DOB", "date", False, "Date of birth of the child's first child", source=SOURCE),
)
EPISODES = (
    _child(),
    Column("DECOM", "date", True, "Date the episode commenced", source=SOURCE),
    Column("RNE", "code", True, "Reason for new episode", RNE, SOURCE),
    Column("LS", "code", True, "Legal status", LS, SOURCE),
    Column("CIN", "code", True, "Category of need", CIN_NEED, SOURCE),
    Column("PLACE", "code", True, "Placement type", PLACE, SOURCE),
    Column("PLACE_PROVIDER", "code", False, "Placement provider", PLACE_PROVIDER, SOURCE),
    Column("DEC", "date", False, "Date the episode ceased", source=SOURCE),
    Column("REC", "code", False, "Reason the episode ceased", REC, SOURCE),
    Column("REASON_PLACE_CHANGE", "code", False, "Reason for placement change", REASON_PLACE_CHANGE, SOURCE),
    Column("HOME_POST", "postcode", False, "Postcode of the child's home (full or outward code)", source=SOURCE,
           partial_postcode=True),
    Column("PL_POST", "postcode", False, "Postcode of the placement (full or outward code)", source=SOURCE,
           partial_postcode=True),
    Column("URN", "id", False, "Ofsted unique reference number of the placement", source=SOURCE, max_length=10),
)  # fmt: skip
MISSING_COLUMNS = (
    _child(),
    Column("DOB", "date", True, "Date of birth; must equal the Header DOB (INT13)", source=SOURCE),
    Column("MISSING", "code", False, "M missing from care / A away from placement without authorisation "
           "(blank handled by rules 565/566)", MISSING, SOURCE, rule_invalid="1006"),
    Column("MIS_START", "date", False, "Date the child left the placement or was last seen (rules 564/1004)",
           source=SOURCE, rule_invalid="1004"),
    Column("MIS_END", "date", False, "Date found or returned; blank while still missing", source=SOURCE,
           rule_invalid="1005"),
)  # fmt: skip


def collection_bounds(collection_year: int) -> tuple[dt.date, dt.date]:
    """1 April of the previous year to 31 March of ``collection_year``."""
    return dt.date(collection_year - 1, 4, 1), dt.date(collection_year, 3, 31)


def collection_year_of(day: dt.date) -> int:
    return day.year + 1 if day.month >= 4 else day.year


# ---------------------------------------------------------------------------------- row builders


def _header_build(
    v: dict[str, Any], raw: dict[str, str]
) -> tuple[str, PersonPart | None, tuple[EventPart, ...]]:
    child = v["CHILD"]
    upn = v["UPN"] or ""
    person = PersonPart(
        source_key=child,
        dob=v["DOB"],
        sex=SEX_TO_LANTERN[v["SEX"]],
        ethnicity=v["ETHNIC"],
        upn="" if upn in UPN_UNKNOWN else upn,
        la_child_id=child,
    )
    return child, person, ()


def _episode_checks(v: dict[str, Any], raw: dict[str, str]) -> list[tuple[str, str, str, str | None]]:
    out: list[tuple[str, str, str, str | None]] = []
    if v["DEC"] is not None and v["DECOM"] is not None and v["DEC"] < v["DECOM"]:
        out.append(("DEC", raw["DEC"], f"a date on or after DECOM ({fmt_date(v['DECOM'])})", "LAN-ORDER"))
    if (raw["DEC"] == "") != (raw["REC"] == ""):
        blank = "REC" if raw["REC"] == "" else "DEC"
        out.append((blank, "", "a value when the other of DEC/REC is completed", "LAN-EPI-REC"))
    return out


def _episode_build(
    v: dict[str, Any], raw: dict[str, str]
) -> tuple[str, PersonPart | None, tuple[EventPart, ...]]:
    child, decom, dec, rec = v["CHILD"], v["DECOM"], v["DEC"], v["REC"]
    label = PLACE_LABELS.get(v["PLACE"], v["PLACE"])
    details = {
        "legal_status": v["LS"],
        "placement": v["PLACE"],
        "reason_new_episode": v["RNE"],
        "decom": decom.isoformat(),
        "dec": dec.isoformat() if dec else None,
        "reason_episode_ceased": rec,
        "category_of_need": v["CIN"],
        "placement_provider": v["PLACE_PROVIDER"],
        "reason_place_change": v["REASON_PLACE_CHANGE"],
        "home_postcode": v["HOME_POST"],
        "placement_postcode": v["PL_POST"],
        "urn": v["URN"],
    }
    if v["RNE"] == "S":
        summary = f"Became looked after ({v['LS']}); placement {label}"
    else:
        summary = f"Looked-after episode changed ({v['RNE']}); now {label}"
    events = [
        EventPart(
            "lac_episode",
            local_midnight(decom),
            summary,
            details,
            "safeguarding",
            f"903-EPI:{child}:{decom.isoformat()}",
        )
    ]
    if dec is not None and rec is not None and rec != "X1":
        events.append(
            EventPart(
                "lac_episode",
                local_midnight(dec),
                f"Ceased to be looked after ({rec})",
                {**details, "ceased": True},
                "safeguarding",
                f"903-END:{child}:{decom.isoformat()}",
            )
        )
    return child, None, tuple(events)


def _missing_checks(collection_year: int | None):
    def checks(v: dict[str, Any], raw: dict[str, str]) -> list[tuple[str, str, str, str | None]]:
        out: list[tuple[str, str, str, str | None]] = []
        kind, start, end = raw["MISSING"], v["MIS_START"], v["MIS_END"]
        if kind == "":
            if raw["MIS_START"]:
                out.append(("MISSING", "", "M or A when MIS_START is completed", "565"))
            elif raw["MIS_END"]:
                out.append(("MISSING", "", "M or A when MIS_END is completed", "566"))
            else:
                out.append(("MISSING", "", "M or A (required)", None))
        if raw["MIS_START"] == "":
            out.append(
                ("MIS_START", "", "the date the episode started (required)", "564" if kind else "1004")
            )
        if start is not None and end is not None and end < start:
            out.append(
                ("MIS_END", raw["MIS_END"], f"a date on or after MIS_START ({fmt_date(start)})", "567")
            )
        if start is not None and v["DOB"] is not None and start <= v["DOB"]:
            out.append(("MIS_START", raw["MIS_START"], f"a date after the DOB ({fmt_date(v['DOB'])})", "586"))
        if collection_year is not None:
            first, last = collection_bounds(collection_year)
            if start is not None and start > last:
                out.append(
                    (
                        "MIS_START",
                        raw["MIS_START"],
                        f"a date on or before {fmt_date(last)} (end of the collection year)",
                        "570",
                    )
                )
            if end is not None and not first <= end <= last:
                out.append(
                    (
                        "MIS_END",
                        raw["MIS_END"],
                        f"a date from {fmt_date(first)} to {fmt_date(last)} (the collection year)",
                        "571",
                    )
                )
        return out

    return checks


def _missing_build(
    v: dict[str, Any], raw: dict[str, str]
) -> tuple[str, PersonPart | None, tuple[EventPart, ...]]:
    child, start, end, kind = v["CHILD"], v["MIS_START"], v["MIS_END"], v["MISSING"]
    summary = "Missing from placement" if kind == "M" else "Away from placement without authorisation"
    summary += f"; returned {fmt_date(end)}" if end else "; no end date recorded"
    details = {
        "missing_type": kind,
        "mis_start": start.isoformat(),
        "mis_end": end.isoformat() if end else None,
    }
    event = EventPart(
        "missing_episode_903",
        local_midnight(start),
        summary,
        details,
        "safeguarding",
        f"903-MIS:{child}:{start.isoformat()}",
    )
    return child, None, (event,)


HEADER_TABLE = TableSpec(
    "Header", HEADER, ("CHILD",), "One row per child looked after in the year", None, _header_build
)
EPISODES_TABLE = TableSpec(
    "Episodes", EPISODES, ("CHILD", "DECOM"), "One row per episode of care", _episode_checks, _episode_build
)
MISSING_TABLE = TableSpec(
    "Missing",
    MISSING_COLUMNS,
    ("CHILD", "MIS_START"),
    "One row per missing or away episode",
    _missing_checks(None),
    _missing_build,
)

FORMAT = FormatSpec(
    code="ssda903",
    label="SSDA903 children looked after return (Header, Episodes, Missing)",
    kind="csv",
    tables=(HEADER_TABLE, EPISODES_TABLE, MISSING_TABLE),
    source=SOURCE,
    source_system="SSDA903",
    description="Three CSV files per collection year; the table is recognised from the header row.",
)


def parse(
    stream: IO[bytes],
    *,
    filename: str,
    table: str | None = None,
    collection_year: int | None = None,
    encoding: str = "utf-8",
) -> Iterator[Result]:
    """Parse one 903 table (recognised from its header unless ``table`` is given).  With a
    ``collection_year`` rules 570/571 are applied to Missing rows."""
    missing = dataclasses.replace(MISSING_TABLE, row_checks=_missing_checks(collection_year))
    return parse_csv(
        stream,
        filename=filename,
        tables=(HEADER_TABLE, EPISODES_TABLE, missing),
        table=table,
        encoding=encoding,
    )


# ---------------------------------------------------------------------------------- cross-row checks


class ReturnValidator(FileValidator):
    """Rules that compare rows, for one return: duplicate keys per table, INT04/INT13 and
    ``LAN-HEADER`` (rows must belong to a Header child whose row was accepted), 574 (overlaps, against
    the child's earlier accepted Missing rows in file order) and 575/577/578 (against the child's
    accepted Episodes, skipped for a child with a rejected Episodes row).

    Check the Header file first, then Episodes, then Missing:
    ``for r in v.check(parse(f, filename=...))``.  ``known_children`` (CHILD -> DOB) seeds the Header
    index, e.g. from an earlier upload.  Memory is bounded per child (its DOB, episodes and missing
    periods).
    """

    def __init__(self, *, known_children: Mapping[str, dt.date | None] | None = None) -> None:
        super().__init__()
        self.header: dict[str, tuple[dt.date | None, int]] = {
            k: (v, 0) for k, v in (known_children or {}).items()
        }
        self.header_rejected: dict[str, int] = {}
        self.header_seen = known_children is not None
        self.episodes: dict[str, list[tuple[dt.date, dt.date | None]]] = {}
        self.episodes_rejected: dict[str, int] = {}
        self.episodes_seen = False
        self.periods: dict[str, list[tuple[dt.date, dt.date | None, int]]] = {}

    def key_field(self, result: ParsedRow) -> str:
        return "CHILD"

    def key_label(self, result: ParsedRow) -> str:
        return {"Header": "CHILD", "Episodes": "CHILD and DECOM", "Missing": "CHILD and MIS_START"}[
            result.table
        ]

    def _header_errors(self, result: ParsedRow, rule: str) -> list[FieldError]:
        child = result.values["CHILD"]
        if child in self.header:
            return []
        if child in self.header_rejected:
            expected = (
                f"a child whose Header row is valid (Header row {self.header_rejected[child]} was rejected)"
            )
        elif not self.header_seen:
            expected = "a child in the Header table (check the Header file first)"
        else:
            expected = "a child in the Header table"
        return [FieldError(result.row, "CHILD", child, expected, rule, result.file)]

    def extra_checks(self, result: ParsedRow) -> list[FieldError]:
        if result.table == "Header":
            self.header_seen = True
            return []
        if result.table == "Episodes":
            self.episodes_seen = True
            return self._header_errors(result, "LAN-HEADER")
        if result.table != "Missing":
            return []
        errors = self._header_errors(result, "INT04")
        if errors:
            return errors
        v, row, file = result.values, result.row, result.file
        child, start, end = v["CHILD"], v["MIS_START"], v["MIS_END"]
        header_dob = self.header[child][0]
        if header_dob is not None and v["DOB"] != header_dob:
            errors.append(
                FieldError(
                    row, "DOB", result.raw["DOB"], f"the Header DOB ({fmt_date(header_dob)})", "INT13", file
                )
            )
        for p_start, p_end, p_row in self.periods.get(child, ()):
            if start < (p_end or dt.date.max) and p_start < (end or dt.date.max):
                what = "is still open" if p_end is None else f"ends {fmt_date(p_end)}"
                errors.append(
                    FieldError(
                        row,
                        "MIS_START",
                        result.raw["MIS_START"],
                        f"a period that does not overlap row {p_row} (starts {fmt_date(p_start)}, {what})",
                        "574",
                        file,
                    )
                )
                break
        if self.episodes_seen and child not in self.episodes_rejected:
            errors.extend(self._episode_rules(result))
        return errors

    def _episode_rules(self, result: ParsedRow) -> list[FieldError]:
        v, row, file = result.values, result.row, result.file
        child, start, end = v["CHILD"], v["MIS_START"], v["MIS_END"]
        episodes = sorted(self.episodes.get(child, ()))
        errors: list[FieldError] = []
        if end is None:
            for decom, dec in episodes:
                if dec is not None and decom <= start <= dec:
                    errors.append(
                        FieldError(
                            row,
                            "MIS_END",
                            "",
                            f"an end date: the placement the child went missing from ended {fmt_date(dec)}",
                            "575",
                            file,
                        )
                    )
                    break
        pocs: list[list[Any]] = []
        for decom, dec in episodes:
            if pocs and not (pocs[-1][1] is not None and decom > pocs[-1][1]):
                pocs[-1][1] = dec
            else:
                pocs.append([decom, dec])
        if pocs:

            def out_577(poc: list[Any]) -> bool:
                p_start, p_end = poc
                if end is None:
                    return p_end is not None or start < p_start
                return (p_end is not None and end > p_end) or end < p_start

            def out_578(poc: list[Any]) -> bool:
                p_start, p_end = poc
                return start < p_start or (p_end is not None and start > p_end)

            if all(out_577(p) for p in pocs) and not any(e.rule == "575" for e in errors):
                expected = (
                    "an end date: the child ceased to be looked after"
                    if end is None
                    else "an end date within a period of care"
                )
                errors.append(FieldError(row, "MIS_END", result.raw["MIS_END"], expected, "577", file))
            if all(out_578(p) for p in pocs):
                shown = "; ".join(f"{fmt_date(a)}-{fmt_date(b) if b else 'open'}" for a, b in pocs)
                errors.append(
                    FieldError(
                        row,
                        "MIS_START",
                        result.raw["MIS_START"],
                        f"a date within a period of care ({shown})",
                        "578",
                        file,
                    )
                )
        return errors

    def accepted(self, result: ParsedRow) -> None:
        v = result.values
        if result.table == "Header":
            self.header[v["CHILD"]] = (v["DOB"], result.row)
        elif result.table == "Episodes":
            self.episodes.setdefault(v["CHILD"], []).append((v["DECOM"], v["DEC"]))
        elif result.table == "Missing":
            self.periods.setdefault(v["CHILD"], []).append((v["MIS_START"], v["MIS_END"], result.row))

    def rejected(self, result: RowRejected) -> None:
        child = result.raw.get("CHILD", "")
        if result.table == "Header":
            self.header_seen = True
            if child and child not in self.header:
                self.header_rejected.setdefault(child, result.row)
        elif result.table == "Episodes":
            self.episodes_seen = True
            if child:
                self.episodes_rejected.setdefault(child, result.row)


def validate_return(
    header: Iterable[Result],
    episodes: Iterable[Result] | None,
    missing: Iterable[Result] | None,
    *,
    validator: ReturnValidator | None = None,
) -> Iterator[Result]:
    """Check the three tables of one return in the right order."""
    v = validator or ReturnValidator()
    yield from v.check(header)
    if episodes is not None:
        yield from v.check(episodes)
    if missing is not None:
        yield from v.check(missing)


# ---------------------------------------------------------------------------------- export

TABLE_COLUMNS = {
    "Header": HEADER_TABLE.column_names,
    "Episodes": EPISODES_TABLE.column_names,
    "Missing": MISSING_TABLE.column_names,
}


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def select_for_year(
    collection_year: int,
    header: Iterable[Mapping[str, Any]],
    episodes: Iterable[Mapping[str, Any]],
    missing: Iterable[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of one collection year's return from plain rows (dicts keyed by 903 column names;
    dates as ``datetime.date`` or ISO strings).  Episodes open at any time in the year are kept, a DEC
    (and REC) after the year end is blanked; Missing periods that overlap the year are kept, an end after
    the year end is blanked (still missing at the year end, per rule 571); Header keeps the children
    with an episode in the year."""
    first, last = collection_bounds(collection_year)
    eps: list[dict[str, Any]] = []
    for e in episodes:
        decom, dec = _date(e.get("DECOM")), _date(e.get("DEC"))
        if decom is None or decom > last or (dec is not None and dec < first):
            continue
        row = dict(e)
        if dec is not None and dec > last:
            row["DEC"], row["REC"] = None, None
        eps.append(row)
    children = {str(e["CHILD"]) for e in eps}
    mis: list[dict[str, Any]] = []
    for m in missing:
        start, end = _date(m.get("MIS_START")), _date(m.get("MIS_END"))
        if (
            start is None
            or start > last
            or (end is not None and end < first)
            or str(m["CHILD"]) not in children
        ):
            continue
        row = dict(m)
        if end is not None and end > last:
            row["MIS_END"] = None
        mis.append(row)
    head = [dict(h) for h in header if str(h["CHILD"]) in children]
    return head, eps, mis


def write_table(stream: IO[str], table: str, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write one 903 table as CSV (dates dd/mm/yyyy), CSV-injection safe.  Returns the row count."""
    columns = TABLE_COLUMNS[table]
    writer = SafeCsvWriter(stream)
    writer.writerow(columns)
    n = 0
    for r in rows:
        writer.writerow(
            _date(r.get(c)) if c in ("DOB", "MC_DOB", "DECOM", "DEC", "MIS_START", "MIS_END") else r.get(c)
            for c in columns
        )
        n += 1
    return n


def year_label(collection_year: int) -> str:
    return f"{collection_year - 1}-{collection_year % 100:02d}"


def write_903(
    directory: Path,
    *,
    collection_year: int,
    header: Iterable[Mapping[str, Any]],
    episodes: Iterable[Mapping[str, Any]],
    missing: Iterable[Mapping[str, Any]],
    prefix: str = "903",
) -> dict[str, Path]:
    """Export one collection year's Header, Episodes and Missing CSV files from plain rows (see
    :func:`select_for_year`).  Cells are CSV-injection safe.  Returns {table: path}."""
    directory.mkdir(parents=True, exist_ok=True)
    head, eps, mis = select_for_year(collection_year, header, episodes, missing)
    eps.sort(key=lambda r: (str(r["CHILD"]), _date(r["DECOM"])))
    mis.sort(key=lambda r: (str(r["CHILD"]), _date(r["MIS_START"])))
    head.sort(key=lambda r: str(r["CHILD"]))
    paths = {}
    for table, rows in (("Header", head), ("Episodes", eps), ("Missing", mis)):
        path = directory / f"{prefix}_{year_label(collection_year)}_{table}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            write_table(fh, table, rows)
        paths[table] = path
    return paths
