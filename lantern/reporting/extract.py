"""Write the pseudonymised analytics extract: one Parquet file per table, streamed in chunks.

No names, dates of birth, addresses, free text or record ids leave the database: a person is a keyed
hash (HMAC-SHA256 with the extract's own key, cut to 16 hex digits), ages are whole years at the
event, a date of birth is reduced to its year and month, and only coded fields are copied. The
tables and their columns are listed in docs/reporting.md (the data dictionary)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.db.models import Count, Q

from lantern.analytics.hidden_scale import CCE_TERMS, identification_event
from lantern.core.timeutils import local

SCHEMA_VERSION = 2  # bump when a table or column changes: older extracts are then rebuilt
CHUNK = 50_000
# Timeline details copied into the extract: coded values only (CIN factors, the victim-centred role
# an intelligence or incident record gives the person, the CIN referral source).
_DETAIL_TYPES = (
    "cin_assessment", "intelligence", "police_incident", "csc_referral", "ae_attendance", "health_contact", "yj_order",
)  # fmt: skip
# Free text never leaves: a stated concern or incident type becomes this one coded value when it names
# criminal exploitation (the terms the hidden-scale list rules recognise), and is dropped otherwise.
CCE_FACTOR = "child criminal exploitation"


class Pseudonymiser:
    def __init__(self, key_hex: str):
        self._key = bytes.fromhex(key_hex)

    def __call__(self, person_id: object) -> str:
        return hmac.new(self._key, str(person_id).encode(), hashlib.sha256).hexdigest()[:16]


def _age(dob: dt.date | None, on: dt.date) -> int | None:
    if dob is None:
        return None
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def _day(value: dt.datetime | dt.date | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    return local(value).date()


class _Writer:
    """Buffers rows and writes them to one Parquet file as row groups."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.path, self.schema, self.rows, self.count = path, schema, [], 0
        self._writer = pq.ParquetWriter(path, schema, compression="zstd")

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self._writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.count += len(self.rows)
            self.rows = []

    def close(self) -> int:
        self.flush()
        self._writer.close()
        return self.count


def _s(name: str) -> pa.Field:
    return pa.field(name, pa.string())


def _d(name: str) -> pa.Field:
    return pa.field(name, pa.date32())


def _i(name: str) -> pa.Field:
    return pa.field(name, pa.int32())


SCHEMAS: dict[str, pa.Schema] = {
    "persons": pa.schema([_s("pid"), _s("sex"), _s("ethnicity"), _s("birth_month"), _s("district")]),
    "events": pa.schema(
        [
            _s("pid"),
            _s("item_type"),
            _s("agency_type"),
            _d("occurred_on"),
            _i("age"),
            pa.field("factors", pa.list_(pa.string())),
            _s("role"),
            _s("source"),
        ]
    ),  # fmt: skip
    "missing": pa.schema(
        [
            _s("pid"),
            _s("report"),
            pa.field("reported_at", pa.timestamp("s", tz="Europe/London")),
            _d("reported_on"),
            _d("returned_on"),
            _i("age"),
            pa.field("returned_at", pa.timestamp("s", tz="Europe/London")),
            _s("risk_grade"),
            _s("missing_from"),
            pa.field("found_out_of_area", pa.bool_()),
            pa.field("rhi_due_at", pa.timestamp("s", tz="Europe/London")),
            pa.field("rhi_offered_at", pa.timestamp("s", tz="Europe/London")),
            pa.field("rhi_held_at", pa.timestamp("s", tz="Europe/London")),
            _s("rhi_outcome"),
        ]
    ),  # fmt: skip
    "care_missing": pa.schema([_s("pid"), _s("missing_type"), _d("starts_on"), _d("ends_on"), _i("age")]),
    "contacts": pa.schema(
        [
            _s("pid"),
            _d("received_on"),
            _s("source"),
            _s("source_agency_type"),
            _s("district"),
            _s("pathway"),
            _i("age"),
        ]
    ),  # fmt: skip
    "screenings": pa.schema(
        [
            _s("pid"),
            _d("submitted_on"),
            _s("tool_code"),
            _s("final_level"),
            _i("level_rank"),
            _i("levels"),
            _i("age"),
        ]
    ),  # fmt: skip
    "nrm": pa.schema(
        [
            _s("pid"),
            _d("referred_on"),
            pa.field("exploitation_types", pa.list_(pa.string())),
            _s("referrer_agency_type"),
            _s("rg_decision"),
            _d("rg_decided_on"),
            _s("cg_decision"),
            _d("cg_decided_on"),
            _i("age"),
        ]
    ),  # fmt: skip
    "categories": pa.schema([_s("pid"), _s("category"), _s("agency_type"), _d("starts_on"), _d("ends_on")]),
    "lines": pa.schema(
        [
            _s("line"),
            _s("status"),
            _s("exporting_area"),
            pa.field("importing_towns", pa.list_(pa.string())),
            pa.field("other_force_areas", pa.list_(pa.string())),
            _d("first_seen"),
            _d("last_seen"),
        ]
    ),  # fmt: skip
    "operations": pa.schema(
        [
            _s("operation"),
            _d("started_on"),
            _d("ended_on"),
            _i("lines"),
            _i("warrants"),
            _i("arrests"),
            _i("charged"),
            _i("vulnerable_adults"),
            _i("children"),
        ]
    ),  # fmt: skip
}


