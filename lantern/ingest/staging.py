"""An import file's accepted rows, folded by identity, in a SQLite file beside the upload, so the check
and the commit go through a file of any size in chunks, with memory that does not grow with the file.

Folding (docs/ingest.md, "New, updated, unchanged, attached"): a record is its source key, an event is
its (item type, event key); when several rows carry the same record or event, the **last row wins**.
Every record key a row refers to is kept, carried or not (a 903 Episodes file refers to children it
does not carry). Rows are buffered and folded in memory a chunk at a time, then upserted.

The check writes the file (`ImportBatch.staging_path`, next to the upload: written as `.tmp` and renamed
when complete, so a half-written file is never read); the commit reads it again in chunks instead of
parsing the upload a second time, and it is deleted once the batch is committed. While comparing,
temporary tables of the reading connection (SQLite's temporary directory, never the staging file, which
stays read-only) keep what each record key resolved to, for the events that follow, and, committing,
which records and events are to be written.

Values are plain columns (dates and times ISO 8601, an event's details as the JSON text a JSONField
stores), never pickled objects.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from django.core.serializers.json import DjangoJSONEncoder

from lantern.ingest.formats.base import EventPart, ParsedRow, PersonPart

VERSION = "1"  # bump when the layout changes: an older staging file is then read from the upload again
_FLUSH = 20_000  # rows folded in memory before they are written

_PERSON = (
    "given_name",
    "family_name",
    "dob",
    "sex",
    "gender",
    "ethnicity",
    "postcode",
    "address_line1",
    "address_town",
    "upn",
    "nhs_number",
    "la_child_id",
    "police_id",
)
_SCHEMA = f"""
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE record (
    source_key TEXT PRIMARY KEY, row INTEGER NOT NULL, ref TEXT NOT NULL, carried INTEGER NOT NULL,
    {", ".join(_PERSON)}
) WITHOUT ROWID;
CREATE TABLE event (
    item_type TEXT NOT NULL, event_key TEXT NOT NULL, row INTEGER NOT NULL, ref TEXT NOT NULL,
    record_key TEXT NOT NULL, occurred_at TEXT NOT NULL, summary TEXT NOT NULL, purpose TEXT NOT NULL,
    handling_code INTEGER, details TEXT NOT NULL,
    PRIMARY KEY (item_type, event_key)
) WITHOUT ROWID;
"""
_UPSERT_RECORD = (
    f"INSERT INTO record (source_key, row, ref, carried, {', '.join(_PERSON)}) "  # noqa: S608 - fixed names
    f"VALUES (?, ?, ?, 1, {', '.join('?' for _ in _PERSON)}) "
    "ON CONFLICT (source_key) DO UPDATE SET row = excluded.row, ref = excluded.ref, carried = 1, "
    + ", ".join(f"{name} = excluded.{name}" for name in _PERSON)
)


_ENCODER = DjangoJSONEncoder(ensure_ascii=False)  # one encoder: json.dumps(cls=…) makes one per call


def details_json(details: dict[str, Any]) -> str:
    """An event's details as stored: the JSON a JSONField writes (dates as ISO text)."""
    return _ENCODER.encode(details)


class StagedRecord(NamedTuple):
    key: str
    row: int  # 0 when no row carries the record (its events only refer to it)
    ref: str
    part: PersonPart | None


class Target(NamedTuple):
    """What a record key resolved to when it was compared: a stored record (its id, source system and
    key), or a new record at the batch's own key (`record_id` None)."""

    record_id: int | None
    source_system: str
    source_key: str


class StagedEvent(NamedTuple):
    """A folded event as stored; `part()` decodes it (only when it is needed: a new event that is only
    counted, in the check, never is)."""

    item_type: str
    event_key: str
    row: int
    ref: str
    record_key: str
    occurred_at: str  # ISO 8601 with its offset
    summary: str
    purpose: str
    handling_code: int | None
    details: str  # JSON text
    target: Target | None  # None: the record key has not been resolved

    @property
    def key(self) -> tuple[str, str]:
        return (self.item_type, self.event_key)

    def part(self) -> EventPart:
        """The event, its details as a JSONField gives them back (dates as ISO text)."""
        return EventPart(
            item_type=self.item_type,
            occurred_at=dt.datetime.fromisoformat(self.occurred_at),
            summary=self.summary,
            details=json.loads(self.details),
            purpose=self.purpose,
            event_key=self.event_key,
            handling_code=self.handling_code,
        )


