"""Walks the audit chain and reports every row that was altered, removed or re-ordered."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from .chain import GENESIS_HASH, row_hash
from .models import AuditEvent, AuditSubject
from .services import content_of

_CHUNK = 5_000


@dataclass(frozen=True)
class Problem:
    seq: int
    kind: str  # "altered" | "removed" | "re-ordered"
    message: str


def audit_chain_verify(progress: Callable[[int], None] | None = None) -> tuple[int, list[Problem]]:
    """Return (rows checked, problems). An empty problem list means the chain is intact."""
    problems: list[Problem] = []
    expected_seq, prev_hash, checked, last_id = 1, GENESIS_HASH, 0, 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gte=expected_seq).order_by("seq")[:_CHUNK])
        if not rows:
            break
        subjects: dict[int, list[str]] = defaultdict(list)
        for event_id, person_id in AuditSubject.objects.filter(event_id__in=[r.id for r in rows]).values_list(
            "event_id", "person_id"
        ):
            subjects[event_id].append(str(person_id))
        for row in rows:
            if row.seq != expected_seq:
                problems.append(
                    Problem(
                        row.seq,
                        "removed",
                        f"rows {expected_seq}–{row.seq - 1} are missing before row {row.seq}",
                    )
                )
            elif row.prev_hash != prev_hash:
                problems.append(
                    Problem(row.seq, "removed", f"row {row.seq} does not follow the row before it")
                )
            if row.id < last_id:
                problems.append(Problem(row.seq, "re-ordered", f"row {row.seq} was written out of order"))
            if row_hash(row.prev_hash, content_of(row, subjects[row.id])) != row.row_hash:
                problems.append(Problem(row.seq, "altered", f"row {row.seq} content does not match its hash"))
            prev_hash, expected_seq, last_id = row.row_hash, row.seq + 1, row.id
            checked += 1
        if progress:
            progress(len(rows))
    return checked, problems
