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
A file that cannot be read, fails its whole-file checksum, or has the wrong columns or metadata is
ignored and rebuilt (logged), never trusted.

Reading a million versions one by one would itself cost seconds, so records are grouped in buckets
of 1,024 ids and the database computes, per bucket, the count and the sums of ids and `updated_at`
(microseconds). A bucket whose signature equals the one stored when the file was written (stored
only for buckets the file held completely) is trusted as a whole; the others are compared record by
record. A change goes unnoticed only if it keeps a bucket's count and both sums, which no update
(a later `updated_at`), insert or delete does on its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
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
# The file: magic, a BLAKE2b digest of the rest, then Parquet. Any damaged byte fails the digest.
_MAGIC, _DIGEST_SIZE = b"LNTNCLN1", 32
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
    checked: int = 0  # records whose version was compared one by one
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


_BUCKET = 1024  # records per signature bucket (by id)
_SIGNATURE_KEY = b"lantern-linkage-bucket-signatures"


def _bucket_signatures() -> dict[str, str] | None:
    """Per bucket of 1,024 record ids: how many records, the sum of their ids and of their
    `updated_at` in microseconds, computed in SQL. A bucket whose signature is unchanged since the
    file was written holds exactly the records, at exactly the versions, the file has for it; only
    other buckets are compared record by record. None on a database without the SQL for it."""
    table = connection.ops.quote_name(SourceRecord._meta.db_table)
    column = connection.ops.quote_name(SourceRecord._meta.get_field("updated_at").column)
    if connection.vendor == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC)
        micros = (
            f"CAST(strftime('%s', {column}) AS INTEGER) * 1000000 + CAST(substr({column}, 21, 6) AS INTEGER)"
        )
    elif connection.vendor == "postgresql":
        micros = f"CAST(extract(epoch FROM {column}) * 1000000 AS BIGINT)"
    else:  # pragma: no cover - Lantern runs on SQLite or PostgreSQL
        return None
    sql = f"SELECT id / {_BUCKET}, count(*), sum(id), sum({micros}) FROM {table} GROUP BY id / {_BUCKET}"  # noqa: S608 — model's table and column
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {
            str(bucket): f"{count}:{ids}:{versions}" for bucket, count, ids, versions in cursor.fetchall()
        }


def _versions_in(buckets: set[int], everything: bool) -> dict[int, str]:
    """Each record's `updated_at` in the given id buckets, as the database returns it (text on
    SQLite: no parsing). Read before the records' fields, so a record changed in between carries an
    older version and is cleaned again next time, never served stale."""
    table = connection.ops.quote_name(SourceRecord._meta.db_table)
    column = connection.ops.quote_name(SourceRecord._meta.get_field("updated_at").column)
    select = f"SELECT id, {column} FROM {table}"  # noqa: S608 — model's table and column
    queries: list[tuple[str, list[int]]] = []
    if everything:
        queries.append((select, []))
    else:
        ordered = sorted(buckets)
        start = 0
        while start < len(ordered):  # consecutive buckets are one id range
            end = start
            while end + 1 < len(ordered) and ordered[end + 1] == ordered[end] + 1:
                end += 1
            queries.append(
                (
                    f"{select} WHERE id >= %s AND id < %s",
                    [ordered[start] * _BUCKET, (ordered[end] + 1) * _BUCKET],
                )
            )
            start = end + 1
    versions: dict[int, str] = {}
    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(50_000):
                versions.update((pk, str(updated)) for pk, updated in batch)
    return versions


def _read(path: Path, fingerprint: str) -> tuple[pa.Table | None, dict[str, str], str]:
    """The cached table and its bucket signatures, or None and why it cannot be used."""
    if not path.exists():
        return None, {}, "no cache file"
    try:
        data = path.read_bytes()
        header = len(_MAGIC) + _DIGEST_SIZE
        if data[: len(_MAGIC)] != _MAGIC:
            return None, {}, "not a cleaned-records cache file"
        body = memoryview(data)[header:]
        if hashlib.blake2b(body, digest_size=_DIGEST_SIZE).digest() != data[len(_MAGIC) : header]:
            return None, {}, "checksum mismatch (damaged file)"
        table = pq.read_table(pa.BufferReader(pa.py_buffer(body)))
    except Exception as error:  # any unreadable file (truncated, not Parquet, bad checksum) is rebuilt
        return None, {}, f"unreadable: {type(error).__name__}: {str(error)[:200]}"
    meta = table.schema.metadata or {}
    if meta.get(_META_KEY) != fingerprint.encode():
        return None, {}, "written by other cleaning rules"
    try:
        signatures = json.loads(meta.get(_SIGNATURE_KEY, b"{}"))
    except ValueError:
        signatures = None
    if not isinstance(signatures, dict):
        return None, {}, "unreadable bucket signatures"
    table = table.replace_schema_metadata(None)
    if table.schema != _schema():
        return None, {}, "unexpected columns"
    ids = table.column(_ID)
    if ids.null_count or len(pc.unique(ids)) != len(ids):
        return None, {}, "missing or repeated record ids"
    uid_ok = pc.all(pc.equal(table.column("unique_id"), pc.cast(ids, pa.string())))
    if not uid_ok.as_py() and len(ids):
        return None, {}, "unique_id does not match the record id"
    return table, {str(k): str(v) for k, v in signatures.items()}, ""