class StagingWriter:
    """Folds accepted rows into a new staging file; `finish` makes it visible at `path`."""

    def __init__(self, path: Path):
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")
        self.tmp.unlink(missing_ok=True)
        self.db = sqlite3.connect(self.tmp, isolation_level=None)
        # A scratch file: nothing to recover after a crash, so no journal and no fsync.
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("PRAGMA cache_size = -32768")  # 32 MiB: records arrive in no order of key
        self.db.executescript(_SCHEMA)
        self.records: dict[str, tuple[Any, ...]] = {}
        self.referred: set[str] = set()
        self.events: dict[tuple[str, str], tuple[Any, ...]] = {}
        self.pending = 0

    def add(self, result: ParsedRow) -> None:
        ref = result.source_reference
        person = result.person
        if person is not None:
            self.records[person.source_key] = (
                person.source_key,
                result.row,
                ref,
                *(getattr(person, name) for name in _PERSON),
            )
        self.referred.add(result.record_key)
        for part in result.events:
            self.events[(part.item_type, part.event_key)] = (
                part.item_type,
                part.event_key,
                result.row,
                ref,
                result.record_key,
                part.occurred_at.isoformat(),
                part.summary,
                part.purpose,
                part.handling_code,
                details_json(part.details),
            )
        self.pending += 1
        if self.pending >= _FLUSH:
            self.flush()

    def flush(self) -> None:
        db = self.db
        db.execute("BEGIN")
        db.executemany(_UPSERT_RECORD, (_dates_out(self.records[key]) for key in sorted(self.records)))
        db.executemany(
            "INSERT OR IGNORE INTO record (source_key, row, ref, carried) VALUES (?, 0, '', 0)",
            ((key,) for key in self.referred if key not in self.records),
        )
        db.executemany(
            "INSERT OR REPLACE INTO event VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (self.events[key] for key in sorted(self.events)),
        )
        db.execute("COMMIT")
        self.records, self.referred, self.events, self.pending = {}, set(), {}, 0

    def finish(self, meta: dict[str, Any]) -> None:
        self.flush()
        self.db.execute("BEGIN")
        self.db.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [(name, json.dumps(value)) for name, value in {**meta, "version": VERSION}.items()],
        )
        self.db.execute("COMMIT")
        self.db.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.db.close()
        self.tmp.unlink(missing_ok=True)


def _dates_out(values: tuple[Any, ...]) -> tuple[Any, ...]:
    dob_at = 3 + _PERSON.index("dob")
    dob = values[dob_at]
    if dob is None:
        return values
    return (*values[:dob_at], dob.isoformat(), *values[dob_at + 1 :])