def write_extract(
    directory: Path, pseudonym: Pseudonymiser, progress: Callable[[str, int], None] = lambda stage, pct: None
) -> dict[str, int]:
    """Write every table into `directory` (which must exist and be empty). Returns row counts."""
    from lantern.people.models import Person

    dobs = dict(
        Person.objects.filter(merged_into__isnull=True).values_list("id", "display_dob").iterator(CHUNK)
    )
    steps: list[tuple[str, Callable[[], Iterator[dict]]]] = [
        ("persons", lambda: _persons(pseudonym)),
        ("events", lambda: _events(pseudonym, dobs)),
        ("missing", lambda: _missing(pseudonym, dobs)),
        ("care_missing", lambda: _care_missing(pseudonym, dobs)),
        ("contacts", lambda: _contacts(pseudonym, dobs)),
        ("screenings", lambda: _screenings(pseudonym, dobs)),
        ("nrm", lambda: _nrm(pseudonym, dobs)),
        ("categories", lambda: _categories(pseudonym)),
        ("lines", lambda: _lines(pseudonym)),
        ("operations", _operations),
    ]
    counts = {}
    for i, (name, rows) in enumerate(steps):
        progress(f"Writing {name}", int(100 * i / len(steps)))
        writer = _Writer(directory / f"{name}.parquet", SCHEMAS[name])
        for row in rows():
            writer.add(row)
        counts[name] = writer.close()
    (directory / "manifest.json").write_text(
        json.dumps({"schema_version": SCHEMA_VERSION, "row_counts": counts}, indent=2)
    )
    return counts


def _persons(pid: Pseudonymiser) -> Iterable[dict]:
    from lantern.people.models import Person, SourceRecord

    # The latest ethnicity any agency recorded for the person (as the equality view reads it).
    ethnicity: dict = {}
    for person_id, value in (
        SourceRecord.objects.filter(person__isnull=False)
        .exclude(ethnicity="")
        .order_by("person_id", "received_at")
        .values_list("person_id", "ethnicity")
        .iterator(CHUNK)
    ):
        ethnicity[person_id] = value
    for person_id, sex, dob, district in (
        Person.objects.filter(merged_into__isnull=True)
        .values_list("id", "display_sex", "display_dob", "display_district")
        .iterator(CHUNK)
    ):
        yield {
            "pid": pid(person_id),
            "sex": sex or None,
            "ethnicity": ethnicity.get(person_id),
            "birth_month": f"{dob:%Y-%m}" if dob else None,
            "district": district or None,
        }


