"""The cleaned-records cache: what it returns is always what cleaning the stored records now would
give — a changed or deleted record is never served from the file, and a damaged or foreign file is
rebuilt, never trusted."""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
import pytest

from lantern.analytics.linkage import clean_records
from lantern.analytics.linkage.engine import from_arrow, to_arrow
from lantern.core.timeutils import now
from lantern.linkage import frame_cache
from lantern.linkage.frame_cache import (
    FRAME_FIELDS,
    CacheStats,
    cleaned_cache_path,
    cleaned_records,
    records_frame,
)
from lantern.people.models import SourceRecord
from lantern.people.services import RecordIn, RecordUpdate, source_records_collect, source_records_update


@pytest.fixture
def stored(partnership, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    source_records_collect(
        records=[
            RecordIn("HOSP", "ED", "ZC1", "Robbie", "O'Neill", dt.date(2010, 5, 1), "M", postcode="le11 3ab"),
            RecordIn("CSC", "MOSAIC", "ZC2", "UNKNOWN", "Smith-Jones", None, "F", nhs_number="0000000000"),
        ],
        source_reference="cache test",
        system_actor="test",
    )
    return partnership


def _fresh() -> pd.DataFrame:
    """What cleaning every stored record now gives (no cache involved)."""
    rows = SourceRecord.objects.order_by("pk").values_list(*FRAME_FIELDS)
    return clean_records(records_frame(rows))


def _assert_same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Same rows and values; Arrow (what the engine hands DuckDB) is the canonical form. An all-empty
    column may come back as str (missing = NaN) where cleaning left it object (None)."""
    assert to_arrow(left).equals(to_arrow(right))
    assert list(left.columns) == list(right.columns)
    for column in ("given_name_aliases", "family_name_tokens"):  # lists, as cleaning makes them
        assert all(v is None or isinstance(v, list) for v in left[column])


def _from_cache(**kwargs) -> tuple[pd.DataFrame, CacheStats]:
    stats = CacheStats()
    table = cleaned_records(stats=stats, **kwargs)
    return from_arrow(table), stats


def test_first_call_cleans_everything_and_later_calls_read_the_file(stored):
    first, stats = _from_cache()
    assert stats.rebuilt_because == "no cache file" and stats.written
    assert stats.cleaned == SourceRecord.objects.count()
    _assert_same(first, _fresh())

    again, stats = _from_cache()
    assert (stats.cached, stats.cleaned, stats.dropped, stats.written) == (len(first), 0, 0, False)
    assert stats.checked == 0, "unchanged buckets are trusted on their signature, not read row by row"
    _assert_same(again, _fresh())


def test_a_changed_record_is_cleaned_again_not_served_stale(stored):
    _from_cache()
    record = SourceRecord.objects.get(source_key="ZC1")
    source_records_update(
        updates=[
            RecordUpdate(
                record.pk,
                RecordIn("HOSP", "ED", "ZC1", "Roberta", "O'Neill", dt.date(2010, 5, 1), "F"),
                frozenset({"given_name", "sex"}),
            )
        ],
        source_reference="correction",
        system_actor="test",
    )
    frame, stats = _from_cache()
    assert stats.cleaned == 1 and stats.dropped == 1 and stats.written
    assert 0 < stats.checked <= SourceRecord.objects.count()
    row = frame.set_index("unique_id").loc[str(record.pk)]
    assert (row["given_name"], row["sex"]) == ("roberta", "F")
    _assert_same(frame, _fresh())


def test_a_deleted_record_disappears_from_the_frame(stored):
    _from_cache()
    gone = SourceRecord.objects.get(source_key="ZC2")
    gone_id = str(gone.pk)
    gone.delete()
    frame, stats = _from_cache()
    assert stats.dropped == 1 and stats.cleaned == 0
    assert gone_id not in set(frame["unique_id"])
    _assert_same(frame, _fresh())


def test_excluded_records_are_left_out_without_spoiling_the_file(stored):
    _from_cache()
    left_out = SourceRecord.objects.get(source_key="ZC1").pk
    frame, stats = _from_cache(exclude_ids=[left_out], rewrite_share=0.5)
    assert str(left_out) not in set(frame["unique_id"]) and stats.dropped == 0 and not stats.written
    everything, stats = _from_cache()
    assert stats.cleaned == 0
    _assert_same(everything, _fresh())


def _damage_middle(path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p.write_bytes(b"not parquet at all"), id="garbage"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), id="truncated"),
        pytest.param(_damage_middle, id="bytes flipped"),
    ],
)
def test_a_damaged_file_is_rebuilt_never_trusted(stored, damage, caplog):
    _from_cache()
    damage(cleaned_cache_path())
    with caplog.at_level(logging.WARNING, logger="lantern.linkage.frame_cache"):
        frame, stats = _from_cache()
    assert stats.rebuilt_because and stats.written
    assert "rebuilding" in caplog.text
    _assert_same(frame, _fresh())
    _again, stats = _from_cache()
    assert stats.rebuilt_because == "" and stats.cleaned == 0


def test_a_file_from_other_cleaning_rules_or_with_altered_ids_is_rebuilt(stored, monkeypatch):
    _from_cache()
    monkeypatch.setattr("lantern.linkage.frame_cache.cleaning_fingerprint", lambda: "other rules")
    _frame, stats = _from_cache()
    assert stats.rebuilt_because == "written by other cleaning rules"
    monkeypatch.undo()
    _from_cache()  # rewritten under the real rules

    # A well-formed file (its checksum right) whose rows claim other records: rebuilt all the same.
    path, fingerprint = cleaned_cache_path(), frame_cache.cleaning_fingerprint()
    table, signatures, _why = frame_cache._read(path, fingerprint)
    ids = table.column("unique_id").to_pylist()
    swapped = table.set_column(table.schema.get_field_index("unique_id"), "unique_id", [list(reversed(ids))])
    frame_cache._write(path, swapped, fingerprint, signatures)
    frame, stats = _from_cache()
    assert stats.rebuilt_because == "unique_id does not match the record id"
    _assert_same(frame, _fresh())


def test_a_change_that_keeps_the_bucket_signature_of_another_bucket_is_still_seen(stored):
    """Signatures are per bucket of ids: a change in one bucket never hides behind another's."""
    _from_cache()
    record = SourceRecord.objects.order_by("-pk").first()
    # A raw edit that also moves updated_at (as every service does) is seen; the rest is trusted.
    SourceRecord.objects.filter(pk=record.pk).update(family_name="Quillfeather", updated_at=now())
    frame, stats = _from_cache()
    assert stats.cleaned == 1
    assert frame.set_index("unique_id").loc[str(record.pk), "family_name"] == "quillfeather"
    _assert_same(frame, _fresh())
