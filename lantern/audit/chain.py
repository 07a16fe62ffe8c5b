"""The hash chain: pure functions shared by the writer and the verifier."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_content(
    *,
    seq: int,
    occurred_at: dt.datetime,
    code: int,
    actor_id: int | None,
    actor_username: str,
    role: str,
    agency: str,
    object_type: str,
    object_id: str,
    justification: str,
    details: dict[str, Any],
    subjects: Iterable[str],
) -> str:
    body = {
        "seq": seq,
        "at": occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "code": code,
        "actor": actor_id,
        "username": actor_username,
        "role": role,
        "agency": agency,
        "object": [object_type, object_id],
        "justification": justification,
        "details": details,
        "subjects": sorted(str(s) for s in subjects),
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()
