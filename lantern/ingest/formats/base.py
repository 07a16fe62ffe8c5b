"""The shared shape of every Lantern import format: results, errors, column metadata, the streaming CSV
engine, value converters, the within-file duplicate checks and the CSV-injection-safe writers.

Pure Python (no Django).  Every format module (``ssda903``, ``cin_census``, ``school_exclusions``,
``police``, ``health``, ``generic``) exposes ``FORMAT`` (a :class:`FormatSpec`) and
``parse(stream, *, filename, ...)`` returning an iterator of :class:`ParsedRow` or :class:`RowRejected`.

Conventions (documented in docs/data-formats.md):

* **Row numbers** are 1-based *data* row numbers: the header is not counted, so ``row 1`` is the first
  record after the header (a spreadsheet shows it on line 2).  Blank records are skipped but still
  counted, so numbers stay stable when a file has blank lines.  For XML formats the row is the 1-based
  position of the repeating element (``Child`` in the CIN census).  ``row 0`` means the file or its
  header.
* **File-level problems** (empty file, wrong delimiter, missing/extra/duplicated columns, bytes that
  are not UTF-8 in the first 64 KiB, a spreadsheet saved in its native format) raise
  :class:`FileRejected` from ``parse(...)`` itself, before any row is produced.  ``parse`` is an
  ordinary function that checks the header eagerly and then returns a generator.
* **Streaming.** Readers never hold more than one record (CSV) or one repeating element (XML) in
  memory; the CSV module's field size limit (128 KiB) bounds a single cell.
* **Encoding.** UTF-8 by default, with or without a byte-order mark.  A file whose first 64 KiB is not
  UTF-8 is refused with a hint (most often Windows-1252 from Excel's "CSV" rather than "CSV UTF-8");
  callers may pass ``encoding="cp1252"`` explicitly.  Undecodable bytes further into the file reject
  only the affected row.
* **Whitespace** around every cell and header name is removed; header names match case-insensitively.
* **Dates** in ``dd/mm/yyyy`` columns: ``5/1/2024`` is accepted; an ISO date or date-time written by a
  spreadsheet (``2024-01-05`` or ``2024-01-05 00:00:00``) and ``05/01/2024 00:00`` are unambiguous, so
  they are accepted and the row carries a normalisation note; spreadsheet serial numbers (``44562``)
  are refused because they depend on the workbook's 1900/1904 date system, and two-digit years are
  refused because the century is ambiguous.
* **Times** are Europe/London wall-clock times, returned tz-aware.  A date-only source gives local
  midnight at the start of that day.  In the repeated October hour the first (BST) occurrence is taken;
  an ISO 8601 value with an offset is exact.
* **CSV injection.** Readers keep a cell that starts with ``= + - @`` as plain text in free-text
  columns and refuse it in names, identifiers, codes, dates and numbers (rule ``LAN-FORMULA``).  Every
  writer passes cells through :func:`neutralise_cell`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any
from zoneinfo import ZoneInfo

from lantern.core.codelists import codelist

LONDON = ZoneInfo("Europe/London")
#: The 20 DfE ethnicity codes (SSDA903 ETHNIC / CIN Ethnicity, ST §4.1-4.2).
# Code lists come from Lantern's one versioned source (a plain JSON reader, no Django).
ETHNICITY_CODES = tuple(codelist("ethnicity").codes)
SNIFF_BYTES = 64 * 1024
SUMMARY_MAX = 300  # TimelineItem.summary max_length

# ------------------------------------------------------------------------------------------------
# Rules
# ------------------------------------------------------------------------------------------------

#: Short text of every named rule, by code.  DfE rule codes are plain numbers; Lantern's own start
#: with ``LAN-``.  Format modules add theirs with :func:`register_rules`.
RULE_TEXT: dict[str, str] = {
    "LAN-FORMULA": "a name, identifier, code, date or number cannot start with a spreadsheet formula character",
    "LAN-DUP-ROW": "duplicate row",
    "LAN-DUP-KEY": "duplicate key",
    "LAN-ORDER": "dates or times out of order (an end before its start)",
    "LAN-ENCODING": "text must be valid in the file's encoding",
    "LAN-CELLS": "a record must have one cell per header column",
    "LAN-CSV": "malformed CSV record",
}


def register_rules(rules: Mapping[str, str]) -> None:
    RULE_TEXT.update(rules)


# ------------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------------


def _show(value: str, limit: int = 60) -> str:
    text = value if len(value) <= limit else value[: limit - 1] + "…"
    return repr(text) if text else "(blank)"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field.  ``row`` follows the module convention (header not counted; 0 =
    file or header).  ``rule`` names a DfE rule ("567") or a Lantern rule ("LAN-DUP-KEY"), or is
    None for a plain type/required/code check.  ``str(error)`` is the full message."""

    row: int
    field: str
    value: str
    expected: str
    rule: str | None = None
    file: str = ""

    @property
    def rule_text(self) -> str:
        return RULE_TEXT.get(self.rule or "", "")

    @property
    def message(self) -> str:
        if self.row:
            where = f"row {self.row}"
        elif self.field in ("(file)", "(xml)", "(encoding)"):
            where = "file"
        else:
            where = "header"
        rule = ""
        if self.rule:
            rule = f"rule {self.rule}: {self.rule_text}; " if self.rule_text else f"rule {self.rule}; "
        return f"{self.file or '(file)'}, {where}, field {self.field}, value {_show(self.value)}: {rule}expected {self.expected}"

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "value": self.value,
            "expected": self.expected,
            "rule": self.rule,
            "message": self.message,
        }


