"""On PostgreSQL, refuse TRUNCATE of every audit table, and UPDATE and DELETE of the new ones
(keys, checkpoints, tree nodes), whoever asks.

Only the tables' owner (or a superuser) can switch a trigger off, and the application must
not serve as either (docs/audit.md, "Two database roles"; the deployment check says so). The
test suite empties tables between transactional tests as the owner, switching these
triggers off for that one transaction (conftest.py).
"""

from django.db import migrations

NEW_TABLES = ("audit_audittreenode", "audit_auditkey", "audit_auditcheckpoint")
ALL_TABLES = ("audit_auditevent", "audit_auditseal", *NEW_TABLES)


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in NEW_TABLES:  # audit_refuse_change() comes from 0002
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
        )
    for table in ALL_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
        )


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ALL_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    for table in NEW_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_checkpoints_and_tree")]
    operations = [migrations.RunPython(forwards, backwards)]
