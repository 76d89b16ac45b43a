"""PostgreSQL: the role the application serves as cannot rewrite, empty or unguard the audit
tables, and production refuses to start (`check --deploy`) when it could.

CI runs the PostgreSQL suite with two roles (DATABASE_OWNER_URL for the owner, DATABASE_URL
for the serving role): the tests marked `two_roles` need that; the others run with one role
too, where that role is the owner (and the deployment check must refuse it).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from khedmat.audit.database import append_only_tables, serving_role_faults
from khedmat.audit.services import audit_record, audit_seal_pending
from tests.database_roles import owner_connection, two_roles

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles exist on PostgreSQL"),
    pytest.mark.postgres,
]
needs_two_roles = pytest.mark.skipif(not two_roles(), reason=(
    "needs the serving role apart from the owner: DATABASE_OWNER_URL=postgres://<owner>@… "
    "DATABASE_URL=postgres://<serving role>@… (as .ci/run does)"))

BASE_DIR = Path(settings.BASE_DIR)


def _url(settings_dict: dict[str, object]) -> str:
    user = quote(str(settings_dict["USER"]))
    password = f":{quote(str(settings_dict['PASSWORD']))}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def _check_deploy(database_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`manage.py check --deploy` under production settings, as README's deployment runs it."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "DJANGO_SETTINGS_MODULE": "config.settings.production", "SECRET_KEY": secrets.token_urlsafe(60),
           "ALLOWED_HOSTS": "example.gov.af", "DATABASE_URL": database_url,
           "CACHE_URL": "redis://127.0.0.1:6379/15"}  # production requires a shared cache; never reached here
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.django_db(transaction=True)
def test_production_refuses_to_start_when_the_application_owns_the_audit_tables(tmp_path: Path) -> None:
    owner = owner_connection()
    try:
        result = _check_deploy(_url(owner.settings_dict), tmp_path)
    finally:
        owner.close()
    assert result.returncode != 0
    assert "audit.E001" in result.stderr
    assert "audit_grant_serving_role" in result.stderr  # the check names the fix


@needs_two_roles
@pytest.mark.django_db(transaction=True)
def test_production_starts_when_the_application_serves_as_its_own_role(tmp_path: Path) -> None:
    result = _check_deploy(_url(connection.settings_dict), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "audit." not in result.stderr + result.stdout


@needs_two_roles
@pytest.mark.django_db
def test_the_serving_role_may_read_and_append_only() -> None:
    assert serving_role_faults(connection) == []
    event = audit_record(action="catalog.viewed", target_type="service", target_id=1)
    audit_seal_pending()
    for statement in ("UPDATE audit_auditevent SET reason = 'x'", "DELETE FROM audit_auditseal",
                      "TRUNCATE audit_auditevent CASCADE", "ALTER TABLE audit_auditevent DISABLE TRIGGER USER",
                      "ALTER TABLE audit_auditseal DISABLE TRIGGER audit_auditseal_no_truncate",
                      "DROP TRIGGER audit_auditevent_append_only ON audit_auditevent",
                      "SET session_replication_role = replica",
                      "CREATE TRIGGER sneaky BEFORE INSERT ON audit_auditevent "
                      "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"):
        with pytest.raises(DatabaseError, match=r"permission denied|must be owner"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(statement)
    assert event.pk is not None


@pytest.mark.django_db(transaction=True)
def test_the_check_names_every_right_too_many() -> None:
    """As the owner (or a superuser), every audit table is reported; with a trigger switched
    off, that too."""
    owner = owner_connection()
    try:
        faults = serving_role_faults(owner)
        assert {fault.code for fault in faults} >= {"audit.E001"}
        assert {table for table in append_only_tables() if any(table in fault.message for fault in faults)} \
            or any("superuser" in fault.message for fault in faults)
        owner.set_autocommit(False)
        with owner.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditseal DISABLE TRIGGER audit_auditseal_no_truncate")
        disabled = serving_role_faults(owner)
        owner.rollback()
    finally:
        owner.close()
    assert any(fault.code == "audit.E003" and "audit_auditseal_no_truncate" in fault.message for fault in disabled)
