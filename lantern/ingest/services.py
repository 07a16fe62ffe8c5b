"""The import pipeline: store an agency's file, check it into a preview, then commit it.

1. `import_batch_create` streams the file to `DATA_DIR/imports/<batch id>/` (sha256 and size on the
   way) and records the batch. Nothing is parsed yet.
2. `import_batch_validate` streams the file through its format module (`lantern.ingest.formats`) and
   the format's within-file checks, quarantines refused rows with their messages, and compares every
   accepted row with what Lantern holds to build the preview: each record and each event is **new**,
   **updated** (the file says something different: the changed fields are listed) or **unchanged**;
   statutory rows may be **attached** to the agency's existing case record. Nothing is written to
   people data.
3. `import_batch_commit` compares again and, in ONE transaction, creates the new records and events
   through the collection services, corrects the updated ones and leaves the unchanged alone, with
   one audit row per service call plus one for the import. A failure (or a killed worker) rolls the
   whole commit back; the batch returns to "validated" and can be committed again.

Neither stage holds the file's rows: the check folds the accepted rows by identity into a staging file
on disk (`lantern.ingest.staging`), and both stages then compare (and the commit writes) a chunk of
`_PLAN_CHUNK` records or events at a time, records first. The commit reads the check's staging file
instead of parsing the upload again (unless the format's checks depend on what Lantern holds: SSDA903).

Identity (docs/data-formats.md "For the import pipeline"): a record is (uploading agency, source
system chosen on upload, `PersonPart.source_key`); an event is (controller = uploading agency,
`item_type`, `EventPart.event_key`). So re-importing a file changes nothing and a corrected file
changes exactly what it corrects. A file is the truth for the fields it carries: a blank cell clears
the stored value; fields a format does not carry (names in a statutory return) are never touched.

Statutory returns (SSDA903, CIN census) carry no names. Their rows attach to the record at their own
key if Lantern has one, else to the agency's record with the same LA child id (the case record, the
named one first); only when neither exists is a record created, stored without names (never a
placeholder) and linked to a person through its identifiers like any other record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from lantern.access.models import Agency
from lantern.access.policy import Viewer
from lantern.access.roles import Cap
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.exceptions import AccessDenied, LanternError, ValidationFailed
from lantern.core.timeutils import now
from lantern.ingest.formats import cin_census, generic, health, police, school_exclusions, ssda903
from lantern.ingest.formats.base import (
    EventPart,
    FieldError,
    FileRejected,
    ParsedRow,
    PersonPart,
    Result,
    RowRejected,
    fmt_date,
    fmt_datetime,
    write_quarantine,
)
from lantern.linkage.tasks import link_new_records_task
from lantern.people.keys import normalise_postcode
from lantern.people.models import SourceRecord, TimelineItem
from lantern.people.services import (
    ItemIn,
    RecordIn,
    RecordUpdate,
    item_problems,
    record_problems,
    source_records_collect,
    source_records_update,
    timeline_items_collect,
    timeline_items_update,
)

from .models import ImportBatch, QuarantinedRow, SavedMapping
from .staging import StagedEvent, StagedRecord, Staging, StagingWriter, Target

logger = logging.getLogger(__name__)

CHANGES_SHOWN = 200  # how many changed records/events the preview lists field by field
_CHUNK = 500  # keys per IN (...) query; quarantined rows per insert
_PLAN_CHUNK = 20_000  # records or events compared (and, committing, written) at a time
_PROGRESS_EVERY = 250  # rows
_SOURCE_SYSTEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,59}$")
_YEAR_IN_NAME = re.compile(r"(20\d{2})-(\d{2})")
ENCODINGS = {"utf-8": "UTF-8", "cp1252": "Windows-1252"}
MAPPING_MAX_BYTES = 256 * 1024

Progress = Callable[[int, int, int], None]  # rows read, bytes read, file size


class ImportFailed(LanternError):
    """A commit or check could not finish; the message is safe to show to the uploader."""


# --------------------------------------------------------------------------------- formats


_NAMES = frozenset({"given_name", "family_name"})
_STATUTORY_FIELDS = frozenset({"dob", "sex", "ethnicity", "upn", "la_child_id"})
_PERSON_TARGETS = ("given_name", "family_name", "dob", "sex", "ethnicity", "postcode", "upn", "nhs_number")
_PERSON_TARGETS += ("la_child_id", "police_id")


@dataclass(frozen=True)
class ImportFormat:
    """How the pipeline drives one format module, and which record fields its files carry."""

    code: str
    module: ModuleType
    statutory: bool  # a statutory return: no names, rows attach to the case record by LA child id
    person_fields: frozenset[str] | None  # None: from the generic column mapping
    tables: tuple[str, ...] = ()  # tables a user may name (else recognised from the header row)

    @property
    def label(self) -> str:
        return self.module.FORMAT.label

    @property
    def default_source_system(self) -> str:
        return self.module.FORMAT.source_system


FORMATS: dict[str, ImportFormat] = {
    f.code: f
    for f in (
        ImportFormat(
            "ssda903", ssda903, True, _STATUTORY_FIELDS, tuple(t.name for t in ssda903.FORMAT.tables)
        ),
        ImportFormat("cin_census", cin_census, True, _STATUTORY_FIELDS),
        ImportFormat(
            "school_exclusions",
            school_exclusions,
            False,
            frozenset({*_NAMES, "dob", "sex", "ethnicity", "postcode", "upn"}),
        ),
        ImportFormat(
            "police",
            police,
            False,
            frozenset({*_NAMES, "dob", "sex", "ethnicity", "postcode", "address", "nhs_number", "police_id"}),
            tuple(t.name for t in police.FORMAT.tables),
        ),
        ImportFormat(
            "health",
            health,
            False,
            frozenset({*_NAMES, "dob", "sex", "ethnicity", "postcode", "address", "nhs_number"}),
        ),
        ImportFormat("generic", generic, False, None),
    )
}


def _mapping(batch: ImportBatch) -> generic.ColumnMapping:
    return generic.ColumnMapping.from_json(batch.options["mapping"])


def _person_fields(batch: ImportBatch) -> frozenset[str]:
    fmt = FORMATS[batch.format_code]
    if fmt.person_fields is not None:
        return fmt.person_fields
    targets = set(_mapping(batch).columns.values())
    fields = {t for t in _PERSON_TARGETS if t in targets}
    if "address_line1" in targets:
        fields.add("address")
    return frozenset(fields)


def collection_year_from_name(filename: str) -> int | None:
    """903 files are named by collection year, e.g. 903_2023-24_Header.csv -> 2024."""
    match = _YEAR_IN_NAME.search(filename)
    if not match:
        return None
    start, end = int(match.group(1)), int(match.group(2))
    return start + 1 if (start + 1) % 100 == end else None


# --------------------------------------------------------------------------------- create


def _require_import(viewer: Viewer) -> None:
    if not viewer.can(Cap.IMPORT):
        raise AccessDenied("Your role does not include importing files.")


def _clean_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = re.sub(r"[\x00-\x1f\x7f]", "", base)
    return base[:255] or "upload"


def _store(chunks: Iterable[bytes], directory: Path, filename: str) -> tuple[Path, str, int]:
    """Write the chunks to `directory/upload<.suffix>`, hashing as they pass (never all in memory)."""
    directory.mkdir(parents=True, exist_ok=True)
    suffix = re.sub(r"[^a-z0-9]", "", Path(filename).suffix.lower())[:10]
    path = directory / (f"upload.{suffix}" if suffix else "upload")
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as out:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return path, digest.hexdigest(), size


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            yield chunk


def _options(
    fmt: ImportFormat, filename: str, collection_year: int | None, encoding: str, mapping_json: str | None
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    options: dict[str, Any] = {"encoding": encoding}
    if encoding not in ENCODINGS:
        errors["encoding"] = f"Choose one of {', '.join(ENCODINGS.values())}"
    if fmt.code == "ssda903":
        year = collection_year or collection_year_from_name(filename)
        if year is not None and not 2000 <= year <= 2100:
            errors["collection_year"] = "Enter a collection year between 2000 and 2100"
        options["collection_year"] = year
    if fmt.code == "generic":
        if not mapping_json:
            errors["mapping"] = "Select the column mapping for a generic CSV file"
        else:
            try:
                generic.ColumnMapping.from_json(mapping_json)
            except (ValueError, TypeError) as error:
                errors["mapping"] = f"The column mapping is not valid: {error}"
            options["mapping"] = mapping_json
    if errors:
        raise ValidationFailed(errors)
    return options


def import_batch_create(
    *,
    viewer: Viewer,
    format_code: str,
    uploaded_file: Any = None,
    path: Path | str | None = None,
    table: str | None = None,
    source_system: str = "",
    collection_year: int | None = None,
    encoding: str = "utf-8",
    mapping_json: str | None = None,
) -> ImportBatch:
    """Store a file for import (an upload's chunks, or a file on disk for the command line) and record
    the batch for the viewer's agency. Audited as a collection event (the file now sits in Lantern)."""
    _require_import(viewer)
    if (uploaded_file is None) == (path is None):
        raise ValueError("give exactly one of uploaded_file and path")
    errors: dict[str, str] = {}
    fmt = FORMATS.get(format_code)
    if fmt is None:
        raise ValidationFailed({"format_code": "Choose the file's format"})
    table = table or ""
    if table and table not in fmt.tables:
        errors["table"] = (
            f"{fmt.label} has no table {table!r}" if fmt.tables else f"{fmt.label} has only one table"
        )
    source_system = (source_system or "").strip() or fmt.default_source_system
    if not _SOURCE_SYSTEM.match(source_system):
        errors["source_system"] = (
            "Enter the source system using letters, digits, spaces, dots, hyphens or underscores "
            "(up to 60 characters)"
        )
    name = _clean_filename(uploaded_file.name if uploaded_file is not None else Path(path).name)
    if uploaded_file is not None and uploaded_file.size > settings.LANTERN_MAX_UPLOAD_BYTES:
        errors["file"] = (
            f"The selected file must be smaller than {settings.LANTERN_MAX_UPLOAD_BYTES // (1024 * 1024)} MB; "
            "load bigger files with manage.py import_file"
        )
    try:
        options = _options(fmt, name, collection_year, encoding, mapping_json)
    except ValidationFailed as error:
        errors.update(error.errors)
    if errors:
        raise ValidationFailed(errors)

    batch = ImportBatch(
        agency=viewer.agency,
        membership=viewer.membership,
        created_by=viewer.user,
        format_code=fmt.code,
        table=table,
        source_system=source_system,
        options=options,
        original_filename=name,
    )
    chunks = uploaded_file.chunks() if uploaded_file is not None else _file_chunks(Path(path))
    stored, batch.sha256, batch.size = _store(chunks, batch.directory, name)
    batch.stored_path = stored.relative_to(Path(settings.DATA_DIR)).as_posix()
    try:
        with transaction.atomic():
            batch.save(force_insert=True)
            audit_record(
                code=AuditCode.IMPORT_UPLOADED,
                viewer=viewer,
                object_type="import_batch",
                object_id=batch.pk,
                justification="File received from the agency for import (DPA 2018 s62 collection)",
                details={
                    "filename": name,
                    "format": fmt.code,
                    "table": table,
                    "source_system": source_system,
                    "size": batch.size,
                    "sha256": batch.sha256,
                },
            )
    except Exception:
        stored.unlink(missing_ok=True)
        raise
    return batch


def saved_mapping_save(*, viewer: Viewer, name: str, mapping_json: str) -> SavedMapping:
    """Keep a generic-CSV column mapping under a name for the viewer's agency (replacing one of the
    same name), so the next month's file needs no mapping upload. A mapping holds column names only."""
    _require_import(viewer)
    errors = {}
    if not name.strip():
        errors["save_mapping_as"] = "Enter a name for the column mapping"
    try:
        generic.ColumnMapping.from_json(mapping_json)
    except (ValueError, TypeError) as error:
        errors["mapping"] = f"The column mapping is not valid: {error}"
    if errors:
        raise ValidationFailed(errors)
    saved, _ = SavedMapping.objects.update_or_create(
        agency=viewer.agency,
        name=name.strip()[:100],
        defaults={"mapping_json": mapping_json, "saved_by": viewer.user},
    )
    return saved


def import_batch_queue(*, viewer: Viewer, batch: ImportBatch, action: str) -> ImportBatch:
    """Hand a check ("validate") or a commit ("commit") to the background worker
    (`manage.py db_worker`); the batch page shows it as queued until the worker starts it."""
    from . import tasks  # tasks import this module

    _require_import(viewer)
    if batch.agency_id != viewer.agency.pk:
        raise AccessDenied("This import belongs to another agency.")
    _require_files(batch)
    if action == "commit":
        if batch.status != ImportBatch.Status.VALIDATED and not (
            batch.status == ImportBatch.Status.COMMITTING and batch.is_stalled
        ):
            raise ValidationFailed({"status": "Only a checked file that is ready to commit can be committed"})
    elif action == "validate":
        if batch.status in (ImportBatch.Status.COMMITTED, ImportBatch.Status.COMMITTING):
            raise ValidationFailed({"status": "A committed file cannot be checked again; upload it again"})
        if batch.is_running and not batch.is_stalled:
            raise ValidationFailed({"status": "This file is already being checked"})
    else:
        raise ValueError(action)
    ImportBatch.objects.filter(pk=batch.pk).update(queued=action, error="", updated_at=now())
    batch.queued = action
    try:
        if action == "commit":
            tasks.import_commit_task.enqueue(str(batch.pk), viewer.membership.pk)
        else:
            tasks.import_validate_task.enqueue(str(batch.pk))
    except Exception:
        ImportBatch.objects.filter(pk=batch.pk, queued=action).update(queued="")
        raise
    batch.refresh_from_db()
    return batch


def _require_files(batch: ImportBatch) -> None:
    if batch.files_removed_at is not None:
        raise ValidationFailed(
            {
                "status": f"This file was removed on {batch.files_removed_at:%d/%m/%Y} under the import file "
                "retention rule; upload it again to check or commit it"
            }
        )


# --------------------------------------------------------------------------------- reading


def _reference(batch: ImportBatch, ref: str) -> str:
    """source_reference for a stored row: the batch, the file and the row ("file#table:row")."""
    prefix = f"import {batch.pk} "
    if len(prefix) + len(ref) <= 200:
        return prefix + ref
    file, _, where = ref.rpartition("#")
    keep = max(10, 200 - len(prefix) - len(where) - 2)
    return f"{prefix}{file[:keep]}…#{where}"[:200]


def _address_key(line1: str, postcode: str) -> tuple[str, str] | None:
    line1, postcode = line1.strip(), postcode.strip()
    return (line1, normalise_postcode(postcode)) if line1 and postcode else None


def _part_values(part: PersonPart, fields: frozenset[str]) -> dict[str, Any]:
    values = {
        "given_name": part.given_name.strip(),
        "family_name": part.family_name.strip(),
        "dob": part.dob,
        "sex": part.sex or "U",
        "ethnicity": part.ethnicity or "",
        "postcode": normalise_postcode(part.postcode) if part.postcode else "",
        "address": _address_key(part.address_line1, part.postcode),
        "upn": part.upn,
        "nhs_number": part.nhs_number,
        "la_child_id": part.la_child_id,
        "police_id": part.police_id,
    }
    return {f: values[f] for f in sorted(fields)}


def _record_values(record: SourceRecord, fields: frozenset[str]) -> dict[str, Any]:
    values = {
        "given_name": record.given_name,
        "family_name": record.family_name,
        "dob": record.dob,
        "sex": record.sex or "U",
        "ethnicity": record.ethnicity or "",
        "postcode": record.postcode,
        "address": (record.address.line1, record.address.postcode) if record.address_id else None,
        "upn": record.upn,
        "nhs_number": record.nhs_number,
        "la_child_id": record.la_child_id,
        "police_id": record.police_id,
    }
    return {f: values[f] for f in sorted(fields)}


def _record_in(batch: ImportBatch, key: str, part: PersonPart, ref: str) -> RecordIn:
    address = _address_key(part.address_line1, part.postcode)
    return RecordIn(
        agency_code=batch.agency.code,
        source_system=batch.source_system,
        source_key=key,
        given_name=part.given_name,
        family_name=part.family_name,
        dob=part.dob,
        sex=part.sex or "U",
        ethnicity=part.ethnicity,
        address={"line1": address[0], "town": part.address_town.strip(), "postcode": address[1]}
        if address
        else None,
        postcode=part.postcode,
        upn=part.upn,
        nhs_number=part.nhs_number,
        la_child_id=part.la_child_id,
        police_id=part.police_id,
        source_reference=_reference(batch, ref) if ref else "",
    )


def _item_in(batch: ImportBatch, record_key: tuple[str, str, str], part: EventPart, ref: str) -> ItemIn:
    """The item for an event; a staged event's details are already what a JSONField gives back."""
    return ItemIn(
        record_key=record_key,
        item_type=part.item_type,
        controller_code=batch.agency.code,
        purpose=part.purpose,
        occurred_at=part.occurred_at,
        summary=part.summary,
        handling_code=part.handling_code,
        details=part.details,
        event_key=part.event_key,
        source_reference=_reference(batch, ref) if ref else "",
    )


def _known_children(batch: ImportBatch) -> dict[str, dt.date | None] | None:
    """CHILD -> DOB for the 903 cross-row rules: children Lantern already holds for this agency (at
    the batch's key, or a record with that LA child id), so an Episodes or Missing file can be
    checked after its Header file was committed."""
    known: dict[str, dt.date | None] = {}
    for la_id, dob in (
        SourceRecord.objects.filter(agency=batch.agency)
        .exclude(la_child_id="")
        .order_by("-received_at", "id")
        .values_list("la_child_id", "dob")
    ):
        known.setdefault(la_id, dob)
    known.update(
        SourceRecord.objects.filter(agency=batch.agency, source_system=batch.source_system).values_list(
            "source_key", "dob"
        )
    )
    return known or None


# Formats whose within-file checks read what Lantern holds (the 903 cross-row rules check rows against
# the children already held): their commit reads the file again rather than trusting the check's
# staging, in case a Header file was committed in between.
_CHECKS_READ_LANTERN = frozenset({"ssda903"})


def _results(batch: ImportBatch, fh: IO[bytes]) -> Iterator[Result]:
    """The format's parse + within-file checks (raises FileRejected for a refused file)."""
    name, options = batch.original_filename, batch.options
    encoding = options.get("encoding", "utf-8")
    table = batch.table or None
    if batch.format_code == "ssda903":
        results = ssda903.parse(
            fh, filename=name, table=table, collection_year=options.get("collection_year"), encoding=encoding
        )
        return ssda903.ReturnValidator(known_children=_known_children(batch)).check(results)
    if batch.format_code == "police":
        return police.validate_file(police.parse(fh, filename=name, table=table, encoding=encoding))
    if batch.format_code == "generic":
        mapping = _mapping(batch)
        return generic.validate_file(
            generic.parse(fh, filename=name, mapping=mapping, encoding=encoding), mapping
        )
    module = FORMATS[batch.format_code].module
    return module.validate_file(module.parse(fh, filename=name, encoding=encoding))


_SERVICE_FIELD = {"name": "given_name / family_name", "agency_code": "(agency)", "controller": "(agency)"}


def _service_check(batch: ImportBatch, result: ParsedRow, agencies: dict[str, Agency]) -> Result:
    """The collection services' own rules, applied row by row so a commit never fails on them."""
    errors: list[FieldError] = []
    statutory = FORMATS[batch.format_code].statutory
    if result.person is not None:
        # No reference: the rules do not read it, and the check runs on every row.
        rec = _record_in(batch, result.person.source_key, result.person, "")
        for name, message in record_problems(rec, agencies=agencies, names_optional=statutory).items():
            value = getattr(rec, name, "") if name in ("dob", "sex", "ethnicity", "nhs_number") else ""
            errors.append(
                FieldError(
                    result.row,
                    _SERVICE_FIELD.get(name, name),
                    "" if value is None else str(value),
                    f"a value Lantern can store ({message})",
                    "LAN-STORE",
                    result.file,
                )
            )
    for part in result.events:
        item = _item_in(batch, ("", "", ""), part, "")  # the rules read neither details nor reference
        for name, message in item_problems(item, agencies=agencies).items():
            errors.append(
                FieldError(
                    result.row,
                    _SERVICE_FIELD.get(name, name),
                    str(getattr(item, name, "")),
                    f"a value Lantern can store ({message})",
                    "LAN-STORE",
                    result.file,
                )
            )
    if errors:
        return RowRejected(result.row, result.file, result.table, tuple(errors), result.raw)
    return result


def _stage(
    batch: ImportBatch,
    *,
    on_reject: Callable[[RowRejected], None],
    progress: Callable[[int, int], None] | None = None,
) -> Staging:
    """Stream the stored file once: accepted rows are folded by identity into a new staging file on
    disk, refused rows handed on. Returns the staging file, open; its `meta` has the row counts."""
    counts = {"rows": 0, "accepted": 0, "rejected": 0, "noted": 0}
    agencies = {batch.agency.code: batch.agency}
    writer = StagingWriter(batch.staging_path)
    try:
        with batch.file_path.open("rb") as fh:
            for result in _results(batch, fh):
                counts["rows"] += 1
                if isinstance(result, ParsedRow):
                    result = _service_check(batch, result, agencies)
                if isinstance(result, RowRejected):
                    counts["rejected"] += 1
                    on_reject(result)
                else:
                    counts["accepted"] += 1
                    counts["noted"] += bool(result.notes)
                    writer.add(result)
                if progress and counts["rows"] % _PROGRESS_EVERY == 0:
                    progress(counts["rows"], fh.tell())
            if progress:
                progress(counts["rows"], fh.tell())
        writer.finish({"sha256": batch.sha256, **counts})
    except BaseException:
        writer.abort()
        raise
    return Staging(batch.staging_path)


# --------------------------------------------------------------------------------- comparing


@dataclass
class _RecordPlan:
    key: str
    row: int
    ref: str
    part: PersonPart | None
    status: str  # new / updated / unchanged / attached
    target: SourceRecord | None
    changes: dict[str, tuple[Any, Any]]  # field -> (stored, file)

    @property
    def resolved(self) -> Target:
        if self.target is None:
            return Target(None, "", "")
        return Target(self.target.pk, self.target.source_system, self.target.source_key)


@dataclass
class _EventPlan:
    staged: StagedEvent
    target: Target
    status: str  # new / updated / unchanged
    stored_id: int | None
    changes: dict[str, tuple[Any, Any]]
    decoded: EventPart | None = None  # when the comparison needed it

    @property
    def part(self) -> EventPart:
        if self.decoded is None:
            self.decoded = self.staged.part()
        return self.decoded


class _Outcome:
    """Counts and the preview's differences, gathered chunk by chunk: of the differences only the
    first CHANGES_SHOWN of each kind (by row) are kept, never all of them."""

    def __init__(self, meta: dict[str, Any]):
        self.read = {name: int(meta[name]) for name in ("rows", "accepted", "rejected", "noted")}
        self.records = {"new": 0, "updated": 0, "unchanged": 0, "attached": 0}
        self.events = {"new": 0, "updated": 0, "unchanged": 0}
        self.record_changes: list[tuple[int, str, dict[str, Any]]] = []
        self.event_changes: list[tuple[int, str, dict[str, Any]]] = []
        self.created = array("q")  # ids of the records a commit created, for identity resolution
        self.changed_missing: list[int] = []  # ids of updated missing-episode events (a commit)

    def add_records(self, plans: list[_RecordPlan]) -> None:
        for plan in plans:
            if plan.part is not None:  # records the file carries (not those its events only refer to)
                self.records[plan.status] += 1
            if plan.changes and plan.status in ("updated", "attached"):
                change = _change("record", plan.status, plan.key, plan.row, plan.changes)
                _keep_first(self.record_changes, (plan.row, plan.key, change))

    def add_events(self, plans: list[_EventPlan]) -> None:
        for event in plans:
            self.events[event.status] += 1
            if event.status == "updated":
                staged = event.staged
                change = _change("event", "updated", staged.event_key, staged.row, event.changes)
                _keep_first(
                    self.event_changes, (staged.row, f"{staged.item_type}\x1f{staged.event_key}", change)
                )

    def counts(self) -> dict[str, Any]:
        read = self.read
        return {
            "rows": read["rows"],
            "accepted": read["accepted"],
            "rejected": read["rejected"],
            "notes": read["noted"],
            "records": dict(self.records),
            "events": dict(self.events),
        }

    def change_sample(self) -> list[dict[str, Any]]:
        records = [c for _row, _key, c in sorted(self.record_changes, key=lambda c: c[:2])]
        events = [c for _row, _key, c in sorted(self.event_changes, key=lambda c: c[:2])]
        return (records + events)[:CHANGES_SHOWN]


def _keep_first(kept: list[tuple[int, str, dict[str, Any]]], change: tuple[int, str, dict[str, Any]]) -> None:
    kept.append(change)
    if len(kept) >= 4 * CHANGES_SHOWN:
        kept.sort(key=lambda c: c[:2])
        del kept[CHANGES_SHOWN:]


def _show(value: Any) -> str:
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, dt.datetime):
        return fmt_datetime(value)
    if isinstance(value, dt.date):
        return fmt_date(value)
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)[:200]
    return str(value)[:200]