class FileRejected(Exception):  # noqa: N818 - the name is the public contract
    """The whole file is refused; ``errors`` says why (row 0 = file/header)."""

    def __init__(self, errors: Sequence[FieldError]):
        self.errors = list(errors)
        super().__init__("; ".join(e.message for e in self.errors))


@dataclass(frozen=True, slots=True)
class PersonPart:
    """An agency's record of a person, agency-neutral (maps onto people.services.RecordIn)."""

    source_key: str
    given_name: str = ""
    family_name: str = ""
    dob: dt.date | None = None
    sex: str = "U"  # M / F / U (Lantern code list "sex")
    gender: str = ""
    ethnicity: str | None = None  # one of the 20 DfE codes, or None
    postcode: str = ""
    address_line1: str = ""
    address_town: str = ""
    upn: str = ""
    nhs_number: str = ""
    la_child_id: str = ""
    police_id: str = ""


@dataclass(frozen=True, slots=True)
class EventPart:
    """A timeline event (maps onto people.services.ItemIn).  ``event_key`` is the event's natural
    key within its source (stable across re-exports) for idempotent re-import."""

    item_type: str
    occurred_at: dt.datetime
    summary: str
    details: dict[str, Any]
    purpose: str  # "safeguarding" | "law_enforcement"
    event_key: str
    handling_code: int | None = None  # police intelligence only, 1-5


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """A valid row: normalised, typed values ready for import.  ``record_key`` is the source key of
    the person record the row's events belong to (``person.source_key`` when ``person`` is given).
    ``key`` is the row's natural key within the file (duplicate detection).  ``notes`` record
    normalisations (e.g. a spreadsheet date read as dd/mm/yyyy)."""

    row: int
    file: str
    table: str
    record_key: str
    key: str
    person: PersonPart | None
    events: tuple[EventPart, ...]
    notes: tuple[str, ...] = ()
    raw: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def source_reference(self) -> str:
        return f"{self.file}#{self.table}:{self.row}"


@dataclass(frozen=True, slots=True)
class RowRejected:
    """A refused row: its number, every error found (at least one) and the original cells."""

    row: int
    file: str
    table: str
    errors: tuple[FieldError, ...]
    raw: Mapping[str, str] = field(default_factory=dict)

    @property
    def messages(self) -> list[str]:
        return [e.message for e in self.errors]


Result = ParsedRow | RowRejected

# ------------------------------------------------------------------------------------------------
# Column metadata
# ------------------------------------------------------------------------------------------------

KINDS = (
    "text",  # free text: formula-like values are kept as text
    "name",  # a person's name
    "id",  # an identifier: letters, digits and / _ . - (first character a letter or digit)
    "code",  # one of `codes`
    "date",  # dd/mm/yyyy (or yyyy-mm-dd for XML xs:date)
    "datetime",  # dd/mm/yyyy HH:MM[:SS] local, or ISO 8601
    "int",
    "decimal",
    "bool",  # Y/N
    "upn",
    "nhs_number",
    "postcode",
    "pnc",
    "id_list",  # semicolon-separated identifiers
    "when",  # a datetime, or a date alone (local midnight)
)


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: str
    required: bool
    description: str
    codes: Mapping[str, str] | None = None  # code -> meaning
    source: str = "Lantern"  # where the column and its codes are specified
    max_length: int = 200
    case_insensitive: bool = False  # codes: accept any case, normalise to the listed spelling
    aliases: Mapping[str, str] | None = None  # codes: extra accepted spellings -> listed code
    minimum: float | None = None
    maximum: float | None = None
    rule_invalid: str | None = None  # rule code reported when the value is invalid
    rule_required: str | None = None  # rule code reported when a required value is blank
    date_style: str = "uk"  # "uk" dd/mm/yyyy or "iso" yyyy-mm-dd (xs:date)
    partial_postcode: bool = False  # postcode: an outward code alone is allowed


