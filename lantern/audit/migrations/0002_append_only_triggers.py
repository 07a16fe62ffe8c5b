"""Make the audit tables append-only in the database itself: UPDATE and DELETE (and TRUNCATE on
PostgreSQL) are refused by triggers, whatever code or console issues them."""

from django.db import migrations

TABLES = ("audit_auditevent", "audit_auditsubject")

SQLITE = [
    sql
    for table in TABLES
    for sql in (
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE refused'); END;",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE refused'); END;",
    )
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {t}_no_{op};" for t in TABLES for op in ("update", "delete")]

POSTGRES = [
    """CREATE OR REPLACE FUNCTION lantern_audit_append_only() RETURNS trigger AS $$
    BEGIN
      RAISE EXCEPTION 'audit log is append-only: % refused', TG_OP;
    END;
    $$ LANGUAGE plpgsql;""",
    *[
        sql
        for table in TABLES
        for sql in (
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION lantern_audit_append_only();",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION lantern_audit_append_only();",
        )
    ],
]
POSTGRES_REVERSE = [
    *[f"DROP TRIGGER IF EXISTS {t}_append_only ON {t};" for t in TABLES],
    *[f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t};" for t in TABLES],
    "DROP FUNCTION IF EXISTS lantern_audit_append_only();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(f"No append-only triggers for {schema_editor.connection.vendor}")
        for sql in statements:
            schema_editor.execute(sql, None)  # no parameters: PL/pgSQL uses % itself

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
