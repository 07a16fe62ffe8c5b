"""Police extracts as CSV: missing-person reports, arrests with custody, stop and search, and
intelligence reports.  There is no national exchange format for these, so every column here is
**Lantern's own specification**; the concepts come from the standards:

* Missing-person risk grades (ST §1.2, College of Policing APP): a versioned code list VERY_LOW (alias
  NO_APPARENT_RISK), LOW, MEDIUM, HIGH, with every re-grading kept (``risk_regradings``).  In event
  details Lantern keeps the generator's vocabulary: ``high``, ``medium``, ``low``, ``no_apparent_risk``
  (VERY_LOW and NO_APPARENT_RISK both map to ``no_apparent_risk``).
* Missing reports are safeguarding data even when police hold them; arrests, custody, stop and search
  and intelligence are law-enforcement data (DPA 2018 Part 3, ST §6.1).
* Intelligence grading (Lantern's reading, not in ST): 5x5x5 = source evaluation A-E + intelligence
  assessment 1-5 (e.g. "B2"); 3x5x2 = source 1-3 + intelligence A-E (e.g. "2B") with a handling
  condition P or C.  Every intelligence row needs a 5x5x5-style handling code 1-5 (Lantern code list
  ``handling_code``) because the access policy shares an item with no handling code freely
  (``LAN-INTEL-HANDLING``).
* Victim-centred labels (ST §3.3): ``subject_role`` accepts "child at risk of criminal exploitation",
  "adult posing risk", "vulnerable adult", "victim", "witness" or "subject"; labels such as "gang
  member" are refused.

Every table starts with the nominal (person) columns; ``nominal_id`` is the record's source key and
``pnc_id`` its police id.  Date-times are ``dd/mm/yyyy HH:MM`` UK local time (or ISO 8601).
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
    ValueProblem,
    fmt_datetime,
    parse_csv,
    parse_datetime,
    register_rules,
    truncate_summary,
)

SOURCE = "Lantern (concepts: ST §1.2, §3.3, §6.1)"

register_rules(
    {
        "LAN-INTEL-HANDLING": "intelligence needs a handling code 1-5 (an item without one would be shared freely)",
        "LAN-GRADING": "5x5x5 grading is A-E then 1-5 (e.g. B2); 3x5x2 grading is 1-3 then A-E (e.g. 2B)",
        "LAN-CUSTODY": "custody details need the custody time",
        "LAN-REGRADING": "re-gradings are 'dd/mm/yyyy HH:MM=GRADE' separated by semicolons",
    }
)

SEX = {"M": "male", "F": "female", "U": "not known"}
ETHNICITY = dict.fromkeys(ETHNICITY_CODES, "DfE ethnicity code (ST §4.1)")
RISK = {
    "VERY_LOW": "very low risk (alias NO_APPARENT_RISK)",
    "LOW": "low risk",
    "MEDIUM": "medium risk",
    "HIGH": "high risk",
}
RISK_ALIASES = {"NO_APPARENT_RISK": "VERY_LOW", "NO APPARENT RISK": "VERY_LOW", "VERY LOW": "VERY_LOW"}
RISK_DETAIL = {"VERY_LOW": "no_apparent_risk", "LOW": "low", "MEDIUM": "medium", "HIGH": "high"}
MISSING_FROM = {"home": "home", "placement": "care placement", "other": "other place"}
OUTCOME = {
    "released under investigation": "",
    "no further action": "",
    "charged": "",
    "bailed": "",
    "community resolution": "",
    "cautioned": "",
}
DRUG_CLASS = {"A": "Class A", "B": "Class B", "C": "Class C"}
GROUNDS = {
    "drugs": "",
    "offensive weapons": "",
    "stolen property": "",
    "going equipped": "",
    "criminal damage": "",
    "other": "",
}
HANDLING = {str(i): f"handling code {i} (Lantern code list handling_code)" for i in range(1, 6)}
CONDITION = {
    "P": "lawful sharing permitted (3x5x2)",
    "C": "lawful sharing permitted subject to conditions (3x5x2)",
}
SUBJECT_ROLE = {
    "child at risk of criminal exploitation": "",
    "adult posing risk": "",
    "vulnerable adult": "",
    "victim": "",
    "witness": "",
    "subject": "",
}


def nominal_columns() -> tuple[Column, ...]:
    return (
        Column(
            "nominal_id",
            "id",
            True,
            "Police system's person (nominal) identifier: the record key",
            max_length=40,
        ),
        Column("pnc_id", "pnc", False, "Police National Computer ID (format checked only)"),
        Column("surname", "name", True, "Family name"),
        Column("forename", "name", True, "Given name"),
        Column("dob", "date", False, "Date of birth"),
        Column("sex", "code", False, "M, F or U", SEX, case_insensitive=True),
        Column("ethnicity", "code", False, "DfE ethnicity code (Lantern assumption)", ETHNICITY),
        Column("postcode", "postcode", False, "Home postcode"),
        Column("address", "text", False, "First line of the home address"),
        Column("town", "text", False, "Town of the home address"),
        Column("nhs_number", "nhs_number", False, "NHS number, if held"),
    )


def person_from(v: dict[str, Any], key: str = "nominal_id") -> PersonPart:
    return PersonPart(
        source_key=v[key],
        given_name=v["forename"],
        family_name=v["surname"],
        dob=v["dob"],
        sex=v["sex"] or "U",
        ethnicity=v["ethnicity"],
        postcode=v["postcode"] or "",
        address_line1=v["address"] or "",
        address_town=v["town"] or "",
        nhs_number=v["nhs_number"] or "",
        police_id=v.get("pnc_id") or "",
    )


def _iso(t: Any) -> str | None:
    return t.isoformat() if t is not None else None


# ---------------------------------------------------------------------------------- missing reports

MISSING_COLUMNS = nominal_columns() + (
    Column("report_id", "id", True, "Missing-person report (occurrence) reference", max_length=40),
    Column("reported_at", "datetime", True, "When the report was made"),
    Column("last_seen_at", "datetime", False, "When the person was last seen"),
    Column("found_at", "datetime", False, "When found or returned (blank while missing)"),
    Column("risk_grade", "code", True, "Current risk grade (ST §1.2)", RISK, "ST §1.2", case_insensitive=True, aliases=RISK_ALIASES),
    Column("risk_regradings", "text", False, "Earlier gradings: 'dd/mm/yyyy HH:MM=GRADE; …'", max_length=2000),
    Column("missing_from", "code", False, "home, placement or other", MISSING_FROM, case_insensitive=True),
    Column("reported_by", "text", False, "Who reported (role, not name)"),
    Column("found_location", "text", False, "Where found"),
    Column("found_out_of_area", "bool", False, "Found outside the force area (Y/N)"),
)  # fmt: skip


def _regradings(text: str) -> list[tuple[Any, str]]:
    out = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        when, sep, grade = part.partition("=")
        grade = grade.strip().upper()
        grade = RISK_ALIASES.get(grade, grade)
        if not sep or grade not in RISK:
            raise ValueProblem(
                "re-gradings as 'dd/mm/yyyy HH:MM=GRADE' separated by semicolons", "LAN-REGRADING"
            )
        at, _note = parse_datetime(when.strip())
        out.append((at, grade))
    return out


def _missing_checks(v: dict[str, Any], raw: dict[str, str]) -> list[tuple[str, str, str, str | None]]:
    out: list[tuple[str, str, str, str | None]] = []
    reported, seen, found = v["reported_at"], v["last_seen_at"], v["found_at"]
    if reported is not None and seen is not None and seen > reported:
        out.append(
            (
                "last_seen_at",
                raw["last_seen_at"],
                f"a time on or before reported_at ({fmt_datetime(reported)})",
                "LAN-ORDER",
            )
        )
    if reported is not None and found is not None and found < reported:
        out.append(
            (
                "found_at",
                raw["found_at"],
                f"a time on or after reported_at ({fmt_datetime(reported)})",
                "LAN-ORDER",
            )
        )
    if v["risk_regradings"]:
        try:
            _regradings(v["risk_regradings"])
        except ValueProblem as p:
            out.append(("risk_regradings", raw["risk_regradings"], p.expected, p.rule or "LAN-REGRADING"))
    return out


def _missing_build(
    v: dict[str, Any], raw: dict[str, str]
) -> tuple[str, PersonPart | None, tuple[EventPart, ...]]:
    person = person_from(v)
    history = [
        {"at": at.isoformat(), "grade": RISK_DETAIL[g]} for at, g in _regradings(v["risk_regradings"] or "")
    ]
    origin = v["missing_from"] or "home"
    found = v["found_at"]
    place = v["found_location"]
    if found is None:
        outcome = "not yet found"
    elif place:
        outcome = place if place.lower().startswith(("found", "returned")) else f"found ({place})"
    else:
        outcome = "found"
    details = {
        "risk_grade": RISK_DETAIL[v["risk_grade"]],
        "risk_history": history,
        "found_location": place or "",
        "found_out_of_area": bool(v["found_out_of_area"]),
        "returned_at": _iso(found),
        "last_seen_at": _iso(v["last_seen_at"]),
        "reported_by": v["reported_by"] or "",
        "missing_from": origin,
        "occurrence_ref": v["report_id"],
    }
    summary = truncate_summary(
        f"Reported missing from {MISSING_FROM[origin]}; {outcome} (risk {RISK_DETAIL[v['risk_grade']].replace('_', ' ')})"
    )
    event = EventPart(
        "missing_report", v["reported_at"], summary, details, "safeguarding", f"MPR:{v['report_id']}"
    )
    return person.source_key, person, (event,)


MISSING_TABLE = TableSpec(
    "MissingReports",
    MISSING_COLUMNS,
    ("report_id",),
    "One row per missing-person report",
    _missing_checks,
    _missing_build,
)

# ---------------------------------------------------------------------------------- arrests / custody

ARREST_COLUMNS = nominal_columns() + (
    Column("occurrence_ref", "id", True, "Occurrence (crime) reference", max_length=40),
    Column("arrested_at", "datetime", True, "Time of arrest"),
    Column("offence", "text", True, "Offence suspected"),
    Column("drug_class", "code", False, "Drug class involved (A/B/C)", DRUG_CLASS, case_insensitive=True),
    Column("weapon", "text", False, "Weapon involved, if any"),
    Column("location", "text", False, "Where arrested"),
    Column("outcome", "code", False, "Outcome", OUTCOME, case_insensitive=True),
    Column("co_arrested_ids", "id_list", False, "nominal_id of people arrested in the same occurrence (;-separated)", max_length=1000),
    Column("custody_suite", "text", False, "Custody suite"),
    Column("custody_at", "datetime", False, "Time booked into custody"),
    Column("hours_detained", "decimal", False, "Hours in custody", minimum=0, maximum=96),
    Column("appropriate_adult", "bool", False, "Appropriate adult called (children) (Y/N)"),
)  # fmt: skip


def _arrest_checks(v: dict[str, Any], raw: dict[str, str]) -> list[tuple[str, str, str, str | None]]:
    out: list[tuple[str, str, str, str | None]] = []
    if v["arrested_at"] is not None and v["custody_at"] is not None and v["custody_at"] < v["arrested_at"]:
        out.append(
            (
                "custody_at",
                raw["custody_at"],
                f"a time on or after arrested_at ({fmt_datetime(v['arrested_at'])})",
                "LAN-ORDER",
            )
        )
    if raw["custody_at"] == "" and (
        raw["custody_suite"] or raw["hours_detained"] or raw["appropriate_adult"]
    ):
        out.append(("custody_at", "", "the custody time when other custody details are given", "LAN-CUSTODY"))
    return out


def _arrest_build(
    v: dict[str, Any], raw: dict[str, str]
) -> tuple[str, PersonPart | None, tuple[EventPart, ...]]:
    person = person_from(v)
    ref = v["occurrence_ref"]
    where = f" in {v['location']}" if v["location"] else ""
    details = {
        "offence": v["offence"],
        "occurrence_ref": ref,
        "outcome": v["outcome"],
        "location": v["location"] or "",
        "drug_class": v["drug_class"],
        "weapon": v["weapon"] or "",
        "co_arrested_nominal_ids": list(v["co_arrested_ids"] or ()),
    }
    events = [
        EventPart("arrest", v["arrested_at"], truncate_summary(f"Arrested on suspicion of {v['offence']}{where}"), details,
                  "law_enforcement", f"ARR:{ref}:{person.source_key}")
    ]  # fmt: skip
    if v["custody_at"] is not None:
        aa = bool(v["appropriate_adult"])
        events.append(
            EventPart(
                "custody",
                v["custody_at"],
                "Detained in police custody" + ("; appropriate adult called" if aa else ""),
                {
                    "custody_suite": v["custody_suite"] or "",
                    "hours_detained": v["hours_detained"],
                    "appropriate_adult": aa,
                    "occurrence_ref": ref,
                },
                "law_enforcement",
                f"CUS:{ref}:{person.source_key}",
            )
        )
    return person.source_key, person, tuple(events)


ARREST_TABLE = TableSpec(
    "Arrests",
    ARREST_COLUMNS,
    ("occurrence_ref", "nominal_id"),
    "One row per person arrested (with custody)",
    _arrest_checks,
    _arrest_build,
)

# ---------------------------------------------------------------------------------- stop and search

STOP_COLUMNS = nominal_columns() + (
    Column("search_id", "id", True, "Stop and search record reference", max_length=40),
    Column("searched_at", "datetime", True, "Time of the search"),
    Column("grounds", "code", True, "Object of the search", GROUNDS, case_insensitive=True),
    Column("outcome", "text", True, "Outcome (what was found)"),
    Column("items_found", "bool", False, "Anything found (Y/N)"),
    Column("location", "text", False, "Where"),
)


def _stop_build(
    v: dict[str, Any], raw: dict[str, str]
) -> tuple[str, PersonPart | None, tuple[EventPart, ...]]:
    person = person_from(v)
    where = v["location"] or "an unrecorded place"
    details = {
        "grounds": v["grounds"],
        "outcome": v["outcome"],
        "location": v["location"] or "",
        "items_found": v["items_found"],
    }
    summary = truncate_summary(f"Stop and search in {where} ({v['grounds']}): {v['outcome']}")
    event = EventPart(
        "stop_search", v["searched_at"], summary, details, "law_enforcement", f"SS:{v['search_id']}"
    )
    return person.source_key, person, (event,)


STOP_TABLE = TableSpec(
    "StopSearch", STOP_COLUMNS, ("search_id",), "One row per person searched", None, _stop_build
)

# ---------------------------------------------------------------------------------- intelligence

INTEL_COLUMNS = nominal_columns() + (
    Column("intel_id", "id", True, "Intelligence report reference", max_length=40),
    Column("recorded_at", "datetime", True, "When the intelligence was recorded"),
    Column("grading", "text", True, "5x5x5 (e.g. B2) or 3x5x2 (e.g. 2B) grading", max_length=4),
    Column("handling_code", "code", True, "Handling code 1-5", HANDLING, rule_required="LAN-INTEL-HANDLING"),
    Column("handling_condition", "code", False, "3x5x2 handling: P or C", CONDITION, case_insensitive=True),
    Column("subject_role", "code", True, "The subject's role (victim-centred labels, ST §3.3)", SUBJECT_ROLE, case_insensitive=True),
    Column("text", "text", True, "The intelligence (sanitised text)", max_length=4000),
    Column("topic", "text", False, "Topic or offence"),
    Column("line_name", "text", False, "Deal line brand name"),
    Column("deal_line_number", "text", False, "Deal line phone number"),
    Column("ocg_key", "id", False, "Organised crime group reference"),
    Column("location", "text", False, "Place"),
)  # fmt: skip

_G555 = re.compile(r"[A-E][1-5]")
_G352 = re.compile(r"[1-3][A-E]")


def _intel_checks(v: dict[str, Any], raw: dict[str, str]) -> list[tuple[str, str, str, str | None]]:
    out: list[tuple[str, str, str, str | None]] = []
    grading = (v["grading"] or "").upper()
    if grading and not (_G555.fullmatch(grading) or _G352.fullmatch(grading)):
        out.append(
            (
                "grading",
                raw["grading"],
                "a 5x5x5 grading such as B2 or a 3x5x2 grading such as 2B",
                "LAN-GRADING",
            )
        )
    elif _G555.fullmatch(grading) and v["handling_condition"]:
        out.append(
            (
                "handling_condition",
                raw["handling_condition"],
                "blank for a 5x5x5 grading (P/C belong to 3x5x2)",
                "LAN-GRADING",
            )
        )
    return out


def _intel_build(
    v: dict[str, Any], raw: dict[str, str]
) -> tuple[str, PersonPart | None, tuple[EventPart, ...]]:
    person = person_from(v)
    grading = v["grading"].upper()
    scheme = "5x5x5" if _G555.fullmatch(grading) else "3x5x2"
    details = {
        "grading": grading,
        "grading_scheme": scheme,
        "source_evaluation": grading[0],
        "intelligence_assessment": grading[1],
        "handling_condition": v["handling_condition"],
        "subject_role": v["subject_role"],
        "topic": v["topic"] or "",
        "line_name": v["line_name"] or "",
        "deal_line_number": v["deal_line_number"] or "",
        "ocg_key": v["ocg_key"] or "",
        "location": v["location"] or "",
        "text": v["text"],
    }
    event = EventPart(
        "intelligence", v["recorded_at"], truncate_summary(v["text"]), details, "law_enforcement",
        f"INT:{v['intel_id']}:{person.source_key}", int(v["handling_code"]),
    )  # fmt: skip
    return person.source_key, person, (event,)


INTEL_TABLE = TableSpec(
    "Intelligence",
    INTEL_COLUMNS,
    ("intel_id", "nominal_id"),
    "One row per subject of an intelligence report",
    _intel_checks,
    _intel_build,
)

TABLES = (MISSING_TABLE, ARREST_TABLE, STOP_TABLE, INTEL_TABLE)

FORMAT = FormatSpec(
    code="police",
    label="Police extracts: missing reports, arrests and custody, stop and search, intelligence (CSV)",
    kind="csv",
    tables=TABLES,
    source=SOURCE,
    source_system="POLICE-CSV",
    description="Four CSV files; the table is recognised from the header row.",
)


def parse(
    stream: IO[bytes], *, filename: str, table: str | None = None, encoding: str = "utf-8"
) -> Iterator[Result]:
    return parse_csv(stream, filename=filename, tables=TABLES, table=table, encoding=encoding)


class PoliceValidator(FileValidator):
    def key_field(self, result: ParsedRow) -> str:
        return {
            "MissingReports": "report_id",
            "Arrests": "occurrence_ref",
            "StopSearch": "search_id",
            "Intelligence": "intel_id",
        }[result.table]

    def key_label(self, result: ParsedRow) -> str:
        return {"MissingReports": "report_id", "Arrests": "occurrence_ref and nominal_id", "StopSearch": "search_id",
                "Intelligence": "intel_id and nominal_id"}[result.table]  # fmt: skip


def validate_file(results: Iterator[Result]) -> Iterator[Result]:
    return PoliceValidator().check(results)