@dataclass(frozen=True)
class TableSpec:
    """One table (one CSV file, or one XML element type).  ``key`` names the columns that identify a
    row within a file.  ``row_checks(values, row)`` returns cross-field errors as
    (field, value, expected, rule) tuples; ``build(values, ctx)`` returns (record_key, person, events,
    notes)."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str = ""
    row_checks: Callable[[dict[str, Any], dict[str, str]], list[tuple[str, str, str, str | None]]] | None = (
        None
    )
    build: (
        Callable[[dict[str, Any], dict[str, str]], tuple[str, PersonPart | None, tuple[EventPart, ...]]]
        | None
    ) = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@dataclass(frozen=True)
class FormatSpec:
    code: str
    label: str
    kind: str  # "csv" | "xml"
    tables: tuple[TableSpec, ...]
    source: str  # where the format is specified
    source_system: str  # suggested SourceRecord.source_system for records from this format
    description: str = ""

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.tables[0].columns

    def table(self, name: str) -> TableSpec:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)


# ------------------------------------------------------------------------------------------------
# Value converters
# ------------------------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_A = re.ASCII
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?", _A)
_UK_DATE_2Y = re.compile(r"\d{1,2}/\d{1,2}/\d{2}", _A)
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?", _A
)
_SERIAL = re.compile(r"\d{4,6}(?:\.\d+)?", _A)
_NAME = re.compile(r"[^\W\d_](?:[^\W\d_]|[ '’.\-])*")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.\-]*")
_POSTCODE = re.compile(r"([A-Z]{1,2}\d[A-Z\d]?) ?(\d[A-Z]{2})", _A)
_OUTWARD = re.compile(r"[A-Z]{1,2}\d[A-Z\d]?", _A)
_PNC = re.compile(r"(\d{2})/(\d{1,7})([A-Z])", _A)
_DECIMAL = re.compile(r"\d+(?:\.\d+)?", _A)
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
MIN_YEAR, MAX_YEAR = 1900, 2100

DATE_EXPECTED = "a date as dd/mm/yyyy"
ISO_DATE_EXPECTED = "a date as yyyy-mm-dd (xs:date)"
DATETIME_EXPECTED = "a date and time as dd/mm/yyyy HH:MM (UK local time) or ISO 8601"


class ValueProblem(Exception):  # noqa: N818
    """Raised by a converter: ``expected`` describes a valid value; ``rule`` optionally names a rule."""

    def __init__(self, expected: str, rule: str | None = None):
        super().__init__(expected)
        self.expected = expected
        self.rule = rule


def is_formula_like(value: str) -> bool:
    return bool(value) and value[0] in FORMULA_START


def fmt_date(d: dt.date | None) -> str:
    return "" if d is None else f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def fmt_datetime(t: dt.datetime | None) -> str:
    if t is None:
        return ""
    local = t.astimezone(LONDON) if t.tzinfo is not None else t
    return f"{fmt_date(local.date())} {local.hour:02d}:{local.minute:02d}"


def _serial_hint(
    value: str, expected: str = DATE_EXPECTED, advice: str = "re-export the column formatted as dd/mm/yyyy"
) -> str:
    whole = int(float(value))
    hint = ""
    if 1 <= whole <= 2958465:
        as_1900 = dt.date(1899, 12, 30) + dt.timedelta(days=whole)
        hint = f" (it would be {fmt_date(as_1900)} in Excel's 1900 date system, 4 years later in the 1904 system)"
    return f"{expected}; {value!r} looks like a spreadsheet date serial number{hint}: {advice}"


def _make_date(y: int, m: int, d: int, expected: str) -> dt.date:
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise ValueProblem(f"{expected} with a year between {MIN_YEAR} and {MAX_YEAR}")
    try:
        return dt.date(y, m, d)
    except ValueError:
        if m > 12 and d <= 12:
            raise ValueProblem(
                f"{expected}; month {m} does not exist (is it month/day/year order?)"
            ) from None
        raise ValueProblem(f"{expected} that exists in the calendar") from None


def parse_uk_date(value: str) -> tuple[dt.date, str | None]:
    """dd/mm/yyyy -> (date, note).  See the module docstring for what is accepted with a note."""
    m = _UK_DATE.fullmatch(value)
    if m:
        day, month, year, hh, mm, ss = m.groups()
        d = _make_date(int(year), int(month), int(day), DATE_EXPECTED)
        if hh is None:
            return d, None
        if int(hh) == 0 and int(mm) == 0 and (ss is None or int(ss) == 0):
            return d, f"{value!r} read as {fmt_date(d)} (a midnight time was dropped)"
        raise ValueProblem(f"{DATE_EXPECTED} without a time")
    m = _ISO_DATE.fullmatch(value)
    if m:
        year, month, day, hh, mm, ss, tz = m.groups()
        d = _make_date(int(year), int(month), int(day), DATE_EXPECTED)
        if tz is None and (hh is None or (int(hh) == 0 and int(mm) == 0 and (ss is None or int(ss) == 0))):
            return d, f"{value!r} read as {fmt_date(d)} (an ISO date written by a spreadsheet)"
        raise ValueProblem(f"{DATE_EXPECTED} without a time")
    if _SERIAL.fullmatch(value):
        raise ValueProblem(_serial_hint(value))
    if _UK_DATE_2Y.fullmatch(value):
        raise ValueProblem(f"{DATE_EXPECTED} with a four-digit year (a two-digit year is ambiguous)")
    raise ValueProblem(DATE_EXPECTED)


def parse_iso_date(value: str) -> tuple[dt.date, str | None]:
    """xs:date (yyyy-mm-dd, optionally with a zone suffix, which is ignored for a calendar date)."""
    m = _ISO_DATE.fullmatch(value)
    if m and m.group(4) is None:
        year, month, day = m.group(1, 2, 3)
        return _make_date(int(year), int(month), int(day), ISO_DATE_EXPECTED), None
    if _SERIAL.fullmatch(value):
        raise ValueProblem(_serial_hint(value, ISO_DATE_EXPECTED, "the file must hold dates as yyyy-mm-dd"))
    if _UK_DATE.fullmatch(value):
        raise ValueProblem(f"{ISO_DATE_EXPECTED}, not dd/mm/yyyy")
    raise ValueProblem(ISO_DATE_EXPECTED)


def parse_datetime(value: str) -> tuple[dt.datetime, str | None]:
    m = _UK_DATE.fullmatch(value)
    if m:
        day, month, year, hh, mm, ss = m.groups()
        if hh is None:
            raise ValueProblem(f"{DATETIME_EXPECTED} (the time is missing)")
        d = _make_date(int(year), int(month), int(day), DATETIME_EXPECTED)
        return _local(d, int(hh), int(mm), int(ss or 0)), None
    m = _ISO_DATE.fullmatch(value)
    if m:
        year, month, day, hh, mm, ss, tz = m.groups()
        if hh is None:
            raise ValueProblem(f"{DATETIME_EXPECTED} (the time is missing)")
        d = _make_date(int(year), int(month), int(day), DATETIME_EXPECTED)
        if tz is None:
            return _local(d, int(hh), int(mm), int(ss or 0)), f"{value!r} read as UK local time"
        try:
            parsed = dt.datetime.fromisoformat(value.replace(" ", "T").replace("Z", "+00:00"))
        except ValueError:
            raise ValueProblem(DATETIME_EXPECTED) from None
        return parsed.astimezone(LONDON), None
    if _SERIAL.fullmatch(value):
        raise ValueProblem(
            f"{DATETIME_EXPECTED}; {value!r} looks like a spreadsheet serial number: re-export the column as text"
        )
    raise ValueProblem(DATETIME_EXPECTED)


def _local(d: dt.date, hh: int, mm: int, ss: int) -> dt.datetime:
    if hh > 23 or mm > 59 or ss > 59:
        raise ValueProblem(f"{DATETIME_EXPECTED} with a real time of day")
    return dt.datetime(d.year, d.month, d.day, hh, mm, ss, tzinfo=LONDON)


def local_midnight(d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day, tzinfo=LONDON)


def nhs_check_digit(first_nine: str) -> int | None:
    """Modulus 11 (weights 10..2); None when the number can never be issued."""
    total = sum(int(ch) * w for ch, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return 0 if check == 11 else None if check == 10 else check


def normalise_nhs_number(value: str) -> str:
    digits = value.replace(" ", "").replace("-", "")
    if len(digits) != 10 or not digits.isdigit():
        raise ValueProblem("a 10-digit NHS number")
    if nhs_check_digit(digits[:9]) != int(digits[9]):
        raise ValueProblem("a 10-digit NHS number with a valid modulus-11 check digit")
    return digits


def upn_check_letter(body: str) -> str:
    """Check letter over characters 2-13 (weights 2-13, mod 23).  Lantern's understanding of the DfE
    algorithm, the same as lantern/synthetic/identifiers.py; a temporary UPN (13th character a letter)
    is not checked."""
    return UPN_LETTERS[sum(int(ch) * w for w, ch in enumerate(body, start=2)) % 23]


def normalise_upn(value: str) -> str:
    upn = value.upper()
    if len(upn) != 13 or upn[0] not in UPN_LETTERS or not upn[1:12].isdigit() or not upn[12].isalnum():
        raise ValueProblem("a 13-character UPN: a check letter, 11 digits, then a digit or letter")
    if upn[12].isdigit() and upn_check_letter(upn[1:]) != upn[0]:
        raise ValueProblem(f"a UPN whose check letter matches its digits ({upn_check_letter(upn[1:])})")
    return upn


def normalise_postcode(value: str, *, partial_ok: bool = False) -> str:
    pc = " ".join(value.upper().split())
    m = _POSTCODE.fullmatch(pc)
    if m:
        return f"{m.group(1)} {m.group(2)}"
    compact = pc.replace(" ", "")
    m = _POSTCODE.fullmatch(compact)
    if m:
        return f"{m.group(1)} {m.group(2)}"
    if partial_ok and _OUTWARD.fullmatch(compact):
        return compact
    raise ValueProblem(
        "a UK postcode such as LE11 3AB" + (" or an outward code such as LE11" if partial_ok else "")
    )


def normalise_pnc(value: str) -> str:
    m = _PNC.fullmatch(value.upper())
    if not m:
        raise ValueProblem("a PNC ID as YY/NNNNNNNC (e.g. 21/0012345B)")
    return f"{m.group(1)}/{int(m.group(2)):07d}{m.group(3)}"


def _c_text(col: Column, value: str) -> tuple[Any, str | None]:
    return value, None


def _c_name(col: Column, value: str) -> tuple[Any, str | None]:
    if not _NAME.fullmatch(value):
        raise ValueProblem("a name made of letters, spaces, hyphens and apostrophes")
    return value, None


def _c_id(col: Column, value: str) -> tuple[Any, str | None]:
    if not _ID.fullmatch(value):
        raise ValueProblem("an identifier of letters, digits and / _ . -")
    return value, None


def _c_code(col: Column, value: str) -> tuple[Any, str | None]:
    return _code(col, value), None


def _c_date(col: Column, value: str) -> tuple[Any, str | None]:
    return parse_iso_date(value) if col.date_style == "iso" else parse_uk_date(value)


def _c_datetime(col: Column, value: str) -> tuple[Any, str | None]:
    return parse_datetime(value)


def _c_when(col: Column, value: str) -> tuple[Any, str | None]:
    try:
        day, note = parse_uk_date(value)
    except ValueProblem:
        return parse_datetime(value)
    return local_midnight(day), note


def _c_int(col: Column, value: str) -> tuple[Any, str | None]:
    if not value.isascii() or not value.isdigit():
        raise ValueProblem(_kind_expected(col))
    number = int(value)
    _range(col, number)
    return number, None


def _c_decimal(col: Column, value: str) -> tuple[Any, str | None]:
    if not _DECIMAL.fullmatch(value):
        raise ValueProblem(_kind_expected(col))
    number = float(value)
    _range(col, number)
    return number, None


def _c_bool(col: Column, value: str) -> tuple[Any, str | None]:
    low = value.lower()
    if low in ("y", "yes", "true", "1"):
        return True, None
    if low in ("n", "no", "false", "0"):
        return False, None
    raise ValueProblem("Y or N")


def _c_upn(col: Column, value: str) -> tuple[Any, str | None]:
    if col.codes and value.upper() in col.codes:
        return value.upper(), None
    return normalise_upn(value), None


def _c_nhs(col: Column, value: str) -> tuple[Any, str | None]:
    return normalise_nhs_number(value), None


def _c_postcode(col: Column, value: str) -> tuple[Any, str | None]:
    return normalise_postcode(value, partial_ok=col.partial_postcode), None


def _c_pnc(col: Column, value: str) -> tuple[Any, str | None]:
    return normalise_pnc(value), None


def _c_id_list(col: Column, value: str) -> tuple[Any, str | None]:
    items = [v.strip() for v in value.split(";") if v.strip()]
    for item in items:
        if not _ID.fullmatch(item):
            raise ValueProblem("identifiers separated by semicolons")
    return tuple(items), None


_CONVERTERS: dict[str, Callable[[Column, str], tuple[Any, str | None]]] = {
    "text": _c_text,
    "name": _c_name,
    "id": _c_id,
    "code": _c_code,
    "date": _c_date,
    "datetime": _c_datetime,
    "when": _c_when,
    "int": _c_int,
    "decimal": _c_decimal,
    "bool": _c_bool,
    "upn": _c_upn,
    "nhs_number": _c_nhs,
    "postcode": _c_postcode,
    "pnc": _c_pnc,
    "id_list": _c_id_list,
}


def convert(col: Column, value: str, *, checked: bool = False) -> tuple[Any, str | None]:
    """Convert one non-blank, stripped cell.  Returns (value, note) or raises ValueProblem.
    ``checked`` means the caller already knows the cell has no control characters."""
    if col.kind != "text" and value[0] in FORMULA_START:
        raise ValueProblem(f"{_kind_expected(col)}, not a spreadsheet formula", "LAN-FORMULA")
    if not checked and _CONTROL.search(value):
        raise ValueProblem(f"{_kind_expected(col)} without control characters")
    if len(value) > col.max_length:
        raise ValueProblem(f"at most {col.max_length} characters")
    return _CONVERTERS[col.kind](col, value)


def _range(col: Column, number: float) -> None:
    if (col.minimum is not None and number < col.minimum) or (
        col.maximum is not None and number > col.maximum
    ):
        raise ValueProblem(_kind_expected(col))


def _code(col: Column, value: str) -> str:
    codes = col.codes or {}
    if value in codes:
        return value
    if col.aliases and value in col.aliases:
        return col.aliases[value]
    if col.case_insensitive:
        low = value.lower()
        for code in codes:
            if code.lower() == low:
                return code
        for alias, code in (col.aliases or {}).items():
            if alias.lower() == low:
                return code
    raise ValueProblem(_kind_expected(col))


def _kind_expected(col: Column) -> str:
    kind = col.kind
    if kind == "code":
        codes = list(col.codes or {})
        shown = ", ".join(codes) if len(codes) <= 30 else ", ".join(codes[:30]) + ", …"
        return f"one of {shown}"
    if kind in ("int", "decimal"):
        noun = "a whole number" if kind == "int" else "a number"
        if col.minimum is not None and col.maximum is not None:
            return f"{noun} from {col.minimum:g} to {col.maximum:g}"
        if col.minimum is not None:
            return f"{noun} of at least {col.minimum:g}"
        return noun
    return {
        "text": "text",
        "name": "a name",
        "id": "an identifier",
        "date": ISO_DATE_EXPECTED if col.date_style == "iso" else DATE_EXPECTED,
        "datetime": DATETIME_EXPECTED,
        "when": DATETIME_EXPECTED + " or a date as dd/mm/yyyy",
        "bool": "Y or N",
        "upn": "a 13-character UPN",
        "nhs_number": "a 10-digit NHS number",
        "postcode": "a UK postcode",
        "pnc": "a PNC ID",
        "id_list": "identifiers separated by semicolons",
    }.get(kind, kind)


def convert_cell(
    col: Column,
    raw: str,
    row: int,
    file: str,
    errors: list[FieldError],
    notes: list[str],
    checked: bool = False,
) -> Any:
    """Convert one raw (stripped) cell, recording an error or note.  Blank -> None.  ``checked``: the
    caller already knows the cell has no undecodable bytes or control characters."""
    if not checked and _SURROGATE.search(raw):
        errors.append(
            FieldError(
                row,
                col.name,
                raw.encode("utf-8", "surrogateescape").decode("latin-1"),
                "text that is valid UTF-8",
                "LAN-ENCODING",
                file,
            )
        )
        return None
    if raw == "":
        if col.required:
            errors.append(FieldError(row, col.name, raw, "a value (required)", col.rule_required, file))
        return None
    try:
        value, note = convert(col, raw, checked=checked)
    except ValueProblem as problem:
        errors.append(
            FieldError(row, col.name, raw, problem.expected, problem.rule or col.rule_invalid, file)
        )
        return None
    if note:
        notes.append(f"{col.name}: {note}")
    return value


# ------------------------------------------------------------------------------------------------
# Opening streams
# ------------------------------------------------------------------------------------------------


class _Chained(io.RawIOBase):
    """A raw binary stream that replays ``head`` then continues with ``rest`` (so a sniffed prefix
    of a non-seekable stream is not lost)."""

    def __init__(self, head: bytes, rest: IO[bytes]):
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        if not data:
            return 0
        n = len(data)
        buffer[:n] = data
        return n


def _file_error(
    file: str, field_name: str, value: str, expected: str, rule: str | None = None
) -> FileRejected:
    return FileRejected([FieldError(0, field_name, value, expected, rule, file)])


def open_bytes(
    stream: IO[bytes] | IO[str], *, filename: str, encoding: str = "utf-8", check_text: bool = True
) -> tuple[IO[bytes], bytes]:
    """Sniff the first 64 KiB of a binary stream: refuse empty files, spreadsheets in their native
    format and, with ``check_text`` (CSV), UTF-16, binary data and (for UTF-8) undecodable text.  Returns (a binary stream replaying the sniffed bytes,
    the sniffed bytes)."""
    if isinstance(stream, io.TextIOBase):
        raise TypeError("pass a binary stream (open the file with 'rb')")
    head = stream.read(SNIFF_BYTES)
    if isinstance(head, str):
        raise TypeError("pass a binary stream (open the file with 'rb')")
    body = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    if not body.strip():
        raise _file_error(filename, "(file)", "", "a non-empty file (this file is empty)")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _file_error(
            filename,
            "(file)",
            head[:4].hex(),
            "a CSV text file; this is a spreadsheet workbook (.xlsx/.xls): save it as 'CSV UTF-8'",
        )
    if check_text and head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _file_error(
            filename,
            "(file)",
            head[:2].hex(),
            "UTF-8 text; this file is UTF-16: save it as 'CSV UTF-8'",
            "LAN-ENCODING",
        )
    if check_text and codecs.lookup(encoding).name == "utf-8":
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            decoder.decode(head, final=len(head) < SNIFF_BYTES)
        except UnicodeDecodeError as exc:
            bad = head[exc.start : exc.start + 1]
            raise _file_error(
                filename,
                "(encoding)",
                f"byte 0x{bad.hex()} at offset {exc.start}",
                "UTF-8 text; this looks like Windows-1252/Latin-1 (Excel's plain 'CSV'): re-save as 'CSV UTF-8' "
                "or import with encoding='cp1252'",
                "LAN-ENCODING",
            ) from None
    if check_text and body.count(b"\x00") > max(8, len(body) // 100):
        raise _file_error(filename, "(file)", "NUL bytes", "a text file, not binary data")
    return _Chained(head, stream), head  # type: ignore[return-value]


def open_text(stream: IO[bytes], *, filename: str, encoding: str = "utf-8") -> IO[str]:
    raw, _head = open_bytes(stream, filename=filename, encoding=encoding)
    enc = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    return io.TextIOWrapper(
        io.BufferedReader(raw, buffer_size=SNIFF_BYTES), encoding=enc, errors="surrogateescape", newline=""
    )


# ------------------------------------------------------------------------------------------------
# The CSV engine
# ------------------------------------------------------------------------------------------------


def _canonical(name: str) -> str:
    return name.strip().lower()


def read_header(
    reader: Iterator[list[str]],
    *,
    filename: str,
    tables: Sequence[TableSpec],
    table: str | None = None,
    allow_extra: bool = False,
) -> tuple[TableSpec, list[Column | None]]:
    try:
        header = next(reader)
    except StopIteration:
        raise _file_error(filename, "(header)", "", "a header row") from None
    except csv.Error as exc:
        raise _file_error(filename, "(header)", str(exc), "a readable CSV header row") from None
    header = [h.strip() for h in header]
    while header and header[-1] == "":
        header.pop()
    if not header:
        raise _file_error(
            filename, "(header)", "", "a header row naming the columns (the first line is blank)"
        )
    if len(header) == 1:
        for sep, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if sep in header[0]:
                raise _file_error(
                    filename,
                    "(delimiter)",
                    header[0][:60],
                    f"comma-separated values; the header is separated by {label}",
                )
    if any(_SURROGATE.search(h) for h in header):
        raise _file_error(filename, "(header)", "undecodable bytes", "a header in UTF-8", "LAN-ENCODING")
    seen: dict[str, int] = {}
    errors: list[FieldError] = []
    for h in header:
        key = _canonical(h)
        seen[key] = seen.get(key, 0) + 1
    for h, count in seen.items():
        if count > 1:
            errors.append(FieldError(0, h, h, "each column once (this column is duplicated)", None, filename))
    if table is not None:
        candidates = [t for t in tables if t.name.lower() == table.lower()]
        if not candidates:
            raise ValueError(f"unknown table {table!r}; choose from {[t.name for t in tables]}")
        spec = candidates[0]
    else:
        names = set(seen)
        spec = max(
            tables, key=lambda t: (len(names & {_canonical(c.name) for c in t.columns}), -len(t.columns))
        )
    wanted = {_canonical(c.name): c for c in spec.columns}
    missing = [c.name for c in spec.columns if _canonical(c.name) not in seen]
    extra = [h for h in header if _canonical(h) not in wanted and h]
    label = f"the {spec.name} columns" if len(tables) > 1 else "the format's columns"
    if missing:
        errors.append(
            FieldError(
                0, "(columns)", ", ".join(missing), f"{label}; missing: {', '.join(missing)}", None, filename
            )
        )
    if extra and not allow_extra:
        errors.append(
            FieldError(
                0,
                "(columns)",
                ", ".join(extra),
                f"only {label}; unexpected: {', '.join(extra)}",
                None,
                filename,
            )
        )
    if errors:
        raise FileRejected(errors)
    layout = [wanted.get(_canonical(h)) for h in header]
    return spec, layout


def parse_csv(
    stream: IO[bytes],
    *,
    filename: str,
    tables: Sequence[TableSpec],
    table: str | None = None,
    encoding: str = "utf-8",
) -> Iterator[Result]:
    """Open, check the header (raising FileRejected) and return a generator of row results."""
    text = open_text(stream, filename=filename, encoding=encoding)
    reader = csv.reader(text, strict=False)
    spec, layout = read_header(reader, filename=filename, tables=tables, table=table)
    return _rows(reader, spec, layout, filename)


def _rows(
    reader: Iterator[list[str]], spec: TableSpec, layout: list[Column | None], filename: str
) -> Iterator[Result]:
    width = len(layout)
    placed = [(i, c) for i, c in enumerate(layout) if c is not None]
    first_name = placed[0][1].name
    row = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row += 1
            error = FieldError(row, first_name, "", f"a well-formed CSV record ({exc})", "LAN-CSV", filename)
            yield RowRejected(row, filename, spec.name, (error,))
            continue
        row += 1
        if not cells or all(not c.strip() for c in cells):
            continue
        cells = [c.strip() for c in cells]
        while len(cells) > width and cells[-1] == "":
            cells.pop()
        raw = {c.name: cells[i] for i, c in placed if i < len(cells)}
        if len(cells) != width:
            expected = f"{width} cells as in the header (this record has {len(cells)})"
            if len(cells) > width:
                err = FieldError(
                    row, placed[-1][1].name, ",".join(cells[width:])[:200], expected, "LAN-CELLS", filename
                )
            else:
                short = next((c.name for i, c in placed if i >= len(cells)), placed[-1][1].name)
                err = FieldError(row, short, "", expected, "LAN-CELLS", filename)
            yield RowRejected(row, filename, spec.name, (err,), raw)
            continue
        yield build_row(spec, raw, row, filename)


def build_row(spec: TableSpec, raw: dict[str, str], row: int, filename: str) -> Result:
    """Convert a row's raw cells (already stripped) and run the table's checks and builder."""
    errors: list[FieldError] = []
    notes: list[str] = []
    values: dict[str, Any] = {}
    joined = "\x1f".join(raw.values())
    checked = not (_SURROGATE.search(joined) or _CONTROL.search(joined))
    for col in spec.columns:
        values[col.name] = convert_cell(col, raw.get(col.name, ""), row, filename, errors, notes, checked)
    bad = {e.field for e in errors}
    if spec.row_checks is not None:
        for fname, value, expected, rule in spec.row_checks(values, raw):
            if fname not in bad:
                errors.append(FieldError(row, fname, value, expected, rule, filename))
    if errors:
        return RowRejected(row, filename, spec.name, tuple(errors), raw)
    assert spec.build is not None
    record_key, person, events = spec.build(values, raw)
    key = "|".join(raw.get(k, "") if values.get(k) is None else _key_text(values[k]) for k in spec.key)
    return ParsedRow(row, filename, spec.name, record_key, key, person, events, tuple(notes), raw, values)


def _key_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# ------------------------------------------------------------------------------------------------
# Within-file checks
# ------------------------------------------------------------------------------------------------


def _digest(parts: Iterable[str]) -> int:
    h = hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogateescape"), digest_size=8)
    return int.from_bytes(h.digest(), "big")


class DigestIndex:
    """8-byte digest -> the row it was first seen on, in memory that does not grow with the file.

    The latest digests (up to ``buffer`` of them) are kept in a dictionary; older ones go to a private
    temporary SQLite database on disk (SQLite's temporary directory: ``SQLITE_TMPDIR`` or ``TMPDIR``,
    else ``/var/tmp`` or ``/tmp``; deleted when the index is dropped, or by the system if the process
    dies).  A fixed bitmap of ``2**bits`` bits (32 MiB by default, allocated once the first digests
    go to disk) answers "never seen" for nearly every new digest without touching the disk: a lookup
    is needed only on a bit collision (about 1% of rows at a million rows, 7% at ten million) and for
    a real duplicate.  Small files never create the database.
    """

    def __init__(self, *, buffer: int = 100_000, bits: int = 28) -> None:
        self._buffer = buffer
        self._mask = (1 << bits) - 1
        self._bits = bits
        self._pending: dict[int, int] = {}
        self._bitmap: bytearray | None = None
        self._db: sqlite3.Connection | None = None

    def get(self, digest: int) -> int | None:
        row = self._pending.get(digest)
        if row is not None or self._bitmap is None:
            return row
        bit = digest & self._mask
        if not self._bitmap[bit >> 3] & (1 << (bit & 7)):
            return None
        assert self._db is not None
        found = self._db.execute("SELECT row FROM seen WHERE digest = ?", (_signed(digest),)).fetchone()
        return None if found is None else int(found[0])

    def add(self, digest: int, row: int) -> None:
        self._pending.setdefault(digest, row)
        if len(self._pending) >= self._buffer:
            self._spill()

    def _spill(self) -> None:
        if self._db is None:
            # "" is SQLite's private temporary database: a file of its own, deleted when closed.
            self._db = sqlite3.connect("", isolation_level=None)
            self._db.execute("PRAGMA journal_mode = OFF")
            self._db.execute("PRAGMA synchronous = OFF")
            self._db.execute("CREATE TABLE seen (digest INTEGER PRIMARY KEY, row INTEGER NOT NULL)")
            self._bitmap = bytearray(1 << (self._bits - 3))
        assert self._bitmap is not None
        bitmap, mask = self._bitmap, self._mask
        for digest in self._pending:
            bit = digest & mask
            bitmap[bit >> 3] |= 1 << (bit & 7)
        self._db.execute("BEGIN")
        self._db.executemany(
            "INSERT OR IGNORE INTO seen (digest, row) VALUES (?, ?)",
            sorted((_signed(d), r) for d, r in self._pending.items()),
        )
        self._db.execute("COMMIT")
        self._pending = {}

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
        self._db, self._bitmap, self._pending = None, None, {}


def _signed(digest: int) -> int:
    """An unsigned 64-bit digest as SQLite's signed INTEGER."""
    return digest - (1 << 64) if digest >= 1 << 63 else digest


