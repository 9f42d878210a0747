from __future__ import annotations

from django.db import migrations

TABLES = ("audit_auditevent", "audit_auditperson")


def add_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    """On PostgreSQL the database itself refuses UPDATE and DELETE on the audit log."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        """
        CREATE OR REPLACE FUNCTION ristra_audit_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'The audit log is append-only';
        END;
        $$ LANGUAGE plpgsql;
        """
    )
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ristra_audit_append_only();"
        )


def drop_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS ristra_audit_append_only();")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(add_triggers, drop_triggers)]
