"""The cleaned frame of stored source records, cached between linkage runs.

Cleaning (name folding, nickname aliases, placeholder rules, identifier checks) is pure Python and,
with reading the records, was most of an incremental link's time: every call read and cleaned every
stored record to compare a few new ones with them. The cache keeps each record's clean row in one
Parquet file under DATA_DIR, next to the record's `updated_at` as it was when cleaned.

When a row may be used — the rule that keeps the cache from ever causing a wrong link:
- the record still exists and its `updated_at` is unchanged (every service that changes a record's
  fields saves `updated_at`; linkage itself changes only `person`, which is not in the frame);
- the file was written by this cleaning code: a fingerprint of `cleaning.py`, `nicknames_uk.py` and
  the `nicknames` package version is stored in the file, and a different one discards it all.
Records not in the cache, or changed since, are read and cleaned now; deleted records are dropped.
A file that cannot be read, fails its page checksums, or has the wrong columns or metadata is
ignored and rebuilt (logged), never trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.db import connection

from lantern.people.models import SourceRecord

log = logging.getLogger(__name__)

CACHE_FORMAT = "1"
_META_KEY = b"lantern-linkage-cleaned-records"
_ID, _VERSION = "_record_id", "_version"
FRAME_FIELDS = (
    "pk",
    "agency__code",
    "given_name",
    "family_name",
    "dob",
    "sex",
    "postcode",
    "address__line1",
    "upn",
    "nhs_number",
    "la_child_id",
    "police_id",
)
_CHUNK = 5_000


def cleaned_cache_path() -> Path:
    return Path(settings.DATA_DIR) / "linkage" / "cleaned-records.parquet"


def cleaning_fingerprint() -> str:
    """Changes whenever the cleaning rules could give a different clean row."""
    from lantern.analytics.linkage import cleaning, nicknames_uk

    digest = hashlib.sha256(CACHE_FORMAT.encode())
    for module in (cleaning, nicknames_uk):
        digest.update(Path(module.__file__).read_bytes())
    with contextlib.suppress(importlib_metadata.PackageNotFoundError):
        digest.update(importlib_metadata.version("nicknames").encode())
    return digest.hexdigest()[:24]


@dataclass
class CacheStats:
    cached: int = 0  # rows taken from the cache
    cleaned: int = 0  # records read and cleaned now
    dropped: int = 0  # cached rows of deleted or changed records
    rebuilt_because: str = ""  # why the file was not used at all ("" when it was)
    written: bool = False


def _schema() -> pa.Schema:
    from lantern.analytics.linkage.engine import CLEAN_SCHEMA

    return pa.schema([*CLEAN_SCHEMA, pa.field(_ID, pa.int64()), pa.field(_VERSION, pa.string())])


def records_frame(rows: Iterable[tuple]) -> Any:
    """The engine's input contract from `FRAME_FIELDS` rows (see docs/linkage.md)."""
    from lantern.analytics.linkage import to_input_frame

    return to_input_frame(
        {
            "unique_id": str(pk),
            "source": agency_code,
            "given_name": given,
            "family_name": family,
            "dob": dob.isoformat() if dob else None,
            "sex": sex,
            "postcode": postcode,
            "address_line1": line1 or "",
            "upn": upn,
            "nhs_number": nhs,
            "la_child_id": la_id,
            "police_id": police_id,
        }
        for pk, agency_code, given, family, dob, sex, postcode, line1, upn, nhs, la_id, police_id in rows
    )


def _clean_table(rows: list[tuple], versions: dict[int, str]) -> pa.Table:
    """Clean `FRAME_FIELDS` rows into a cache-schema table, each row stamped with its version."""
    from lantern.analytics.linkage import clean_records
    from lantern.analytics.linkage.engine import to_arrow

    schema = _schema()
    if not rows:
        return schema.empty_table()
    clean = to_arrow(clean_records(records_frame(rows)))
    extra = [
        pa.array([row[0] for row in rows], pa.int64()),
        pa.array([versions[row[0]] for row in rows], pa.string()),
    ]
    return pa.Table.from_arrays([*clean.columns, *extra], schema=schema)