class FileValidator:
    """Checks that need more than one row: exact duplicate rows and duplicate keys (per table).

    Streaming: remembers an 8-byte digest and a row number per distinct row and per key, never the
    rows, in a :class:`DigestIndex` (the latest 100,000 in memory, the rest on disk), so its memory
    does not grow with the file.  The first occurrence is kept; later ones are rejected.  Use it as
    ``for result in FileValidator().check(parse(...))``.  Subclasses add format rules in
    :meth:`extra_checks`.
    """

    def __init__(self) -> None:
        self._seen = DigestIndex()

    def check(self, results: Iterable[Result]) -> Iterator[Result]:
        for result in results:
            yield self.check_one(result)

    def check_one(self, result: Result) -> Result:
        if isinstance(result, RowRejected):
            self.rejected(result)
            return result
        errors = self.duplicate_errors(result)
        if not errors:
            errors = self.extra_checks(result)
        if errors:
            rejected = RowRejected(result.row, result.file, result.table, tuple(errors), result.raw)
            self.rejected(rejected)
            return rejected
        self.accepted(result)
        return result

    def duplicate_errors(self, result: ParsedRow) -> list[FieldError]:
        table = result.table
        row_digest = _digest(["row", table, *(f"{k}={v}" for k, v in sorted(result.raw.items()))])
        first = self._seen.get(row_digest)
        key_field = self.key_field(result)
        if first is not None:
            return [
                FieldError(
                    result.row,
                    key_field,
                    result.raw.get(key_field, ""),
                    f"a row that is not a copy of row {first}",
                    "LAN-DUP-ROW",
                    result.file,
                )
            ]
        key_digest = _digest(["key", table, result.key])
        first = self._seen.get(key_digest)
        if first is not None:
            return [
                FieldError(
                    result.row,
                    key_field,
                    result.key,
                    f"a key not already used on row {first} ({self.key_label(result)} must be unique in the file)",
                    "LAN-DUP-KEY",
                    result.file,
                )
            ]
        self._seen.add(row_digest, result.row)
        self._seen.add(key_digest, result.row)
        return []

    def key_field(self, result: ParsedRow) -> str:
        return next(iter(result.raw), "(row)")

    def key_label(self, result: ParsedRow) -> str:
        return "the key"

    def extra_checks(self, result: ParsedRow) -> list[FieldError]:
        return []

    def accepted(self, result: ParsedRow) -> None:
        pass

    def rejected(self, result: RowRejected) -> None:
        pass


