"""School census exclusions as a CSV file (one file per school, one row per suspension or permanent
exclusion).

Sources (ST = /work/shared/domain/standards.md §4.3, LIIA ``school_census_schema_2024.yml`` modules
``termlyexclusionsonroll`` / ``termlyexclusionsoffroll``): the exclusion fields ``startdate``,
``sessions``, ``category`` (PERM permanent, SUSP suspension), ``reason`` (codes PP, PA, VP, VA, OW, BU,
RA, LG, DS, SM, DA, DM, TH, DB, MT, PH), ``reviewdate``, ``reviewresult`` (A-K), ``reinstatementdate``;
the UPN is the join key with 903 and CIN data.  Reason *meanings* are not in the school census file:
ST marks OW, DA, DB, PP and PA as "~ from own knowledge"; the others here are Lantern's reading too.

Lantern's own specification (not in ST): the census is an XML return, but schools and LAs exchange the
exclusions module as CSV, so Lantern fixes the CSV shape: the pupil columns ``laestab``, ``upn``,
``adno``, ``surname``, ``forename``, ``dob``, ``gender`` (M/F/U), ``ethnicity``, ``postcode`` plus the §4.3 fields
with their census names; dates are dd/mm/yyyy; ``sessions`` (half-day sessions) is required for a
suspension (``LAN-EXCL-SESSIONS``) and optional for a permanent exclusion; review and reinstatement
dates are not before the start date (``LAN-ORDER``); the key is (upn, category, startdate).

Each row is a person record (source key ``adno``, the school's admission number, or the UPN when
``adno`` is blank) and one event: ``school_suspension`` (SUSP) or ``permanent_exclusion`` (PERM) at
local midnight of ``startdate``; safeguarding purpose; no handling code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from .base import (
    ETHNICITY_CODES,
    Column,
    EventPart,
    FileValidator,
    FormatSpec,
    ParsedRow,
    PersonPart,
    Result,
    TableSpec,
    fmt_date,
    local_midnight,
    parse_csv,
    register_rules,
)

SOURCE = "ST §4.3 (school census exclusions, LIIA 2024 schema)"

register_rules(
    {
        "LAN-EXCL-SESSIONS": "a suspension needs the number of sessions",
        "LAN-LAESTAB": "laestab is the 3-digit LA number and 4-digit establishment number",
    }
)

CATEGORY = {"PERM": "permanent exclusion", "SUSP": "suspension"}
REASON = {
    "PP": "physical assault against a pupil",
    "PA": "physical assault against an adult",
    "VP": "verbal abuse or threatening behaviour against a pupil",
    "VA": "verbal abuse or threatening behaviour against an adult",
    "OW": "use or threat of use of an offensive weapon or prohibited item",
    "BU": "bullying",
    "RA": "racist abuse",
    "LG": "abuse against sexual orientation or gender identity",
    "DS": "abuse relating to disability",
    "SM": "sexual misconduct",
    "DA": "drug and alcohol related",
    "DM": "damage",
    "TH": "theft",
    "DB": "persistent disruptive behaviour",
    "MT": "inappropriate use of social media or online technology",
    "PH": "wilful and repeated transgression of protective measures for public health",
}
REASON_BY_LABEL = {label: code for code, label in REASON.items()}
REVIEW_RESULT = {c: "(meaning not in ST)" for c in "ABCDEFGHIJK"}
ETHNICITY = dict.fromkeys(ETHNICITY_CODES, "DfE ethnicity code")
GENDER = {"M": "male", "F": "female", "U": "not known (Lantern)"}

COLUMNS = (
    Column(
        "laestab", "id", True, "LA number and establishment number of the school (e.g. 8554001)", max_length=7
    ),
    Column("upn", "upn", True, "Unique pupil number (the join key with 903 and CIN data)", source=SOURCE),
    Column("adno", "id", False, "The school's admission number for the pupil (record key)", max_length=20),
    Column("surname", "name", True, "Pupil's legal surname"),
    Column("forename", "name", True, "Pupil's legal forename"),
    Column("dob", "date", True, "Date of birth"),
    Column("gender", "code", True, "Gender", GENDER, case_insensitive=True),
    Column("ethnicity", "code", False, "Ethnicity (DfE codes, ST §4.1)", ETHNICITY),
    Column("postcode", "postcode", False, "Home postcode"),
    Column("category", "code", True, "PERM or SUSP", CATEGORY, SOURCE),
    Column("reason", "code", True, "Reason for the exclusion (meanings ~)", REASON, SOURCE),
    Column("startdate", "date", True, "First day of the exclusion", source=SOURCE),
    Column(
        "sessions",
        "int",
        False,
        "Half-day sessions (required for SUSP)",
        source=SOURCE,
        minimum=1,
        maximum=999,
    ),
    Column("reviewdate", "date", False, "Date of the governors' review", source=SOURCE),
    Column("reviewresult", "code", False, "Outcome of the review (A-K)", REVIEW_RESULT, SOURCE),
    Column("reinstatementdate", "date", False, "Date reinstated", source=SOURCE),
)


def _checks(v: dict[str, Any], raw: dict[str, str]) -> list[tuple[str, str, str, str | None]]:
    out: list[tuple[str, str, str, str | None]] = []
    if v["laestab"] is not None and not re.fullmatch(r"\d{7}", v["laestab"]):
        out.append(
            ("laestab", raw["laestab"], "7 digits (LA number then establishment number)", "LAN-LAESTAB")
        )
    if v["category"] == "SUSP" and raw["sessions"] == "":
        out.append(("sessions", "", "the number of half-day sessions for a suspension", "LAN-EXCL-SESSIONS"))
    start = v["startdate"]
    for name in ("reviewdate", "reinstatementdate"):
        if start is not None and v[name] is not None and v[name] < start:
            out.append((name, raw[name], f"a date on or after startdate ({fmt_date(start)})", "LAN-ORDER"))
    return out


def _build(v: dict[str, Any], raw: dict[str, str]) -> tuple[str, PersonPart | None, tuple[EventPart, ...]]:
    key = v["adno"] or v["upn"]
    person = PersonPart(
        source_key=key,
        given_name=v["forename"],
        family_name=v["surname"],
        dob=v["dob"],
        sex=v["gender"],
        ethnicity=v["ethnicity"],
        postcode=v["postcode"] or "",
        upn=v["upn"],
    )
    reason = REASON[v["reason"]]
    start = v["startdate"]
    sessions = v["sessions"]
    details: dict[str, Any] = {
        "category": v["category"],
        "reason": reason,
        "reason_code": v["reason"],
        "sessions": sessions,
        "review_date": v["reviewdate"].isoformat() if v["reviewdate"] else None,
        "review_result": v["reviewresult"],
        "reinstatement_date": v["reinstatementdate"].isoformat() if v["reinstatementdate"] else None,
        "laestab": v["laestab"],
    }
    if v["category"] == "SUSP":
        days = sessions / 2
        details["days"] = int(days) if days == int(days) else days
        summary = f"Suspended for {days:g} day{'' if days == 1 else 's'}: {reason}"
        item = "school_suspension"
    else:
        summary = f"Permanently excluded: {reason}"
        item = "permanent_exclusion"
    event = EventPart(
        item,
        local_midnight(start),
        summary,
        details,
        "safeguarding",
        f"EXC:{v['upn']}:{v['category']}:{start.isoformat()}",
    )
    return key, person, (event,)


TABLE = TableSpec(
    "Exclusions",
    COLUMNS,
    ("upn", "category", "startdate"),
    "One row per suspension or permanent exclusion",
    _checks,
    _build,
)

FORMAT = FormatSpec(
    code="school_exclusions",
    label="School census exclusions (CSV)",
    kind="csv",
    tables=(TABLE,),
    source=SOURCE + "; CSV shape: Lantern",
    source_system="SCHOOL-CENSUS",
    description="One file per school (the uploading school is the controller).",
)


def parse(stream: IO[bytes], *, filename: str, encoding: str = "utf-8") -> Iterator[Result]:
    return parse_csv(stream, filename=filename, tables=(TABLE,), encoding=encoding)


class ExclusionsValidator(FileValidator):
    def key_field(self, result: ParsedRow) -> str:
        return "upn"

    def key_label(self, result: ParsedRow) -> str:
        return "upn, category and startdate"


def validate_file(results: Iterator[Result]) -> Iterator[Result]:
    return ExclusionsValidator().check(results)
