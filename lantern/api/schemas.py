"""Request and response shapes of the live-feed API (they make its OpenAPI schema)."""

from __future__ import annotations

import uuid
from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, Field, StrictFloat, StrictInt, StrictStr

# A cell is text as in the CSV file; whole and decimal numbers are written as text; null is blank.
Cell = StrictStr | StrictInt | StrictFloat | None

EXAMPLE_ROW = {
    "attendance_id": "ED00000001",
    "local_patient_id": "RWE00000001",
    "nhs_number": "943 476 5919",
    "surname": "Brennan",
    "forename": "Kai",
    "dob": "27/03/2011",
    "sex": "M",
    "arrival_at": "14/09/2026 02:10",
    "arrival_mode": "ambulance",
    "presenting_complaint": "stab wound",
    "injury_type": "stab_wound",
    "outcome": "admitted",
}


class BatchIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"format": "health", "source_system": "ED-CSV", "rows": [EXAMPLE_ROW]}]
        },
    )

    format: str = Field(
        min_length=1,
        max_length=40,
        description="The feed's format code (GET /api/v1/feeds): police, ssda903, school_exclusions, "
        "health or generic.",
    )
    table: str | None = Field(
        None,
        max_length=40,
        description="The table, for formats with several (police: MissingReports, Arrests, StopSearch, "
        "Intelligence; ssda903: Header, Episodes, Missing).",
    )
    source_system: str = Field(
        "",
        max_length=60,
        description="The agency's own system, e.g. NICHE (default: the format's). Use the same one "
        "every time: records are found again by (agency, source system, key).",
    )
    collection_year: int | None = Field(
        None, ge=2000, le=2100, description="SSDA903 only: the collection year (2026 = 2025-26)."
    )
    rows: list[dict[str, Cell]] = Field(
        min_length=1,
        description="One object per row, keyed by the format's column names (as in its CSV file).",
    )


class RowError(Schema):
    row: int = Field(description="1-based row of the batch; 0 = the batch itself")
    field: str
    value: str
    expected: str
    rule: str | None = None


class RecordCounts(Schema):
    new: int
    updated: int
    unchanged: int
    attached: int


class EventCounts(Schema):
    new: int
    updated: int
    unchanged: int


class Counts(Schema):
    rows: int
    accepted: int
    rejected: int
    notes: int = Field(description="Accepted rows with a normalisation note (e.g. a spreadsheet date)")
    records: RecordCounts
    events: EventCounts


class BatchOut(Schema):
    batch_id: uuid.UUID
    status: Annotated[
        str,
        Field(
            description="uploaded, validating, validated, committing, committed, failed or rejected_file",
        ),
    ]
    counts: Counts | None = None
    errors: list[RowError] = Field(default_factory=list, description="Every error of every rejected row")
    detail: str = ""


class ErrorOut(Schema):
    detail: str
    errors: list[RowError] = Field(default_factory=list)
    batch_id: uuid.UUID | None = None


class ColumnOut(Schema):
    name: str
    type: str
    required: bool
    description: str
    codes: list[str]


class TableOut(Schema):
    name: str
    description: str
    key: list[str]
    columns: list[ColumnOut]


class FeedOut(Schema):
    format: str
    label: str
    table_required: bool
    default_source_system: str
    tables: list[TableOut]


class FeedsOut(Schema):
    agency: str
    feeds: list[FeedOut]
