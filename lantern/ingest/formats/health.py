"""Emergency department attendances as CSV (one row per attendance).

**Lantern's own specification.**  The national Emergency Care Data Set (ECDS) codes complaints and
injuries in SNOMED CT and is not covered by /work/shared/domain/standards.md, so this is a simplified
extract a trust's ED system can produce: the patient (``local_patient_id`` = the record's source key,
NHS number checked with the modulus-11 check digit), the arrival time (UK local), arrival mode, the
presenting complaint as text, an optional ``injury_type`` code for the injuries that matter for
exploitation (stab wound, assault, overdose, self-harm …; Home Office county lines indicator "suspicion
of physical assault / unexplained injuries", ST §2.1) and the outcome.  Ethnicity uses the DfE codes
(Lantern assumption; ECDS uses the NHS ethnic category).

Each row becomes a person record and one ``ae_attendance`` event at ``arrival_at``; safeguarding
purpose; no handling code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from .base import (
    Column,
    EventPart,
    FileValidator,
    FormatSpec,
    ParsedRow,
    PersonPart,
    Result,
    TableSpec,
    parse_csv,
    truncate_summary,
)
from .police import ETHNICITY, SEX

SOURCE = "Lantern (ECDS-like; concepts ST §2.1)"

ARRIVAL_MODE = {"ambulance": "", "walk-in": "", "police": "", "other": ""}
INJURY_TYPE = {
    "stab_wound": "penetrating injury from a blade",
    "gunshot": "gunshot wound",
    "assault": "injury from an assault",
    "overdose": "overdose or poisoning",
    "self_harm": "self-harm",
    "intoxication": "alcohol or drug intoxication",
    "other_injury": "other injury",
    "not_injury": "not an injury",
}
OUTCOME = {
    "discharged": "",
    "admitted": "",
    "referred to GP": "",
    "left before being seen": "",
    "transferred": "",
}

COLUMNS = (
    Column("attendance_id", "id", True, "ED attendance identifier", max_length=40),
    Column("local_patient_id", "id", True, "Hospital patient number: the record key", max_length=40),
    Column("nhs_number", "nhs_number", False, "NHS number (10 digits, modulus-11 check)"),
    Column("surname", "name", True, "Family name"),
    Column("forename", "name", True, "Given name"),
    Column("dob", "date", False, "Date of birth"),
    Column("sex", "code", False, "M, F or U", SEX, case_insensitive=True),
    Column("ethnicity", "code", False, "DfE ethnicity code (Lantern assumption)", ETHNICITY),
    Column("postcode", "postcode", False, "Home postcode"),
    Column("address", "text", False, "First line of the home address"),
    Column("town", "text", False, "Town"),
    Column("arrival_at", "datetime", True, "Arrival time"),
    Column("arrival_mode", "code", False, "How the patient arrived", ARRIVAL_MODE, case_insensitive=True),
    Column("presenting_complaint", "text", True, "Presenting complaint (text)"),
    Column("injury_type", "code", False, "Injury type, when relevant", INJURY_TYPE, case_insensitive=True),
    Column("outcome", "code", False, "Attendance outcome", OUTCOME, case_insensitive=True),
)


def injury_type_for(complaint: str) -> str:
    """The injury type a complaint implies (used by the synthetic writer; Lantern's mapping)."""
    c = complaint.lower()
    if "stab" in c:
        return "stab_wound"
    if "gunshot" in c:
        return "gunshot"
    if "assault" in c:
        return "assault"
    if "overdose" in c:
        return "overdose"
    if "self-harm" in c:
        return "self_harm"
    if "intoxication" in c:
        return "intoxication"
    if any(w in c for w in ("injury", "laceration", "burn", "fall", "fracture")):
        return "other_injury"
    return "not_injury"


def _build(v: dict[str, Any], raw: dict[str, str]) -> tuple[str, PersonPart | None, tuple[EventPart, ...]]:
    person = PersonPart(
        source_key=v["local_patient_id"],
        given_name=v["forename"],
        family_name=v["surname"],
        dob=v["dob"],
        sex=v["sex"] or "U",
        ethnicity=v["ethnicity"],
        postcode=v["postcode"] or "",
        address_line1=v["address"] or "",
        address_town=v["town"] or "",
        nhs_number=v["nhs_number"] or "",
    )
    details = {
        "presenting_complaint": v["presenting_complaint"],
        "arrival_mode": v["arrival_mode"],
        "outcome": v["outcome"],
        "injury_type": v["injury_type"],
        "attendance_id": v["attendance_id"],
    }
    summary = truncate_summary(f"Attended the Emergency Department: {v['presenting_complaint']}")
    event = EventPart(
        "ae_attendance", v["arrival_at"], summary, details, "safeguarding", f"ED:{v['attendance_id']}"
    )
    return person.source_key, person, (event,)


TABLE = TableSpec(
    "Attendances", COLUMNS, ("attendance_id",), "One row per emergency department attendance", None, _build
)

FORMAT = FormatSpec(
    code="health",
    label="Emergency department attendances (CSV)",
    kind="csv",
    tables=(TABLE,),
    source=SOURCE,
    source_system="ED-CSV",
)


def parse(stream: IO[bytes], *, filename: str, encoding: str = "utf-8") -> Iterator[Result]:
    return parse_csv(stream, filename=filename, tables=(TABLE,), encoding=encoding)


class AttendanceValidator(FileValidator):
    def key_field(self, result: ParsedRow) -> str:
        return "attendance_id"

    def key_label(self, result: ParsedRow) -> str:
        return "attendance_id"


def validate_file(results: Iterator[Result]) -> Iterator[Result]:
    return AttendanceValidator().check(results)
