"""A generic person/event CSV with a column mapping (source column -> Lantern field), for agencies
whose system exports something no other format fits.  **Lantern's own specification.**

A :class:`ColumnMapping` names, for each source column that matters, the Lantern field it feeds:

* person fields: ``source_key`` (required), ``given_name``, ``family_name``, ``dob`` (dd/mm/yyyy),
  ``sex`` (M/F/U), ``ethnicity`` (DfE codes), ``postcode``, ``address_line1``, ``address_town``,
  ``upn``, ``nhs_number``, ``la_child_id``, ``police_id``;
* event fields: ``item_type`` (Lantern code list), ``occurred_at`` (dd/mm/yyyy HH:MM, ISO 8601, or a
  date alone = local midnight), ``summary``, ``event_key``, ``purpose``
  (safeguarding/law_enforcement), ``handling_code`` (1-5, intelligence only);
* ``details.<name>``: free text copied into the event's details under ``<name>``.

``defaults`` give fixed values for fields no column holds (typically ``item_type`` and ``purpose``).
A mapping is saved and loaded as JSON (:meth:`ColumnMapping.to_json` / :meth:`ColumnMapping.from_json`).
Columns the mapping does not name are ignored; a mapped column missing from the file refuses the file.
Rules: an event needs ``item_type`` and ``occurred_at``; ``handling_code`` is only for
``intelligence``, which must have one and the law_enforcement purpose (``LAN-HANDLING``).  Without a
mapped ``event_key`` the event key is ``source_key|item_type|occurred_at``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from lantern.core.codelists import codelist

from .base import (
    ETHNICITY_CODES,
    Column,
    EventPart,
    FieldError,
    FileRejected,
    FileValidator,
    FormatSpec,
    ParsedRow,
    PersonPart,
    Result,
    TableSpec,
    _rows,
    open_text,
    read_header,
    register_rules,
    truncate_summary,
)

register_rules(
    {"LAN-HANDLING": "a handling code belongs to police intelligence only, and intelligence needs one"}
)

# Event types an agency file may carry: the item_type code list less Lantern's own record kinds.
ITEM_TYPES = tuple(c for c, meta in codelist("item_type").codes.items() if not meta.get("lantern_only"))
ETHNICITY = ETHNICITY_CODES

#: Lantern field -> column metadata used to check a mapped column (name filled in per mapping).
TARGETS: dict[str, Column] = {
    "source_key": Column("source_key", "id", True, "The agency's key for the person record", max_length=100),
    "given_name": Column("given_name", "name", False, "Given name"),
    "family_name": Column("family_name", "name", False, "Family name"),
    "dob": Column("dob", "date", False, "Date of birth (dd/mm/yyyy)"),
    "sex": Column("sex", "code", False, "M, F or U", {"M": "", "F": "", "U": ""}, case_insensitive=True),
    "ethnicity": Column("ethnicity", "code", False, "DfE ethnicity code", {c: "" for c in ETHNICITY}),
    "postcode": Column("postcode", "postcode", False, "Postcode"),
    "address_line1": Column("address_line1", "text", False, "First line of the address"),
    "address_town": Column("address_town", "text", False, "Town"),
    "upn": Column("upn", "upn", False, "Unique pupil number"),
    "nhs_number": Column("nhs_number", "nhs_number", False, "NHS number"),
    "la_child_id": Column("la_child_id", "id", False, "LA child id", max_length=20),
    "police_id": Column("police_id", "pnc", False, "PNC ID"),
    "item_type": Column("item_type", "code", False, "Event type (Lantern code list item_type)", {t: "" for t in ITEM_TYPES}),
    "occurred_at": Column("occurred_at", "when", False, "When the event happened"),
    "summary": Column("summary", "text", False, "One-line summary", max_length=1000),
    "event_key": Column("event_key", "id", False, "The event's key in the source system", max_length=150),
    "purpose": Column("purpose", "code", False, "safeguarding or law_enforcement", {"safeguarding": "", "law_enforcement": ""}),
    "handling_code": Column("handling_code", "code", False, "Intelligence handling code 1-5", {str(i): "" for i in range(1, 6)}),
}  # fmt: skip
PERSON_FIELDS = (
    "source_key", "given_name", "family_name", "dob", "sex", "ethnicity", "postcode", "address_line1",
    "address_town", "upn", "nhs_number", "la_child_id", "police_id",
)  # fmt: skip
EVENT_FIELDS = ("item_type", "occurred_at", "summary", "event_key", "purpose", "handling_code")
MAPPING_FORMAT = "lantern-generic-mapping"


@dataclass(frozen=True)
class ColumnMapping:
    """Source column -> Lantern field (or ``details.<name>``), plus fixed defaults."""

    columns: Mapping[str, str]
    defaults: Mapping[str, str] = field(default_factory=dict)
    name: str = ""

    def problems(self) -> list[str]:
        out = []
        targets = list(self.columns.values())
        for source, target in self.columns.items():
            if not source.strip():
                out.append("a source column name is blank")
            if not (target in TARGETS or (target.startswith("details.") and len(target) > 8)):
                out.append(f"column {source!r} maps to unknown field {target!r}")
        for target in {t for t in targets if targets.count(t) > 1}:
            out.append(f"more than one column maps to {target!r}")
        for target, value in self.defaults.items():
            if target not in TARGETS or target in ("source_key", "occurred_at", "event_key"):
                out.append(f"no default is allowed for {target!r}")
            elif TARGETS[target].codes is not None and value not in TARGETS[target].codes:
                out.append(f"default {target}={value!r} is not one of {', '.join(TARGETS[target].codes)}")
        if "source_key" not in targets:
            out.append("no column maps to source_key")
        has_event = (
            any(t in EVENT_FIELDS or t.startswith("details.") for t in targets)
            or "item_type" in self.defaults
        )
        if has_event:
            if "item_type" not in targets and "item_type" not in self.defaults:
                out.append("events need item_type (a column or a default)")
            if "occurred_at" not in targets:
                out.append("events need a column mapped to occurred_at")
        return out

    @property
    def has_event(self) -> bool:
        return "occurred_at" in self.columns.values()

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": MAPPING_FORMAT,
                "version": 1,
                "name": self.name,
                "columns": dict(self.columns),
                "defaults": dict(self.defaults),
            },
            indent=2,
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> ColumnMapping:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != MAPPING_FORMAT or data.get("version") != 1:
            raise ValueError(f"not a {MAPPING_FORMAT} version 1 document")
        columns, defaults = data.get("columns"), data.get("defaults", {})
        if not isinstance(columns, dict) or not isinstance(defaults, dict):
            raise ValueError("columns and defaults must be objects")
        if not all(
            isinstance(k, str) and isinstance(v, str) for k, v in [*columns.items(), *defaults.items()]
        ):
            raise ValueError("column names, fields and defaults must be strings")
        mapping = cls(columns=columns, defaults=defaults, name=str(data.get("name", "")))
        problems = mapping.problems()
        if problems:
            raise ValueError("; ".join(problems))
        return mapping


def _spec(mapping: ColumnMapping) -> TableSpec:
    columns = []
    for source, target in mapping.columns.items():
        meta = TARGETS.get(target) or Column(target, "text", False, "Free text copied into the event details")
        required = (
            target == "source_key"
            or (target == "occurred_at")
            or (target == "item_type" and "item_type" not in mapping.defaults)
        )
        columns.append(Column(source, meta.kind, required, meta.description, meta.codes, "Lantern", meta.max_length,
                              meta.case_insensitive))  # fmt: skip
    by_target = {t: s for s, t in mapping.columns.items()}

    def get(v: dict[str, Any], target: str) -> Any:
        source = by_target.get(target)
        return v.get(source) if source is not None else None

    def checks(v: dict[str, Any], raw: dict[str, str]) -> list[tuple[str, str, str, str | None]]:
        if not mapping.has_event:
            return []
        item = get(v, "item_type") or mapping.defaults.get("item_type")
        handling = get(v, "handling_code") or mapping.defaults.get("handling_code")
        purpose = get(v, "purpose") or mapping.defaults.get("purpose") or "safeguarding"
        hc_col = by_target.get("handling_code") or by_target.get("item_type") or by_target["occurred_at"]
        if item == "intelligence" and not handling:
            return [(hc_col, raw.get(hc_col, ""), "a handling code 1-5 for intelligence", "LAN-HANDLING")]
        if item != "intelligence" and handling:
            return [
                (
                    hc_col,
                    raw.get(hc_col, handling),
                    f"no handling code for {item} (police intelligence only)",
                    "LAN-HANDLING",
                )
            ]
        if item == "intelligence" and purpose != "law_enforcement":
            col = by_target.get("purpose") or hc_col
            return [(col, raw.get(col, purpose), "law_enforcement purpose for intelligence", "LAN-HANDLING")]
        return []

    def build(v: dict[str, Any], raw: dict[str, str]) -> tuple[str, PersonPart | None, tuple[EventPart, ...]]:
        key = get(v, "source_key")
        person = PersonPart(
            source_key=key,
            given_name=get(v, "given_name") or "",
            family_name=get(v, "family_name") or "",
            dob=get(v, "dob"),
            sex=get(v, "sex") or "U",
            ethnicity=get(v, "ethnicity"),
            postcode=get(v, "postcode") or "",
            address_line1=get(v, "address_line1") or "",
            address_town=get(v, "address_town") or "",
            upn=get(v, "upn") or "",
            nhs_number=get(v, "nhs_number") or "",
            la_child_id=get(v, "la_child_id") or "",
            police_id=get(v, "police_id") or "",
        )
        if not mapping.has_event:
            return key, person, ()
        item = get(v, "item_type") or mapping.defaults["item_type"]
        when = get(v, "occurred_at")
        handling = get(v, "handling_code") or mapping.defaults.get("handling_code")
        details = {t[8:]: v[s] or "" for s, t in mapping.columns.items() if t.startswith("details.")}
        summary = get(v, "summary") or mapping.defaults.get("summary") or item.replace("_", " ").capitalize()
        event = EventPart(
            item,
            when,
            truncate_summary(summary),
            details,
            get(v, "purpose") or mapping.defaults.get("purpose") or "safeguarding",
            get(v, "event_key") or f"{key}|{item}|{when.isoformat()}",
            int(handling) if handling else None,
        )
        return key, person, (event,)

    key_cols = tuple(by_target[t] for t in ("event_key",) if t in by_target) or tuple(
        by_target[t] for t in ("source_key", "item_type", "occurred_at") if t in by_target
    )
    return TableSpec(
        "Generic", tuple(columns), key_cols, mapping.name or "Generic person/event rows", checks, build
    )


FORMAT = FormatSpec(
    code="generic",
    label="Generic person/event CSV with a column mapping",
    kind="csv",
    tables=(
        TableSpec("Generic", tuple(TARGETS.values()), ("source_key",), "Lantern fields a mapping can feed"),
    ),
    source="Lantern",
    source_system="GENERIC",
    description="Columns are named by a ColumnMapping (JSON); the table lists the Lantern fields they feed.",
)


def parse(
    stream: IO[bytes], *, filename: str, mapping: ColumnMapping, encoding: str = "utf-8"
) -> Iterator[Result]:
    problems = mapping.problems()
    if problems:
        raise FileRejected(
            [
                FieldError(
                    0,
                    "(mapping)",
                    mapping.name,
                    "a valid column mapping: " + "; ".join(problems),
                    None,
                    filename,
                )
            ]
        )
    spec = _spec(mapping)
    text = open_text(stream, filename=filename, encoding=encoding)
    reader = csv.reader(text, strict=False)
    spec, layout = read_header(reader, filename=filename, tables=(spec,), allow_extra=True)
    return _rows(reader, spec, layout, filename)


class GenericValidator(FileValidator):
    def __init__(self, mapping: ColumnMapping):
        super().__init__()
        self._key_field = next(s for s, t in mapping.columns.items() if t == "source_key")

    def key_field(self, result: ParsedRow) -> str:
        return self._key_field

    def key_label(self, result: ParsedRow) -> str:
        return "the event key" if result.events else "source_key"


def validate_file(results: Iterator[Result], mapping: ColumnMapping) -> Iterator[Result]:
    return GenericValidator(mapping).check(results)
