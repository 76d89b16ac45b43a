"""`manage.py backup_check` restores a pg_dump into a new database and verifies its audit trail
there: a good backup passes, a backup of a rewritten trail or a damaged file fails and says
which, and the restored database is dropped either way (unless kept)."""

from __future__ import annotations

import shutil
import subprocess
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from khedmat.audit.management.commands.backup_check import libpq_url, server_url, with_database
from khedmat.audit.models import AuditEvent
from khedmat.audit.services import audit_record, audit_seal_pending
from tests.availability import unavailable
from tests.database_roles import as_tables_owner

ON_POSTGRESQL = connection.vendor == "postgresql"
needs_postgresql = pytest.mark.skipif(not ON_POSTGRESQL, reason=(
    "backups are pg_dump files: this is the SQLite pass; the PostgreSQL pass (DATABASE_URL=postgres://…) runs it"))


def _activity() -> list[AuditEvent]:
    events = [audit_record(action="catalog.viewed", target_type="service", target_id=n, reason=f"look {n}")
              for n in range(4)]
    audit_seal_pending()
    return events


def _dump(path: Path) -> Path:
    """pg_dump --format=custom of the test database, as the owner role (as docs/backups.md says)."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        unavailable("pg_dump is not installed", install="apt-get install postgresql-client")
    result = subprocess.run([pg_dump, "--format=custom", "--file", str(path),
                             libpq_url(with_database(server_url(), connection.settings_dict["NAME"]))],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return path


def _databases() -> set[str]:
    """The restored copies on the server (other databases come and go: other tests, other suites)."""
    with psycopg.connect(libpq_url(with_database(server_url(), "postgres"))) as maintenance:
        return {row[0] for row in maintenance.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'khedmat\\_backup\\_check\\_%'").fetchall()}


def _check(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("backup_check", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_good_backup_restores_and_verifies_and_a_rewritten_or_damaged_one_fails(tmp_path: Path) -> None:
    events = _activity()
    before = _databases()

    out = _check(_dump(tmp_path / "good.dump"))
    assert "Audit trail verified: 4 sealed event(s)" in out
    assert "it restores and its audit trail verifies" in out
    assert _databases() == before  # the restored copy is gone

    # Someone with the owner's password rewrote an event before this backup was taken.
    with as_tables_owner() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["nothing to see", events[1].pk])
    with pytest.raises(CommandError, match=r"restores, but its audit trail does not verify.*sequence 2.*altered"):
        _check(_dump(tmp_path / "rewritten.dump"))
    assert _databases() == before

    damaged = tmp_path / "damaged.dump"
    data = (tmp_path / "good.dump").read_bytes()
    damaged.write_bytes(data[: len(data) // 2])
    with pytest.raises(CommandError, match=r"damaged.dump cannot be restored"):
        _check(damaged)
    assert _databases() == before


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_kept_restore_stays_under_its_name_and_a_name_in_use_is_refused(tmp_path: Path) -> None:
    _activity()
    dump = _dump(tmp_path / "good.dump")
    name = "khedmat_restore_kept_test"
    try:
        _check(dump, "--database", name, "--keep")
        with psycopg.connect(libpq_url(with_database(server_url(), name))) as kept:
            assert kept.execute("SELECT count(*) FROM audit_auditseal").fetchone() == (4,)
        with pytest.raises(CommandError, match="exists already"):
            _check(dump, "--database", name)
    finally:
        with psycopg.connect(libpq_url(with_database(server_url(), "postgres")), autocommit=True) as maintenance:
            maintenance.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.skipif(ON_POSTGRESQL, reason="the SQLite pass checks the refusal")
def test_on_sqlite_the_command_says_what_a_backup_is_there(tmp_path: Path) -> None:
    dump = tmp_path / "x.dump"
    dump.write_bytes(b"PGDMP")
    with pytest.raises(CommandError, match="PostgreSQL"):
        _check(dump)