def _current_versions(excluded: set[int]) -> dict[int, str]:
    """Each stored record's `updated_at`, as the database returns it (text on SQLite: no parsing).
    Read before the records' fields, so a record changed in between carries an older version and
    is cleaned again next time, never served stale."""
    table = connection.ops.quote_name(SourceRecord._meta.db_table)
    column = connection.ops.quote_name(SourceRecord._meta.get_field("updated_at").column)
    versions: dict[int, str] = {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {column} FROM {table}")  # noqa: S608 — model's table and column
        while batch := cursor.fetchmany(50_000):
            versions.update((pk, str(updated)) for pk, updated in batch if pk not in excluded)
    return versions


def _read(path: Path, fingerprint: str) -> tuple[pa.Table | None, str]:
    """The cached table, or None and why it cannot be used."""
    if not path.exists():
        return None, "no cache file"
    try:
        table = pq.read_table(path, page_checksum_verification=True)
    except Exception as error:  # any unreadable file (truncated, not Parquet, bad checksum) is rebuilt
        return None, f"unreadable: {type(error).__name__}: {str(error)[:200]}"
    meta = table.schema.metadata or {}
    if meta.get(_META_KEY) != fingerprint.encode():
        return None, "written by other cleaning rules"
    table = table.replace_schema_metadata(None)
    if table.schema != _schema():
        return None, "unexpected columns"
    ids = table.column(_ID)
    if ids.null_count or len(pc.unique(ids)) != len(ids):
        return None, "missing or repeated record ids"
    uid_ok = pc.all(pc.equal(table.column("unique_id"), pc.cast(ids, pa.string())))
    if not uid_ok.as_py() and len(ids):
        return None, "unique_id does not match the record id"
    return table, ""


def _write(path: Path, table: pa.Table, fingerprint: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = table.replace_schema_metadata({_META_KEY: fingerprint.encode()})
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".cleaned-", suffix=".parquet")
    os.close(handle)
    try:
        pq.write_table(table, temporary, write_page_checksum=True, compression="zstd")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def cleaned_records(
    *,
    exclude_ids: Iterable[int] = (),
    write: bool = True,
    rewrite_share: float = 0.0,
    stats: CacheStats | None = None,
) -> pa.Table:
    """Every stored record's clean row (the engine's `CLEAN_SCHEMA`, ordered by record id), except
    `exclude_ids`. Taken from the cache where the record is unchanged, cleaned now otherwise.

    With `write`, the file is rewritten when more than `rewrite_share` of the rows were cleaned now
    or dropped (an incremental link passes a small share, so it does not rewrite a million rows to
    add a thousand; the records it leaves out are cleaned again until then)."""
    from lantern.analytics.linkage.engine import CLEAN_COLUMNS

    stats = stats if stats is not None else CacheStats()
    excluded = {int(pk) for pk in exclude_ids}
    path, fingerprint = cleaned_cache_path(), cleaning_fingerprint()
    cached, why = _read(path, fingerprint)
    current = _current_versions(excluded)
    if cached is None:
        stats.rebuilt_because = why
        if why != "no cache file":
            log.warning("linkage: ignoring the cleaned-records cache (%s); rebuilding it", why)
        rows = [
            row
            for row in SourceRecord.objects.order_by("pk")
            .values_list(*FRAME_FIELDS)
            .iterator(chunk_size=_CHUNK)
            if row[0] in current  # a record stored since the versions were read waits for the next run
        ]
        table = _clean_table(rows, current)
        stats.cleaned = table.num_rows
    else:
        cached_ids = cached.column(_ID).to_pylist()
        cached_versions = cached.column(_VERSION).to_pylist()
        keep = [current.get(pk) == version for pk, version in zip(cached_ids, cached_versions, strict=True)]
        valid = cached.filter(pa.array(keep, pa.bool_()))
        have = {pk for pk, ok in zip(cached_ids, keep, strict=True) if ok}
        # Excluded records still in the file are not "dropped": they are only left out of this result.
        stats.cached = valid.num_rows
        stats.dropped = sum(
            1 for pk, ok in zip(cached_ids, keep, strict=True) if not ok and pk not in excluded
        )
        stale = sorted(pk for pk in current if pk not in have)
        rows = []
        for start in range(0, len(stale), _CHUNK):
            rows.extend(
                SourceRecord.objects.filter(pk__in=stale[start : start + _CHUNK]).values_list(*FRAME_FIELDS)
            )
        fresh = _clean_table(rows, current)
        stats.cleaned = fresh.num_rows
        table = pa.concat_tables([valid, fresh]).sort_by(_ID) if fresh.num_rows else valid
    changed = stats.cleaned + stats.dropped
    if write and (stats.rebuilt_because or changed > rewrite_share * max(table.num_rows, 1)):
        _write(path, table, fingerprint)
        stats.written = True
    return table.select(list(CLEAN_COLUMNS))