def validate_file(results: Iterable[Result], validator: FileValidator | None = None) -> Iterator[Result]:
    """``parse(...)`` results with the within-file checks applied (duplicate rows and keys)."""
    return (validator or FileValidator()).check(results)


# ------------------------------------------------------------------------------------------------
# Writing: CSV-injection safety
# ------------------------------------------------------------------------------------------------


def neutralise_cell(value: Any) -> str:
    """Text for a CSV cell that no spreadsheet will execute: a cell starting with = + - @ tab or CR
    (after leading spaces) gets a leading apostrophe, which spreadsheets show as text (OWASP CSV
    injection guidance).  Dates and None are formatted; everything else is ``str()``."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return fmt_datetime(value)
    if isinstance(value, dt.date):
        return fmt_date(value)
    if isinstance(value, bool):
        return "Y" if value else "N"
    text = str(value)
    stripped = text.lstrip(" ")
    if stripped and stripped[0] in FORMULA_START:
        return "'" + text
    return text


class SafeCsvWriter:
    """csv.writer that neutralises every cell and quotes minimally (RFC 4180, CRLF line ends)."""

    def __init__(self, stream: IO[str]):
        self._writer = csv.writer(stream, lineterminator="\r\n")

    def writerow(self, cells: Iterable[Any]) -> None:
        self._writer.writerow([neutralise_cell(c) for c in cells])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for r in rows:
            self.writerow(r)


QUARANTINE_COLUMNS = ("file", "table", "row", "field", "value", "expected", "rule", "message")


def write_quarantine(rejections: Iterable[RowRejected], stream: IO[str]) -> int:
    """Write a report of rejected rows (one line per error), CSV-injection safe.  Returns the
    number of error lines written."""
    writer = SafeCsvWriter(stream)
    writer.writerow(QUARANTINE_COLUMNS)
    n = 0
    for rejection in rejections:
        for e in rejection.errors:
            writer.writerow(
                (e.file, rejection.table, e.row, e.field, e.value, e.expected, e.rule or "", e.message)
            )
            n += 1
    return n


def truncate_summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"
