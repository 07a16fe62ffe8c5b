"""The only writer of the audit log. Called inside the service transaction whose action it records,
so the action and its audit row commit (or roll back) together."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

from lantern.core.timeutils import now

from .chain import GENESIS_HASH, canonical_content, row_hash
from .codes import AuditCode
from .models import AuditEvent, AuditSubject

if TYPE_CHECKING:
    from lantern.access.policy import Viewer

# Any constant works: it only serialises appenders on PostgreSQL (SQLite's IMMEDIATE transactions
# already hold the write lock), so two rows can never claim the same predecessor.
_PG_CHAIN_LOCK = 7_245_003


def audit_record(
    *,
    code: AuditCode,
    viewer: Viewer | None = None,
    system_actor: str = "",
    subjects: Iterable[uuid.UUID | str] = (),
    object_type: str = "",
    object_id: str | int = "",
    justification: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    subject_ids = sorted({str(s) for s in subjects})
    details = details or {}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_CHAIN_LOCK])
        last = AuditEvent.objects.order_by("-seq").values("seq", "row_hash").first()
        seq = last["seq"] + 1 if last else 1
        prev = last["row_hash"] if last else GENESIS_HASH
        event = AuditEvent(
            seq=seq,
            occurred_at=now(),
            code=int(code),
            actor=viewer.user if viewer else None,
            actor_username=viewer.user.username if viewer else f"system:{system_actor or 'lantern'}",
            role=viewer.role.code if viewer else "",
            agency=viewer.agency.code if viewer else "",
            object_type=object_type,
            object_id=str(object_id),
            justification=justification,
            details=details,
            prev_hash=prev,
        )
        event.row_hash = row_hash(prev, content_of(event, subject_ids))
        event.save(force_insert=True)
        if subject_ids:
            AuditSubject.objects.bulk_create(
                [AuditSubject(event=event, person_id=uuid.UUID(s)) for s in subject_ids]
            )
    return event


def content_of(event: AuditEvent, subject_ids: Iterable[str]) -> str:
    return canonical_content(
        seq=event.seq,
        occurred_at=event.occurred_at,
        code=event.code,
        actor_id=event.actor_id,
        actor_username=event.actor_username,
        role=event.role,
        agency=event.agency,
        object_type=event.object_type,
        object_id=event.object_id,
        justification=event.justification,
        details=event.details,
        subjects=subject_ids,
    )