class Staging:
    """A complete staging file, read in chunks ordered by key.

    Comparing (`records`, `events`) records what each record key resolved to (`resolve`) and, for a
    commit, which events are new or updated (`plan_events`), in temporary tables of this connection;
    writing then reads back only what is to be written (`records_to_write`, `events_to_write`). So a
    commit looks everything up before it writes anything, as the check does.
    """

    def __init__(self, path: Path):
        self.path = path
        # Read only: a second worker may read the same file; what a comparison finds goes to this
        # connection's own temporary tables (SQLite's temporary directory, on disk).
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        self.db.execute("PRAGMA temp_store = FILE")
        self.meta = {
            name: json.loads(value) for name, value in self.db.execute("SELECT name, value FROM meta")
        }
        self.db.execute(
            "CREATE TEMP TABLE target (source_key TEXT PRIMARY KEY, record_id INTEGER, "
            "source_system TEXT NOT NULL, target_key TEXT NOT NULL, status TEXT NOT NULL, "
            "changed TEXT NOT NULL) WITHOUT ROWID"
        )
        self.db.execute(
            "CREATE TEMP TABLE event_plan (item_type TEXT NOT NULL, event_key TEXT NOT NULL, "
            "status TEXT NOT NULL, stored_id INTEGER, PRIMARY KEY (item_type, event_key)) WITHOUT ROWID"
        )

    @classmethod
    def open(cls, path: Path) -> Staging | None:
        """The staging file at `path` if it is complete and of this layout, else None."""
        if not path.is_file():
            return None
        try:
            staging = cls(path)
        except sqlite3.Error:
            return None
        if staging.meta.get("version") != VERSION:
            staging.close()
            return None
        return staging

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def size(self) -> tuple[int, int]:
        """(record keys, events)."""
        records = self.db.execute("SELECT count(*) FROM record").fetchone()[0]
        events = self.db.execute("SELECT count(*) FROM event").fetchone()[0]
        return int(records), int(events)

    def records(self, chunk: int) -> Iterator[list[StagedRecord]]:
        columns = f"source_key, row, ref, carried, {', '.join(_PERSON)}"
        after = ""
        while True:
            rows = self.db.execute(
                f"SELECT {columns} FROM record WHERE source_key > ? ORDER BY source_key LIMIT ?",  # noqa: S608
                (after, chunk),
            ).fetchall()
            if not rows:
                return
            yield [_record(row) for row in rows]
            after = rows[-1][0]

    def resolve(self, resolved: list[tuple[str, Target, str, tuple[str, ...]]]) -> None:
        """Remember what each record key resolved to (for its events), its status and the fields
        that changed (record key, target, status, fields)."""
        self.db.execute("BEGIN")
        self.db.executemany(
            "INSERT OR REPLACE INTO target VALUES (?, ?, ?, ?, ?, ?)",
            [(key, t.record_id, t.source_system, t.source_key, status, ",".join(changed))
             for key, t, status, changed in resolved],
        )  # fmt: skip
        self.db.execute("COMMIT")

    def events(self, chunk: int) -> Iterator[list[StagedEvent]]:
        yield from self._events(chunk, "", "LEFT JOIN")

    def plan_events(self, planned: list[tuple[str, str, str, int | None]]) -> None:
        """Remember the events to write: (item type, event key, new/updated, stored id)."""
        self.db.execute("BEGIN")
        self.db.executemany("INSERT OR REPLACE INTO event_plan VALUES (?, ?, ?, ?)", planned)
        self.db.execute("COMMIT")

    def to_write(self) -> tuple[int, int]:
        """(records, events) that are new or updated."""
        records = self.db.execute("SELECT count(*) FROM target WHERE status IN ('new', 'updated')").fetchone()
        events = self.db.execute("SELECT count(*) FROM event_plan").fetchone()
        return int(records[0]), int(events[0])

    def records_to_write(
        self, chunk: int
    ) -> Iterator[list[tuple[StagedRecord, Target, str, frozenset[str]]]]:
        """New and updated records with their target, status and changed fields."""
        columns = ", ".join(f"r.{name}" for name in ("source_key", "row", "ref", "carried", *_PERSON))
        after = ""
        while True:
            rows = self.db.execute(
                f"SELECT {columns}, t.record_id, t.source_system, t.target_key, t.status, t.changed "  # noqa: S608
                "FROM record r JOIN target t ON t.source_key = r.source_key "
                "WHERE r.source_key > ? AND t.status IN ('new', 'updated') ORDER BY r.source_key LIMIT ?",
                (after, chunk),
            ).fetchall()
            if not rows:
                return
            yield [
                (_record(row[:-5]), Target(*row[-5:-2]), row[-2], frozenset(filter(None, row[-1].split(","))))
                for row in rows
            ]
            after = rows[-1][0]

    def events_to_write(self, chunk: int) -> Iterator[list[tuple[StagedEvent, str, int | None]]]:
        """New and updated events (with their record's target), status and stored id."""
        yield from self._events(
            chunk, ", p.status, p.stored_id", "JOIN", "JOIN event_plan p USING (item_type, event_key)"
        )

    def _events(self, chunk: int, extra: str, join: str, plan: str = "") -> Iterator[list[Any]]:
        after: tuple[str, str] = ("", "")
        while True:
            rows = self.db.execute(
                "SELECT e.item_type, e.event_key, e.row, e.ref, e.record_key, e.occurred_at, e.summary, "  # noqa: S608
                f"e.purpose, e.handling_code, e.details, t.source_key, t.record_id, t.source_system, "
                f"t.target_key{extra} FROM event e {plan} {join} target t ON t.source_key = e.record_key "
                "WHERE (e.item_type, e.event_key) > (?, ?) ORDER BY e.item_type, e.event_key LIMIT ?",
                (*after, chunk),
            ).fetchall()
            if not rows:
                return
            if extra:
                yield [(_event(row[:14]), row[14], row[15]) for row in rows]
            else:
                yield [_event(row) for row in rows]
            after = (rows[-1][0], rows[-1][1])


def _record(row: tuple[Any, ...]) -> StagedRecord:
    key, number, ref, carried, *values = row
    if not carried:
        return StagedRecord(key, 0, "", None)
    fields = dict(zip(_PERSON, values, strict=True))
    if fields["dob"] is not None:
        fields["dob"] = dt.date.fromisoformat(fields["dob"])
    return StagedRecord(key, number, ref, PersonPart(source_key=key, **fields))


def _event(row: tuple[Any, ...]) -> StagedEvent:
    resolved, record_id, system, target_key = row[10:14]
    return StagedEvent(*row[:10], None if resolved is None else Target(record_id, system, target_key))
