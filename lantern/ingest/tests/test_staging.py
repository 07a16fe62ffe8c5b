"""The staging file: rows folded by identity on disk (the last row wins, across flushes too), every
record key a row refers to kept, values read back as they went in, and read in chunks by key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from lantern.ingest import staging
from lantern.ingest.formats.base import LONDON, EventPart, ParsedRow, PersonPart
from lantern.ingest.staging import Staging, StagingWriter, Target


def _row(
    row: int, key: str, *, dob: dt.date | None = None, carried: bool = True, events: int = 1
) -> ParsedRow:
    person = (
        PersonPart(key, given_name="Kai", family_name=f"Row{row}", dob=dob, ethnicity=None)
        if carried
        else None
    )
    parts = tuple(
        EventPart(
            "arrest",
            dt.datetime(2024, 6, 5, 21, 30 + n, tzinfo=LONDON),
            f"arrest {n} of {key}",
            {"on": dt.date(2024, 6, 5), "n": n, "row": row},
            "law_enforcement",
            f"ARR:{key}:{n}",
        )
        for n in range(events)
    )
    return ParsedRow(row, "f.csv", "Arrests", key, f"{key}|{row}", person, parts)


@pytest.fixture(params=[1, 1000], ids=["flush-every-row", "one-flush"])
def flush(request, monkeypatch) -> int:
    monkeypatch.setattr(staging, "_FLUSH", request.param)
    return request.param


def test_the_last_row_wins_and_every_referred_key_is_kept(tmp_path: Path, flush: int) -> None:
    path = tmp_path / "staged.sqlite3"
    writer = StagingWriter(path)
    writer.add(_row(1, "A", dob=dt.date(2010, 1, 1)))
    writer.add(_row(2, "B", carried=False, events=0))  # refers to B without carrying it
    writer.add(_row(3, "A", dob=dt.date(2011, 2, 2), events=2))  # A again: this row wins
    writer.add(_row(4, "C", carried=False, events=0))
    writer.add(_row(5, "C", dob=None))  # C carried after being referred to
    writer.add(_row(6, "C", carried=False, events=0))  # ... and a later mere reference keeps it
    assert not path.exists()  # nothing to read until it is complete
    writer.finish({"rows": 6, "sha256": "x"})
    assert not path.with_name(path.name + ".tmp").exists()

    with Staging(path) as staged:
        assert staged.meta["rows"] == 6 and staged.size() == (3, 3)
        records = [r for chunk in staged.records(2) for r in chunk]
        assert [(r.key, r.row) for r in records] == [("A", 3), ("B", 0), ("C", 5)]
        a, b, c = records
        assert a.part is not None and a.part.dob == dt.date(2011, 2, 2) and a.part.family_name == "Row3"
        assert a.ref == "f.csv#Arrests:3" and a.part.ethnicity is None
        assert b.part is None and c.part is not None and c.part.dob is None

        staged.resolve(
            [
                ("A", Target(41, "NICHE", "A"), "updated", ("dob", "family_name")),
                ("B", Target(42, "NICHE", "B"), "unchanged", ()),
                ("C", Target(None, "", ""), "new", ()),
            ]
        )
        events = [e for chunk in staged.events(3) for e in chunk]
        assert [(e.key, e.row) for e in events] == [
            (("arrest", "ARR:A:0"), 3),
            (("arrest", "ARR:A:1"), 3),
            (("arrest", "ARR:C:0"), 5),
        ]
        first = events[0]
        assert first.target == Target(41, "NICHE", "A") and first.record_key == "A"
        # Details come back as a JSONField gives them (dates as ISO text); times keep their instant.
        assert first.part().details == {"on": "2024-06-05", "n": 0, "row": 3}
        assert first.part().occurred_at == dt.datetime(2024, 6, 5, 21, 30, tzinfo=LONDON)
        assert first.part().occurred_at.utcoffset() == dt.timedelta(hours=1)
        assert events[2].target == Target(None, "", "")  # C: a new record at the batch's key

        # What a commit writes: the new and updated records, and the events planned.
        assert staged.to_write() == (2, 0)
        to_write = [row for chunk in staged.records_to_write(1) for row in chunk]
        assert [(r.key, t, status, changed) for r, t, status, changed in to_write] == [
            ("A", Target(41, "NICHE", "A"), "updated", frozenset({"dob", "family_name"})),
            ("C", Target(None, "", ""), "new", frozenset()),
        ]
        staged.plan_events([("arrest", "ARR:C:0", "new", None), ("arrest", "ARR:A:1", "updated", 7)])
        planned = [
            (e.key, status, stored) for chunk in staged.events_to_write(1) for e, status, stored in chunk
        ]
        assert planned == [(("arrest", "ARR:A:1"), "updated", 7), (("arrest", "ARR:C:0"), "new", None)]


def test_an_unfinished_or_foreign_file_is_not_opened(tmp_path: Path) -> None:
    path = tmp_path / "staged.sqlite3"
    writer = StagingWriter(path)
    writer.add(_row(1, "A"))
    writer.abort()
    assert Staging.open(path) is None and not path.with_name(path.name + ".tmp").exists()
    path.write_bytes(b"not a database")
    assert Staging.open(path) is None
