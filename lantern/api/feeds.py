"""Which feeds an agency may send through the API, what their rows look like, and how a JSON batch
becomes the CSV file the import pipeline reads.

The API carries the CSV formats of `docs/data-formats.md`, row by row as JSON objects keyed by the
same column names (case-insensitive, as CSV headers are). The CIN census is XML and is not offered:
its `Child` elements nest, so they do not fit flat rows; upload those files instead. A generic feed
names Lantern's fields directly (`source_key`, `given_name`, `occurred_at`, `details.<name>` …): the
batch's column mapping is the identity on the fields its rows use.

Feeds by agency type (Lantern's rule: an agency sends only the data it controls as that kind of
agency; the uploading agency is the controller of everything it sends):

| agency type | feeds |
|---|---|
| police, regional partner | police |
| children's social care | ssda903, generic |
| education | school_exclusions |
| health | health |
| youth justice, housing, voluntary | generic |
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lantern.ingest.formats import generic
from lantern.ingest.formats.base import Column, TableSpec
from lantern.ingest.services import FORMATS, ImportFormat

API_FORMATS = ("police", "ssda903", "school_exclusions", "health", "generic")

AGENCY_FEEDS: dict[str, tuple[str, ...]] = {
    "police": ("police",),
    "regional_partner": ("police",),
    "childrens_social_care": ("ssda903", "generic"),
    "education": ("school_exclusions",),
    "health": ("health",),
    "youth_justice": ("generic",),
    "housing": ("generic",),
    "voluntary": ("generic",),
}

DETAILS_PREFIX = "details."
MAX_CELL_ERRORS = 100  # a request refused for its shape lists at most this many problems


def agency_feeds(agency_type: str) -> tuple[str, ...]:
    return AGENCY_FEEDS.get(agency_type, ())


@dataclass(frozen=True)
class CellProblem:
    """A problem found before the batch reaches the pipeline: the request is refused as a whole."""

    row: int  # 1-based, as in the quarantine report; 0 = the batch itself
    field: str
    value: str
    expected: str
    rule: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "field": self.field,
            "value": self.value,
            "expected": self.expected,
            "rule": self.rule,
        }


def tables_of(fmt: ImportFormat) -> tuple[TableSpec, ...]:
    return fmt.module.FORMAT.tables


def table_spec(fmt: ImportFormat, table: str | None) -> TableSpec | CellProblem:
    """The table a batch fills: named for formats with several tables, optional otherwise."""
    tables = tables_of(fmt)
    names = [t.name for t in tables]
    if len(tables) > 1:
        for spec in tables:
            if table and spec.name.lower() == table.lower():
                return spec
        return CellProblem(0, "table", table or "", f"one of the {fmt.code} tables: {', '.join(names)}")
    if table and table.lower() != tables[0].name.lower():
        return CellProblem(0, "table", table, f"no table, or {tables[0].name} ({fmt.code} has one table)")
    return tables[0]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _show(value: str) -> str:
    return value if len(value) <= 60 else value[:59] + "…"


def _bad_text(text: str) -> bool:
    """NUL and unpaired surrogates cannot be written to a UTF-8 file; refuse them up front."""
    return "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)


def columns_for(
    fmt: ImportFormat, spec: TableSpec, rows: Sequence[Mapping[str, Any]]
) -> tuple[list[str], dict[str, str], list[CellProblem]]:
    """The CSV header for the batch and each row key's column: the table's columns in their order
    (a generic feed: the Lantern fields the rows use). Unknown, duplicated or unwritable keys are
    problems naming the row and field."""
    problems: list[CellProblem] = []
    if fmt.code == "generic":
        known = {name: name for name in generic.TARGETS}
    else:
        known = {c.name.lower(): c.name for c in spec.columns}
    used: dict[str, str] = {}
    for index, row in enumerate(rows, start=1):
        seen: set[str] = set()
        for key in row:
            canonical = key.strip().lower()
            if _bad_text(key):
                problems.append(
                    CellProblem(index, "(columns)", "", "column names in UTF-8 text", "LAN-ENCODING")
                )
                continue
            if canonical in seen:
                problems.append(
                    CellProblem(index, key, "", "each column once (column names are not case-sensitive)")
                )
                continue
            seen.add(canonical)
            if canonical in known:
                used.setdefault(canonical, known[canonical])
            elif fmt.code == "generic" and canonical.startswith(DETAILS_PREFIX) and len(canonical) > 8:
                used.setdefault(canonical, canonical)
            else:
                expected = (
                    "a Lantern field (source_key, given_name, … or details.<name>: GET /api/v1/feeds)"
                    if fmt.code == "generic"
                    else f"a column of {fmt.code} {spec.name} (GET /api/v1/feeds lists them)"
                )
                problems.append(CellProblem(index, key, "", expected))
        if len(problems) >= MAX_CELL_ERRORS:
            break
    if fmt.code == "generic":
        order = [name for name in generic.TARGETS if name in used]
        order += sorted(name for name in used if name.startswith(DETAILS_PREFIX))
        header = order
    else:
        header = [c.name for c in spec.columns]
    return header, used, problems[:MAX_CELL_ERRORS]


def cell_problems(rows: Sequence[Mapping[str, Any]], used: Mapping[str, str]) -> list[CellProblem]:
    problems = []
    for index, row in enumerate(rows, start=1):
        for key, value in row.items():
            text = _cell_text(value)
            if _bad_text(text):
                shown = _show(text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode())
                problems.append(
                    CellProblem(
                        index,
                        used.get(key.strip().lower(), key),
                        shown,
                        "text without NUL characters or unpaired surrogates",
                        "LAN-ENCODING",
                    )
                )
                if len(problems) >= MAX_CELL_ERRORS:
                    return problems
    return problems


def generic_mapping_json(header: Sequence[str]) -> str:
    """The identity column mapping of a generic feed (its columns are Lantern's field names)."""
    return generic.ColumnMapping(columns={name: name for name in header}, name="API feed").to_json()


def generic_mapping_problems(header: Sequence[str]) -> list[CellProblem]:
    mapping = generic.ColumnMapping(columns={name: name for name in header}, name="API feed")
    return [CellProblem(0, "rows", "", problem) for problem in mapping.problems()]


def to_csv(header: Sequence[str], used: Mapping[str, str], rows: Sequence[Mapping[str, Any]]) -> bytes:
    """The batch as a UTF-8 CSV file: one line per row, cells in header order, blanks for missing
    keys. The pipeline then reads it exactly as an uploaded file."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    position = {name: i for i, name in enumerate(header)}
    for row in rows:
        cells = [""] * len(header)
        for key, value in row.items():
            cells[position[used[key.strip().lower()]]] = _cell_text(value)
        writer.writerow(cells)
    return out.getvalue().encode("utf-8")


# --------------------------------------------------------------------------------- descriptions


def _column(col: Column) -> dict[str, Any]:
    return {
        "name": col.name,
        "type": col.kind,
        "required": col.required,
        "description": col.description,
        "codes": list(col.codes) if col.codes else [],
    }


def feed_description(code: str) -> dict[str, Any]:
    """A feed's tables and columns, from the format specs (no personal data)."""
    fmt = FORMATS[code]
    tables = []
    for spec in tables_of(fmt):
        columns = [_column(c) for c in spec.columns]
        if code == "generic":
            columns.append(
                {
                    "name": "details.<name>",
                    "type": "text",
                    "required": False,
                    "description": "Free text copied into the event's details under <name>",
                    "codes": [],
                }
            )
        tables.append(
            {
                "name": spec.name,
                "description": spec.description,
                "key": list(spec.key),
                "columns": columns,
            }
        )
    return {
        "format": code,
        "label": fmt.label,
        "table_required": len(tables) > 1,
        "default_source_system": fmt.default_source_system,
        "tables": tables,
    }
