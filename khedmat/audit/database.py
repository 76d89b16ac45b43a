"""The audit tables and the database roles (PostgreSQL): who may do what to them.

Two roles (docs/audit.md, "Two database roles"): the owner of the tables runs migrations and
nothing else; the application serves as another role, with SELECT and INSERT only on the
audit tables (normal rights elsewhere). Triggers refuse UPDATE, DELETE and TRUNCATE of audit
rows whoever asks; only the owner (or a superuser) could disable them, so the serving role
must be neither. `serving_role_faults` is what the deployment check reports;
`serving_role_grant` (run as the owner after every migration) sets the rights.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper

from .models import AuditCheckpoint, AuditEvent, AuditKey, AuditSeal, AuditTreeNode

ROW_TRIGGER = "{table}_append_only"      # BEFORE UPDATE OR DELETE, each row
TRUNCATE_TRIGGER = "{table}_no_truncate"  # BEFORE TRUNCATE, the statement


def append_only_tables() -> list[str]:
    return [model._meta.db_table for model in (AuditEvent, AuditSeal, AuditTreeNode, AuditKey, AuditCheckpoint)]


@dataclass(frozen=True)
class RoleFault:
    code: str
    message: str
    hint: str


GRANT_HINT = ("As the owner, run `manage.py audit_grant_serving_role <serving role>` "
              "(DATABASE_URL=<owner URL>), or see docs/audit.md, \"Two database roles\".")
ROLES_HINT = ("Migrate as a separate owner role and serve as a role that neither owns the tables nor is a "
              "member of their owner nor a superuser (docs/audit.md, \"Two database roles\"); then, as the "
              "owner, run `manage.py audit_grant_serving_role <serving role>`.")


def serving_role_faults(connection: BaseDatabaseWrapper) -> list[RoleFault]:
    """What the role `connection` is logged in as could do to the audit tables beyond
    reading and appending, or what it lacks. Empty on other databases than PostgreSQL."""
    if connection.vendor != "postgresql":
        return []
    faults: list[RoleFault] = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        role, superuser = cursor.fetchone()
        if superuser:
            faults.append(RoleFault("audit.E001", f"The application connects as {role}, a superuser: it can "
                                    "switch the audit tables' triggers off and rewrite the trail.", ROLES_HINT))
        if connection.pg_version >= 150000:  # type: ignore[attr-defined]
            cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
            if cursor.fetchone()[0] and not superuser:
                faults.append(RoleFault("audit.E004", f"{role} may set session_replication_role, which switches "
                                        "the audit triggers off.",
                                        f"REVOKE SET ON PARAMETER session_replication_role FROM {role};"))
        for table in append_only_tables():
            cursor.execute("SELECT to_regclass(%s)::oid", [table])
            oid = cursor.fetchone()[0]
            if oid is None:
                faults.append(RoleFault("audit.E005", f"The table {table} does not exist.",
                                        "Run the migrations (as the owner)."))
                continue
            cursor.execute(
                "SELECT pg_get_userbyid(relowner), pg_has_role(current_user, relowner, 'MEMBER'),"
                " has_table_privilege(oid, 'SELECT'), has_table_privilege(oid, 'INSERT'),"
                " has_any_column_privilege(oid, 'UPDATE'), has_table_privilege(oid, 'DELETE'),"
                " has_table_privilege(oid, 'TRUNCATE'), has_table_privilege(oid, 'TRIGGER')"
                " FROM pg_class WHERE oid = %s", [oid])
            owner, owns, select, insert, update, delete, truncate, trigger = cursor.fetchone()
            if owns and not superuser:
                faults.append(RoleFault("audit.E001", f"The application's role {role} owns {table} (or is a member "
                                        f"of its owner, {owner}): it can switch its triggers off and rewrite "
                                        "or empty the trail.", ROLES_HINT))
            extra = [name for name, allowed in (("UPDATE", update), ("DELETE", delete), ("TRUNCATE", truncate),
                                                ("TRIGGER", trigger)) if allowed]
            if extra and not owns and not superuser:
                faults.append(RoleFault("audit.E002", f"{role} may {', '.join(extra)} on {table}.",
                                        f"REVOKE {', '.join(extra)} ON {table} FROM {role}; or: {GRANT_HINT}"))
            if not (select and insert):
                faults.append(RoleFault("audit.E005", f"{role} may not read and append to {table}.", GRANT_HINT))
            cursor.execute("SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = %s AND NOT tgisinternal",
                           [oid])
            enabled = {name for name, state in cursor.fetchall() if state in ("O", "A")}
            for trigger_name in (ROW_TRIGGER.format(table=table), TRUNCATE_TRIGGER.format(table=table)):
                if trigger_name not in enabled:
                    faults.append(RoleFault("audit.E003", f"The trigger {trigger_name} on {table} is missing or "
                                            "disabled: audit rows can be changed.",
                                            f"As the owner: ALTER TABLE {table} ENABLE TRIGGER {trigger_name}; "
                                            "or run the migrations."))
    return faults


def serving_role_grant(connection: BaseDatabaseWrapper, role: str) -> None:
    """As the owner: give `role` normal rights on every table of the schema, and only SELECT
    and INSERT on the audit tables (USAGE on their id sequences). Idempotent: run it after
    every migration, so that new tables are covered."""
    if connection.vendor != "postgresql":
        raise ValueError("database roles exist on PostgreSQL only")
    quoted = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = connection.ops.quote_name(cursor.fetchone()[0])
        cursor.execute(f"GRANT USAGE ON SCHEMA {schema} TO {quoted}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {quoted}")
        cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {quoted}")
        for table in append_only_tables():
            name = connection.ops.quote_name(table)
            cursor.execute(f"REVOKE ALL ON {name} FROM {quoted}")
            cursor.execute(f"GRANT SELECT, INSERT ON {name} TO {quoted}")
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            if sequence:
                cursor.execute(f"REVOKE ALL ON SEQUENCE {sequence} FROM {quoted}")
                cursor.execute(f"GRANT USAGE ON SEQUENCE {sequence} TO {quoted}")