def _change(
    kind: str, status: str, key: str, row: int, changes: dict[str, tuple[Any, Any]]
) -> dict[str, Any]:
    return {
        "kind": kind,
        "status": status,
        "key": key,
        "row": row,
        "fields": [
            {"field": name, "stored": _show(old), "file": _show(new)} for name, (old, new) in changes.items()
        ],
    }


def _chunks(values: Iterable[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _stored_records(
    batch: ImportBatch, keys: list[str]
) -> tuple[dict[str, SourceRecord], dict[str, SourceRecord]]:
    """Records at the batch's own keys, and (statutory returns) the agency's records by LA child id."""
    exact: dict[str, SourceRecord] = {}
    for chunk in _chunks(keys):
        for record in SourceRecord.objects.filter(
            agency=batch.agency, source_system=batch.source_system, source_key__in=chunk
        ).select_related("address", "agency"):
            exact[record.source_key] = record
    attach: dict[str, SourceRecord] = {}
    if FORMATS[batch.format_code].statutory:
        wanted = [key for key in keys if key not in exact]
        for chunk in _chunks(wanted):
            candidates = SourceRecord.objects.filter(
                agency=batch.agency, la_child_id__in=chunk
            ).select_related("address", "agency")
            # The case record: a named one first, then the most recently received.
            for record in sorted(
                candidates,
                key=lambda r: (not (r.given_name or r.family_name), -r.received_at.timestamp(), r.pk),
            ):
                attach.setdefault(record.la_child_id, record)
    return exact, attach


def _diff_records(batch: ImportBatch, chunk: list[StagedRecord], fields: frozenset[str]) -> list[_RecordPlan]:
    """Compare a chunk of folded records with what Lantern holds (read only)."""
    exact, attach = _stored_records(batch, [staged.key for staged in chunk])
    plans: list[_RecordPlan] = []
    for staged in chunk:
        key, part = staged.key, staged.part
        target = exact.get(key) or attach.get(key)
        if target is None:
            if part is None:
                raise ImportFailed(
                    f"No record for {key} is held any more; check the file again before committing"
                )
            plans.append(_RecordPlan(key, staged.row, staged.ref, part, "new", None, {}))
            continue
        changes: dict[str, tuple[Any, Any]] = {}
        if part is not None:
            stored, incoming = _record_values(target, fields), _part_values(part, fields)
            changes = {f: (stored[f], incoming[f]) for f in incoming if stored[f] != incoming[f]}
        # An attached case record belongs to the case system: a statutory return never rewrites it.
        status = ("updated" if changes else "unchanged") if key in exact else "attached"
        plans.append(_RecordPlan(key, staged.row, staged.ref, part, status, target, changes))
    return plans


def _diff_events(batch: ImportBatch, chunk: list[StagedEvent]) -> list[_EventPlan]:
    """Compare a chunk of folded events with what Lantern holds (read only); their records were
    compared (resolved) before."""
    by_type: dict[str, list[str]] = {}
    for staged in chunk:
        by_type.setdefault(staged.item_type, []).append(staged.event_key)
    stored_events: dict[tuple[str, str], dict[str, Any]] = {}
    for item_type, event_keys in by_type.items():
        # All three columns of the unique index: without the type, each lookup would scan every
        # event the agency holds.
        for keys in _chunks(event_keys):
            for item in TimelineItem.objects.filter(
                controller=batch.agency, item_type=item_type, event_key__in=keys
            ).values(
                "id",
                "item_type",
                "event_key",
                "occurred_at",
                "summary",
                "details",
                "purpose",
                "handling_code",
                "source_record_id",
            ):
                stored_events[(item["item_type"], item["event_key"])] = item
    plans: list[_EventPlan] = []
    for staged in chunk:
        target = staged.target
        if target is None:  # every key a row refers to is compared before the events
            raise ImportFailed(f"The record {staged.record_key} of row {staged.row} was not compared")
        stored = stored_events.get((staged.item_type, staged.event_key))
        if stored is None:
            plans.append(_EventPlan(staged, target, "new", None, {}))
            continue
        part = staged.part()
        incoming = {
            "occurred_at": part.occurred_at,
            "summary": part.summary[:300],
            "purpose": part.purpose,
            "handling_code": part.handling_code,
        }
        changes = {f: (stored[f], v) for f, v in incoming.items() if stored[f] != v}
        old_details, new_details = stored["details"] or {}, part.details
        for name in sorted(set(old_details) | set(new_details)):
            if old_details.get(name) != new_details.get(name):
                changes[f"details.{name}"] = (old_details.get(name), new_details.get(name))
        if target.record_id is None or stored["source_record_id"] != target.record_id:
            changes["record"] = (
                stored["source_record_id"],
                target.record_id if target.record_id is not None else f"new record {staged.record_key}",
            )
        status = "updated" if changes else "unchanged"
        plans.append(_EventPlan(staged, target, status, stored["id"], changes, part))
    return plans


def _compare(
    batch: ImportBatch,
    staging: Staging,
    *,
    plan: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> _Outcome:
    """Compare the staged records, then events, with what Lantern holds, a chunk at a time (read
    only). What each record key resolved to is remembered for its events; with `plan` (a commit)
    the events to write are remembered too. `progress(done, total)` counts records and events."""
    fields = _person_fields(batch)
    outcome = _Outcome(staging.meta)
    total, done = sum(staging.size()), 0
    for records in staging.records(_PLAN_CHUNK):
        record_plans = _diff_records(batch, records, fields)
        staging.resolve([(p.key, p.resolved, p.status, tuple(p.changes)) for p in record_plans])
        outcome.add_records(record_plans)
        done += len(records)
        if progress:
            progress(done, total)
    for events in staging.events(_PLAN_CHUNK):
        event_plans = _diff_events(batch, events)
        if plan:
            staging.plan_events(
                [(e.staged.item_type, e.staged.event_key, e.status, e.stored_id)
                 for e in event_plans if e.status != "unchanged"]
            )  # fmt: skip
        outcome.add_events(event_plans)
        done += len(events)
        if progress:
            progress(done, total)
    return outcome


def _write(
    batch: ImportBatch,
    staging: Staging,
    outcome: _Outcome,
    viewer: Viewer,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write what `_compare(plan=True)` found new or updated, a chunk at a time, records first (their
    events need them). The caller holds the transaction. Every lookup was made before this first
    write: lookups among rows this transaction is still writing would go without the database's
    statistics (PostgreSQL then scans, for each chunk, every event the agency holds)."""
    from lantern.missing.services import MISSING_ITEM_TYPES

    total, done = sum(staging.to_write()), 0
    for rows in staging.records_to_write(_PLAN_CHUNK):
        outcome.created.extend(_apply_records(batch, rows, viewer))
        done += len(rows)
        if progress:
            progress(done, total)
    for rows in staging.events_to_write(_PLAN_CHUNK):
        event_plans = [_EventPlan(e, e.target, status, stored_id, {}) for e, status, stored_id in rows]
        _apply_events(batch, event_plans, viewer)
        outcome.changed_missing.extend(
            e.stored_id
            for e in event_plans
            if e.status == "updated" and e.stored_id and e.staged.item_type in MISSING_ITEM_TYPES
        )
        done += len(rows)
        if progress:
            progress(done, total)


# --------------------------------------------------------------------------------- validate


class _Quarantine:
    """Refused rows, written to the database in chunks as they are found."""

    def __init__(self, batch: ImportBatch):
        self.batch = batch
        self.buffer: list[QuarantinedRow] = []

    def add(self, rejection: RowRejected) -> None:
        self.buffer.append(
            QuarantinedRow(
                batch=self.batch,
                row=rejection.row,
                table=rejection.table,
                errors=[
                    {
                        "field": e.field,
                        "value": e.value,
                        "expected": e.expected,
                        "rule": e.rule,
                        "message": e.message,
                    }
                    for e in rejection.errors
                ],
                raw=dict(rejection.raw),
            )
        )
        if len(self.buffer) >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        QuarantinedRow.objects.bulk_create(self.buffer, batch_size=_CHUNK)
        self.buffer = []


def _rejections(batch: ImportBatch) -> Iterator[RowRejected]:
    for q in batch.quarantined_rows.order_by("row", "id").iterator(chunk_size=_CHUNK):
        yield RowRejected(
            q.row,
            batch.original_filename,
            q.table,
            tuple(
                FieldError(q.row, e["field"], e["value"], e["expected"], e["rule"], batch.original_filename)
                for e in q.errors
            ),
            q.raw,
        )


def _write_report(batch: ImportBatch) -> None:
    tmp = batch.quarantine_path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as out:
        write_quarantine(_rejections(batch), out)
    os.replace(tmp, batch.quarantine_path)


def _uploader(batch: ImportBatch) -> Viewer | None:
    membership = batch.membership
    if membership is None or not membership.is_active:
        return None
    return Viewer(user=membership.user, membership=membership)


def import_batch_validate(
    batch: ImportBatch, *, viewer: Viewer | None = None, progress: Progress | None = None
) -> ImportBatch:
    """Check the stored file and build the preview (nothing is written to people data). The check
    runs on behalf of the uploader (or `viewer`); its outcome is one audit row. The folded rows stay
    in the batch's staging file for the commit."""
    batch = ImportBatch.objects.select_related("agency", "membership__user", "membership__team__agency").get(
        pk=batch.pk
    )
    if batch.status in (ImportBatch.Status.COMMITTING, ImportBatch.Status.COMMITTED):
        raise ValidationFailed({"status": "A committed file cannot be checked again; upload it again"})
    _require_files(batch)
    actor = viewer or _uploader(batch)
    system_actor = "" if actor else "ingest"
    batch.status, batch.queued, batch.error = ImportBatch.Status.VALIDATING, "", ""
    batch.counts, batch.changes, batch.rows_processed, batch.bytes_processed = {}, [], 0, 0
    batch.save()
    batch.quarantined_rows.all().delete()
    batch.quarantine_path.unlink(missing_ok=True)
    batch.staging_path.unlink(missing_ok=True)

    def tick(rows: int, position: int) -> None:
        ImportBatch.objects.filter(pk=batch.pk).update(
            rows_processed=rows, bytes_processed=position, updated_at=now()
        )
        if progress:
            progress(rows, position, batch.size)

    def heartbeat(done: int, total: int) -> None:  # comparing: the page still shows the rows read
        ImportBatch.objects.filter(pk=batch.pk).update(updated_at=now())

    quarantine = _Quarantine(batch)
    staging: Staging | None = None
    try:
        staging = _stage(batch, on_reject=quarantine.add, progress=tick)
        quarantine.flush()
        outcome = _compare(batch, staging, progress=heartbeat)
        _write_report(batch)
    except FileRejected as rejected:
        batch.quarantined_rows.all().delete()
        batch.staging_path.unlink(missing_ok=True)
        messages = [e.message for e in rejected.errors]
        with transaction.atomic():
            batch.status, batch.error = ImportBatch.Status.REJECTED_FILE, "\n".join(messages)
            batch.counts = {}
            batch.save()
            audit_record(
                code=AuditCode.IMPORT_VALIDATED,
                viewer=actor,
                system_actor=system_actor,
                object_type="import_batch",
                object_id=batch.pk,
                justification="Checking a file received for import",
                details={"outcome": "rejected_file", "errors": messages[:20]},
            )
        return batch
    except Exception as error:
        logger.exception("import %s: the check failed", batch.pk)
        batch.quarantined_rows.all().delete()
        batch.staging_path.unlink(missing_ok=True)
        batch.status = ImportBatch.Status.FAILED
        batch.error = (
            str(error)
            if isinstance(error, LanternError)
            else f"The check stopped unexpectedly ({type(error).__name__}). Try again; if it fails again, "
            "ask your Lantern administrator to look at the server log."
        )
        batch.save()
        return batch
    finally:
        if staging is not None:
            staging.close()

    with transaction.atomic():
        batch.status, batch.validated_at = ImportBatch.Status.VALIDATED, now()
        batch.counts, batch.changes = outcome.counts(), outcome.change_sample()
        batch.rows_processed, batch.bytes_processed = outcome.read["rows"], batch.size
        batch.save()
        audit_record(
            code=AuditCode.IMPORT_VALIDATED,
            viewer=actor,
            system_actor=system_actor,
            object_type="import_batch",
            object_id=batch.pk,
            justification="Checking a file received for import",
            details={"outcome": "validated", **batch.counts},
        )
    return batch


# --------------------------------------------------------------------------------- commit


def _write_progress(batch: ImportBatch, stage: str, rows: int, position: int) -> None:
    """Commit progress goes to a small file beside the upload: the commit's own transaction hides
    its database writes until it ends, so the batch page reads this instead."""
    tmp = batch.progress_path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(
            {"stage": stage, "rows": rows, "bytes": position, "size": batch.size, "at": now().isoformat()}
        ),
        encoding="utf-8",
    )
    os.replace(tmp, batch.progress_path)


def read_progress(batch: ImportBatch) -> dict[str, Any]:
    """Rows read (or, writing, records and events done), an estimate of how far through (percent)
    and the stage, for the page."""
    rows, position, stage = batch.rows_processed, batch.bytes_processed, "checking"
    if batch.status == ImportBatch.Status.COMMITTING:
        stage, rows, position = "committing", 0, 0
        try:
            data = json.loads(batch.progress_path.read_text(encoding="utf-8"))
            stage, rows, position = data["stage"], data["rows"], data["bytes"]
        except (OSError, ValueError, KeyError):
            pass
    percent = 100 if not batch.size else min(100, round(100 * position / batch.size))
    return {"stage": stage, "rows": rows, "percent": percent}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    for chunk in _file_chunks(path):
        digest.update(chunk)
    return digest.hexdigest()


def _apply_records(
    batch: ImportBatch, rows: list[tuple[StagedRecord, Target, str, frozenset[str]]], viewer: Viewer
) -> list[int]:
    """Write a chunk of new and updated records (record, target, status, changed fields) through the
    people services (the caller holds the transaction). Returns the ids of the records it created."""
    reference = f"import {batch.pk}"
    statutory = FORMATS[batch.format_code].statutory
    created: list[int] = []
    new = [
        _record_in(batch, r.key, r.part, r.ref) for r, _t, status, _c in rows if status == "new" and r.part
    ]
    if new:
        created = [
            row.pk
            for row in source_records_collect(
                records=new, source_reference=reference, viewer=viewer, names_optional=statutory
            )
        ]
    updates = [
        RecordUpdate(target.record_id, _record_in(batch, r.key, r.part, r.ref), changed)
        for r, target, status, changed in rows
        if status == "updated" and target.record_id is not None and r.part is not None
    ]
    if updates:
        source_records_update(
            updates=updates, source_reference=reference, viewer=viewer, names_optional=statutory
        )
    return created


def _apply_events(batch: ImportBatch, plans: list[_EventPlan], viewer: Viewer) -> None:
    """Write a chunk of compared events (their records are written already)."""
    reference = f"import {batch.pk}"

    def identity(event: _EventPlan) -> tuple[str, str, str]:
        if event.target.record_id is None:  # a record this batch created, at the batch's own key
            return (batch.agency.code, batch.source_system, event.staged.record_key)
        return (batch.agency.code, event.target.source_system, event.target.source_key)

    new = [e for e in plans if e.status == "new"]
    if new:
        timeline_items_collect(
            items=[_item_in(batch, identity(e), e.part, e.staged.ref) for e in new],
            source_reference=reference,
            viewer=viewer,
        )
    changed = [e for e in plans if e.status == "updated" and e.stored_id is not None]
    if changed:
        timeline_items_update(
            updates=[(e.stored_id, _item_in(batch, identity(e), e.part, e.staged.ref)) for e in changed],
            source_reference=reference,
            viewer=viewer,
        )


def _derive_practice(batch: ImportBatch, changed_missing: list[int], last_item_before: int) -> None:
    """Missing episodes and alerts from what this batch added or changed, in the same transaction."""
    from lantern.alerts.services import alerts_refresh
    from lantern.lines.services import lines_derive
    from lantern.missing.services import missing_derive
    from lantern.networks.services import network_derive

    persons = missing_derive(
        after_item_id=last_item_before, item_ids=changed_missing, system_actor=f"import {batch.pk}"
    )
    # The association map and the lines register from the batch's police records.
    network_derive(after_item_id=last_item_before, system_actor=f"import {batch.pk}")
    lines_derive(system_actor=f"import {batch.pk}")
    alerts_refresh(person_ids=persons)


def _staging_for_commit(
    batch: ImportBatch, preview_rejected: int, progress: Callable[[int, int], None]
) -> Staging:
    """The check's staging file when it is complete and of this file, else the file read again (then
    the same rows must be rejected as in the preview)."""
    if batch.format_code not in _CHECKS_READ_LANTERN:
        staging = Staging.open(batch.staging_path)
        if staging is not None:
            meta = staging.meta
            if (meta.get("sha256"), meta.get("rows"), meta.get("rejected")) == (
                batch.sha256,
                batch.counts.get("rows"),
                preview_rejected,
            ):
                return staging
            staging.close()
    staging = _stage(batch, on_reject=lambda _rejection: None, progress=progress)
    if staging.meta["rejected"] != preview_rejected:
        staging.close()
        raise ImportFailed(
            "What Lantern holds has changed since this file was checked "
            f"({staging.meta['rejected']} rows would now be rejected, not {preview_rejected}); check it again"
        )
    return staging


def import_batch_commit(
    batch: ImportBatch, *, viewer: Viewer, progress: Progress | None = None, link_new: bool = True
) -> ImportBatch:
    """Write a checked file into Lantern in one transaction (see the module docstring). Committing
    a committed batch does nothing. On any failure nothing is written and the batch is back to
    "validated" with the reason; raises ImportFailed."""
    _require_import(viewer)
    batch = ImportBatch.objects.select_related("agency").get(pk=batch.pk)
    if batch.agency_id != viewer.agency.pk:
        raise AccessDenied("This import belongs to another agency.")
    if batch.status == ImportBatch.Status.COMMITTED:
        return batch
    if batch.status not in (ImportBatch.Status.VALIDATED, ImportBatch.Status.COMMITTING):
        raise ValidationFailed({"status": "Only a checked file that is ready to commit can be committed"})
    _require_files(batch)
    preview_rejected = batch.rejected_count
    batch.status, batch.queued, batch.error = ImportBatch.Status.COMMITTING, "", ""
    batch.save()

    def reading(rows: int, position: int) -> None:
        _write_progress(batch, "reading", rows, position)
        if progress:
            progress(rows, position, batch.size)

    def stage(name: str) -> Callable[[int, int], None]:
        def tick(done: int, total: int) -> None:
            # Through the records and events rather than the file: the bar restarts for each stage.
            position = batch.size * done // total if total else batch.size
            _write_progress(batch, name, done, position)
            if progress:
                progress(done, position, batch.size)

        return tick

    comparing, writing = stage("comparing"), stage("writing")

    staging: Staging | None = None
    try:
        if _sha256(batch.file_path) != batch.sha256:
            raise ImportFailed("The stored file has changed since it was uploaded; upload it again")
        staging = _staging_for_commit(batch, preview_rejected, reading)
        comparing(0, 1)
        with transaction.atomic():
            locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
            if locked.status == ImportBatch.Status.COMMITTED:  # another worker got there first
                return locked
            last_item = TimelineItem.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            outcome = _compare(batch, staging, plan=True, progress=comparing)
            _write(batch, staging, outcome, viewer, progress=writing)
            _derive_practice(batch, outcome.changed_missing, last_item)
            created = outcome.created
            if created and link_new:  # identity resolution of the new records, once they are committed
                transaction.on_commit(
                    lambda: link_new_records_task.enqueue(created.tolist(), viewer.membership.pk)
                )
            counts = outcome.counts()
            audit_record(
                code=AuditCode.IMPORT_COMMITTED,
                viewer=viewer,
                object_type="import_batch",
                object_id=batch.pk,
                justification="Agency data committed to Lantern (DPA 2018 s62 collection)",
                details={"filename": batch.original_filename, "format": batch.format_code, **counts},
            )
            locked.status, locked.counts, locked.changes = (
                ImportBatch.Status.COMMITTED,
                counts,
                outcome.change_sample(),
            )
            locked.committed_at, locked.committed_by, locked.error = now(), viewer.user, ""
            locked.save()
    except Exception as error:
        message = (
            str(error)
            if isinstance(error, LanternError)
            else f"The commit stopped unexpectedly ({type(error).__name__}); nothing was written. "
            "Try again; if it fails again, ask your Lantern administrator to look at the server log."
        )
        if not isinstance(error, LanternError):
            logger.exception("import %s: the commit failed", batch.pk)
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.VALIDATED, error=message, updated_at=now()
        )
        batch.progress_path.unlink(missing_ok=True)
        raise ImportFailed(message) from error
    finally:
        if staging is not None:
            staging.close()
    batch.progress_path.unlink(missing_ok=True)
    batch.staging_path.unlink(missing_ok=True)  # its rows are in Lantern now
    return locked


# ------------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class FilesExpired:
    removed: list[ImportBatch]  # batches whose files were removed by this run
    kept_running: int  # past the cut-off but checking, committing or queued: never removed mid-run
    swept: int  # directories left behind by an earlier run (removal failed after it was recorded)
    days: int  # the retention period applied


def _remove_directory(batch: ImportBatch) -> None:
    shutil.rmtree(batch.directory, ignore_errors=True)
    if batch.directory.exists():  # the next run sweeps it again
        logger.error("Import %s: could not remove %s", batch.pk, batch.directory)


def import_files_expire(
    *, days: int | None = None, at: dt.datetime | None = None, dry_run: bool = False
) -> FilesExpired:
    """Remove what an import keeps of the agency's file once it is no longer needed: the stored
    upload, the staging and progress files, the quarantine report, the rejected rows and the sample
    of changes (all of which hold personal data as the agency sent it). What the file brought into
    Lantern is untouched; the batch keeps its counts, name, size and SHA-256, and each record its
    source reference. A batch qualifies when nothing has happened to it for `days`
    (LANTERN_IMPORT_FILE_RETENTION_DAYS); one that is checking, committing or queued is left alone.
    Each removal is recorded on the batch and audited (509) before its directory is deleted, so a
    crash in between leaves a directory that the next run sweeps, never a batch that looks intact
    without its file."""
    days = settings.LANTERN_IMPORT_FILE_RETENTION_DAYS if days is None else days
    if days < 1:
        raise ValidationFailed({"days": "Keep import files for at least 1 day"})
    cutoff = (at or now()) - dt.timedelta(days=days)
    due = ImportBatch.objects.filter(files_removed_at__isnull=True, updated_at__lt=cutoff)
    due = due.select_related("agency").order_by("created_at")
    in_hand = Q(status__in=ImportBatch.RUNNING) | ~Q(queued="")
    running = due.filter(in_hand).count()
    batches = list(due.exclude(in_hand))
    if dry_run:
        return FilesExpired(removed=batches, kept_running=running, swept=0, days=days)
    removed = []
    for batch in batches:
        with transaction.atomic():
            locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
            if locked.files_removed_at is not None or locked.is_running or locked.updated_at >= cutoff:
                continue  # changed since it was listed
            locked.quarantined_rows.all().delete()
            rejected = locked.rejected_count
            locked.changes, locked.files_removed_at = [], now()
            locked.save(update_fields=["changes", "files_removed_at"])  # updated_at: the last activity stays
            batch.changes, batch.files_removed_at = locked.changes, locked.files_removed_at
            audit_record(
                code=AuditCode.IMPORT_FILES_REMOVED,
                system_actor="import_files_expire",
                object_type="import_batch",
                object_id=locked.pk,
                justification=f"Import file retention: kept {days} days after the batch's last activity",
                details={
                    "filename": locked.original_filename,
                    "status": locked.status,
                    "size": locked.size,
                    "sha256": locked.sha256,
                    "rejected_rows_removed": rejected,
                },
            )
        _remove_directory(batch)
        removed.append(batch)
    swept = 0
    for batch in ImportBatch.objects.filter(files_removed_at__isnull=False).only("id"):
        if batch.directory.exists():
            _remove_directory(batch)
            swept += 1
    return FilesExpired(removed=removed, kept_running=running, swept=swept, days=days)