def _write(path: Path, table: pa.Table, fingerprint: str, signatures: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = table.replace_schema_metadata(
        {_META_KEY: fingerprint.encode(), _SIGNATURE_KEY: json.dumps(signatures).encode()}
    )
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    body = sink.getvalue()
    digest = hashlib.blake2b(memoryview(body), digest_size=_DIGEST_SIZE).digest()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".cleaned-", suffix=".parquet")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(_MAGIC + digest)
            out.write(memoryview(body))
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
    cached, stored_signatures, why = _read(path, fingerprint)
    signatures = _bucket_signatures()  # read before any version or field
    if cached is None:
        stats.rebuilt_because = why
        if why != "no cache file":
            log.warning("linkage: ignoring the cleaned-records cache (%s); rebuilding it", why)
        cached = _schema().empty_table()
        stored_signatures = {}
    if signatures is None:
        check: set[int] | None = None  # every record, one by one
    else:
        check = {int(b) for b, sig in signatures.items() if stored_signatures.get(b) != sig}
        check |= {int(b) for b in stored_signatures if b not in signatures}  # buckets now empty
    everything = check is None or not cached.num_rows
    current = _versions_in(check or set(), everything)
    stats.checked = len(current)
    cached_ids = cached.column(_ID)
    if everything:
        trusted = pa.array([False] * cached.num_rows, pa.bool_())
    else:
        buckets = pc.divide(cached_ids, pa.scalar(_BUCKET, pa.int64()))
        trusted = pc.invert(pc.is_in(buckets, pa.array(sorted(check), pa.int64())))
    # Rows in re-checked buckets stay only if the record is there at the same version.
    checked_rows = cached.filter(pc.invert(trusted))
    same = [
        current.get(pk) == version
        for pk, version in zip(
            checked_rows.column(_ID).to_pylist(), checked_rows.column(_VERSION).to_pylist(), strict=True
        )
    ]
    still_valid = checked_rows.filter(pa.array(same, pa.bool_()))
    stats.dropped = checked_rows.num_rows - still_valid.num_rows
    have = set(still_valid.column(_ID).to_pylist())
    stale = sorted(pk for pk in current if pk not in have and pk not in excluded)
    rows: list[tuple] = []
    if everything and stale:
        wanted = set(stale)
        rows = [
            row
            for row in SourceRecord.objects.order_by("pk")
            .values_list(*FRAME_FIELDS)
            .iterator(chunk_size=_CHUNK)
            if row[0] in wanted  # a record stored since the versions were read waits for the next run
        ]
    else:
        for start in range(0, len(stale), _CHUNK):
            rows.extend(
                SourceRecord.objects.filter(pk__in=stale[start : start + _CHUNK]).values_list(*FRAME_FIELDS)
            )
    fresh = _clean_table(rows, current)
    stats.cleaned = fresh.num_rows
    kept = pa.concat_tables([cached.filter(trusted), still_valid])
    stats.cached = kept.num_rows
    table = pa.concat_tables([kept, fresh]).sort_by(_ID) if fresh.num_rows else kept.sort_by(_ID)
    changed = stats.cleaned + stats.dropped
    if write and (stats.rebuilt_because or changed > rewrite_share * max(table.num_rows, 1)):
        # A bucket's signature is stored only if the file now holds every record read for it.
        held = set(fresh.column(_ID).to_pylist()) | have
        incomplete = {pk // _BUCKET for pk in current if pk not in held}
        complete = {
            b: sig
            for b, sig in (signatures or {}).items()
            if int(b) not in incomplete and (check is None or int(b) in check or b in stored_signatures)
        }
        _write(path, table, fingerprint, complete if signatures is not None else {})
        stats.written = True
    if excluded:
        table = table.filter(pc.invert(pc.is_in(table.column(_ID), pa.array(sorted(excluded), pa.int64()))))
    return table.select(list(CLEAN_COLUMNS))