def _events(pid: Pseudonymiser, dobs: dict) -> Iterable[dict]:
    """Every timeline item; the details (JSON, costly to read) only of the types whose coded values
    the extract keeps."""
    from lantern.people.models import TimelineItem

    base = TimelineItem.objects.filter(person__merged_into__isnull=True)
    columns = ("person_id", "item_type", "controller__agency_type", "occurred_at")
    plain = base.exclude(item_type__in=_DETAIL_TYPES).values_list(*columns)
    detailed = base.filter(item_type__in=_DETAIL_TYPES).values_list(*columns, "details")
    for person_id, item_type, agency_type, occurred_at, *rest in chain(
        plain.iterator(CHUNK), detailed.iterator(CHUNK)
    ):
        day = _day(occurred_at)
        details = rest[0] if rest else None
        factors, role = [], None
        if details:
            event = identification_event("", item_type, agency_type or "", day, details)
            factors = [str(f) for f in details.get("factors") or []]
            if any(f.strip().lower() in CCE_TERMS for f in event.factors):
                factors.append(CCE_FACTOR)
            role = event.role or None
        yield {
            "pid": pid(person_id), "item_type": item_type, "agency_type": agency_type, "occurred_on": day,
            "age": _age(dobs.get(person_id), day), "factors": factors, "role": role,
            "source": str((details or {}).get("referral_source") or "") or None,
        }  # fmt: skip


def _missing(pid: Pseudonymiser, dobs: dict) -> Iterable[dict]:
    from lantern.missing.models import MissingReport

    rows = MissingReport.objects.filter(item__person__merged_into__isnull=True).values_list(
        "pk", "item__person_id", "reported_at", "returned_at", "risk_grade", "missing_from",
        "found_out_of_area", "rhi__due_at", "rhi__offered_at", "rhi__held_at", "rhi__outcome",
    )  # fmt: skip
    for (
        pk,
        person_id,
        reported,
        returned,
        grade,
        where,
        out_of_area,
        due,
        offered,
        held,
        outcome,
    ) in rows.iterator(CHUNK):
        yield {
            "pid": pid(person_id), "report": pid(f"missing:{pk}"), "reported_at": reported,
            "reported_on": _day(reported), "returned_on": _day(returned),
            "age": _age(dobs.get(person_id), _day(reported)), "returned_at": returned, "risk_grade": grade,
            "missing_from": where, "found_out_of_area": out_of_area, "rhi_due_at": due, "rhi_offered_at": offered,
            "rhi_held_at": held, "rhi_outcome": outcome or None,
        }  # fmt: skip


def _care_missing(pid: Pseudonymiser, dobs: dict) -> Iterable[dict]:
    from lantern.missing.models import CareMissingEpisode

    rows = CareMissingEpisode.objects.filter(item__person__merged_into__isnull=True).values_list(
        "item__person_id", "missing_type", "starts_on", "ends_on"
    )
    for person_id, kind, starts, ends in rows.iterator(CHUNK):
        yield {
            "pid": pid(person_id), "missing_type": kind, "starts_on": starts, "ends_on": ends,
            "age": _age(dobs.get(person_id), starts),
        }  # fmt: skip


def _contacts(pid: Pseudonymiser, dobs: dict) -> Iterable[dict]:
    from lantern.referrals.models import Contact

    rows = Contact.objects.filter(person__merged_into__isnull=True).values_list(
        "person_id",
        "received_at",
        "source",
        "source_agency__agency_type",
        "person__display_district",
        "pathway",
    )
    for person_id, received, source, agency_type, district, pathway in rows.iterator(CHUNK):
        day = _day(received)
        yield {
            "pid": pid(person_id), "received_on": day, "source": source, "source_agency_type": agency_type,
            "district": district or None, "pathway": pathway or None, "age": _age(dobs.get(person_id), day),
        }  # fmt: skip


