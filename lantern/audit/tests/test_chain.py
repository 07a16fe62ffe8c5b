"""The audit log is hash-chained, append-only in the database, and tampering is detected."""

from __future__ import annotations

import contextlib
import importlib
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from lantern.audit.codes import AuditCode
from lantern.audit.models import AuditEvent, AuditSubject
from lantern.audit.services import audit_record
from lantern.audit.verify import audit_chain_verify

triggers = importlib.import_module("lantern.audit.migrations.0002_append_only_triggers")


def _write(n: int) -> list[AuditEvent]:
    return [
        audit_record(
            code=AuditCode.PERSON_VIEWED, system_actor="test", subjects=[uuid.uuid4()], details={"n": i}
        )
        for i in range(n)
    ]


@contextlib.contextmanager
def _as_a_rogue_dba():
    """Drop the append-only triggers (as someone with DDL rights could), then put them back."""
    vendor = connection.vendor
    drop = {"sqlite": triggers.SQLITE_REVERSE, "postgresql": triggers.POSTGRES_REVERSE}[vendor]
    create = {"sqlite": triggers.SQLITE, "postgresql": triggers.POSTGRES}[vendor]
    with connection.cursor() as cursor:
        for sql in drop:
            cursor.execute(sql)
        yield cursor
        for sql in create:
            cursor.execute(sql)


@pytest.mark.django_db
def test_rows_chain_each_to_the_previous_hash():
    first, second, third = _write(3)
    assert (second.seq, third.seq) == (first.seq + 1, first.seq + 2)
    assert second.prev_hash == first.row_hash
    assert third.prev_hash == second.row_hash
    assert audit_chain_verify() == (AuditEvent.objects.count(), [])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement", ["UPDATE audit_auditevent SET justification = 'x'", "DELETE FROM audit_auditevent"]
)
def test_database_refuses_update_and_delete_of_audit_rows(statement):
    _write(2)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db
def test_database_refuses_changes_to_audit_subjects():
    _write(1)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditsubject")
    assert AuditSubject.objects.count() == 1


@pytest.mark.django_db
def test_orm_update_and_delete_are_refused_too():
    event = _write(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(justification="covered up")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.django_db
def test_verify_detects_an_altered_row():
    rows = _write(5)
    with _as_a_rogue_dba() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET justification = 'nothing to see' WHERE id = %s", [rows[2].pk]
        )
    _, problems = audit_chain_verify()
    assert [(p.seq, p.kind) for p in problems] == [(rows[2].seq, "altered")]


@pytest.mark.django_db
def test_verify_detects_an_altered_subject():
    rows = _write(3)
    with _as_a_rogue_dba() as cursor:
        cursor.execute("DELETE FROM audit_auditsubject WHERE event_id = %s", [rows[1].pk])
    _, problems = audit_chain_verify()
    assert [(p.seq, p.kind) for p in problems] == [(rows[1].seq, "altered")]


@pytest.mark.django_db
def test_verify_detects_a_removed_row():
    rows = _write(5)
    with _as_a_rogue_dba() as cursor:
        cursor.execute("DELETE FROM audit_auditsubject WHERE event_id = %s", [rows[1].pk])
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [rows[1].pk])
    _, problems = audit_chain_verify()
    assert any(p.kind == "removed" and p.seq == rows[2].seq for p in problems)


@pytest.mark.django_db
def test_verify_detects_re_ordered_rows():
    rows = _write(4)
    a, b = rows[1], rows[2]
    with _as_a_rogue_dba() as cursor:
        # Swap the positions of two rows (keeping each row's own hash) — a re-ordering.
        cursor.execute("UPDATE audit_auditevent SET seq = -1 WHERE id = %s", [a.pk])
        cursor.execute("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [a.seq, b.pk])
        cursor.execute("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [b.seq, a.pk])
    _, problems = audit_chain_verify()
    assert {p.seq for p in problems} >= {a.seq, b.seq}
    assert "re-ordered" in {p.kind for p in problems}


@pytest.mark.django_db
def test_audit_verify_command_reports_and_exits_non_zero_on_tampering():
    rows = _write(3)
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "intact" in out.getvalue()
    with _as_a_rogue_dba() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET actor_username = 'someone else' WHERE id = %s", [rows[0].pk]
        )
    err = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit_verify", stdout=StringIO(), stderr=err)
    assert exit_info.value.code == 1
    assert f"row {rows[0].seq} content does not match its hash" in err.getvalue()