def _screenings(pid: Pseudonymiser, dobs: dict) -> Iterable[dict]:
    from lantern.screening.models import Screening
    from lantern.screening.services import available_tools

    tools = available_tools()
    rows = Screening.objects.filter(person__merged_into__isnull=True, submitted_at__isnull=False).values_list(
        "person_id", "submitted_at", "tool_code", "tool_version", "final_level"
    )
    for person_id, submitted, code, version, level in rows.iterator(CHUNK):
        tool = tools.get((code, version))
        codes = [lv.code for lv in tool.levels] if tool else []
        day = _day(submitted)
        yield {
            "pid": pid(person_id), "submitted_on": day, "tool_code": code, "final_level": level,
            "level_rank": codes.index(level) if level in codes else None, "levels": len(codes),
            "age": _age(dobs.get(person_id), day),
        }  # fmt: skip


def _nrm(pid: Pseudonymiser, dobs: dict) -> Iterable[dict]:
    from lantern.plans.models import NrmReferral

    rows = NrmReferral.objects.filter(person__merged_into__isnull=True).values_list(
        "person_id", "referred_on", "controller__agency_type", "rg_decision", "rg_decided_on", "cg_decision",
        "cg_decided_on", "exploitation_types",
    )  # fmt: skip
    for person_id, referred, agency_type, rg, rg_on, cg, cg_on, types in rows.iterator(CHUNK):
        yield {
            "pid": pid(person_id), "referred_on": referred, "exploitation_types": [str(t) for t in types or []],
            "referrer_agency_type": agency_type,
            "rg_decision": rg or None, "rg_decided_on": rg_on, "cg_decision": cg or None, "cg_decided_on": cg_on,
            "age": _age(dobs.get(person_id), referred),
        }  # fmt: skip


def _categories(pid: Pseudonymiser) -> Iterable[dict]:
    from lantern.people.models import PersonCategory

    rows = PersonCategory.objects.filter(person__merged_into__isnull=True).values_list(
        "person_id", "category", "controller__agency_type", "starts_on", "ends_on"
    )
    for person_id, category, agency_type, starts, ends in rows.iterator(CHUNK):
        yield {
            "pid": pid(person_id), "category": category, "agency_type": agency_type, "starts_on": starts,
            "ends_on": ends,
        }  # fmt: skip


def _lines(pid: Pseudonymiser) -> Iterable[dict]:
    from django.db.models import Max, Min

    from lantern.lines.models import Line

    rows = Line.objects.annotate(
        first=Min("numbers__first_seen"), last=Max("numbers__last_seen")
    ).values_list("pk", "status", "exporting_area", "importing_towns", "other_force_areas", "first", "last")
    for pk, status, exporting, towns, forces, first, last in rows:
        yield {
            "line": pid(f"line:{pk}"), "status": status, "exporting_area": exporting or None,
            "importing_towns": [str(t) for t in towns or []], "other_force_areas": [str(f) for f in forces or []],
            "first_seen": first, "last_seen": last,
        }  # fmt: skip


def _operations() -> Iterable[dict]:
    from lantern.lines.models import Operation

    charged = Q(arrests__details__outcome__istartswith="charged")
    rows = Operation.objects.annotate(
        n_lines=Count("lines", distinct=True),
        n_arrests=Count("arrests", distinct=True),
        n_charged=Count("arrests", filter=charged, distinct=True),
        n_adults=Count("vulnerable_adults", distinct=True),
        n_children=Count("children_identified", distinct=True),
    ).values_list(
        "name", "started_on", "ended_on", "n_lines", "warrants_executed", "n_arrests", "n_charged", "n_adults",
        "n_children",
    )  # fmt: skip
    for name, started, ended, lines, warrants, arrests, charged_n, adults, children in rows:
        yield {
            "operation": name, "started_on": started, "ended_on": ended, "lines": lines, "warrants": warrants,
            "arrests": arrests, "charged": charged_n, "vulnerable_adults": adults, "children": children,
        }  # fmt: skip
