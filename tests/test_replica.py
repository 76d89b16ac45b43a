"""A real PostgreSQL streaming replica on loopback: public catalog pages are served from it, a
user who just wrote reads their write from the primary, and after the pin window reads from the
replica again (khedmat/core/db_router.py, docs/scaling.md).

The test makes its own primary cluster (initdb into a temporary folder, wal_level=replica,
replication allowed from 127.0.0.1), copies the test database's schema into it, clones it with
`pg_basebackup -R` and starts the clone as a hot standby; then, while the standby's replay is
paused, it asks pages through Django in a subprocess (tests/replica/scenario.py). The clusters
are stopped and removed even when the test fails. The machine's own server is only read from
(the schema), never reconfigured.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.availability import running_in_ci, unavailable

BASE_DIR = Path(settings.BASE_DIR)
SUITE_ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]
PIN_SECONDS = 3
INSTALL = "apt-get install postgresql (the server binaries: initdb, pg_ctl, pg_basebackup, pg_dump)"

# django_db: pytest-django makes the test database only for tests that ask for it.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _bin_dir() -> Path:
    """The newest PostgreSQL server binaries (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    unavailable("The PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are not installed", install=INSTALL)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Clusters:
    folder: Path
    bin_dir: Path
    primary_port: int
    replica_port: int
    database: str = "khedmat_replica_test"

    def url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{self.database}"

    def run(self, *args: str | Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """A server binary, as the postgres user when we are root (initdb and postgres refuse root)."""
        command = [str(arg) for arg in args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False,
                                **kwargs)
        if result.returncode != 0:
            logs = "\n".join(f"--- {log.name}\n{log.read_text()[-2000:]}" for log in self.folder.glob("*.log"))
            pytest.fail(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}\n{logs}", pytrace=False)
        return result

    def configure(self, data: Path, port: int) -> None:
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.folder}'\n"
                       "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                       "fsync = off\nfull_page_writes = off\n")  # a throwaway cluster: speed over safety

    def start(self, data: Path) -> None:
        self.run(self.bin_dir / "pg_ctl", "-D", data, "-l", self.folder / f"{data.name}.log", "-w", "-t", "30", "start")

    def stop_all(self) -> None:
        for data in (self.folder / "replica", self.folder / "primary"):
            if (data / "postmaster.pid").exists():
                command = [str(self.bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
                if os.geteuid() == 0:
                    command = ["runuser", "-u", "postgres", "--", *command]
                subprocess.run(command, capture_output=True, timeout=30, check=False)


def _schema_source() -> list[str]:
    """pg_dump's connection arguments for the suite's test database, as the tables' owner."""
    from django.db import connection

    from tests import database_roles

    owner = database_roles._owner_credentials() if database_roles.two_roles() else {
        key: connection.settings_dict.get(key, "") for key in ("USER", "PASSWORD", "HOST", "PORT")}
    arguments = ["-h", str(owner["HOST"] or "127.0.0.1"), "-p", str(owner["PORT"] or 5432), "-U", str(owner["USER"])]
    return [*arguments, str(connection.settings_dict["NAME"])]


@pytest.fixture
def clusters(django_db_setup: None, django_db_blocker: Any) -> Iterator[Clusters]:
    if not SUITE_ON_POSTGRESQL:
        pytest.skip("needs the suite on PostgreSQL (DATABASE_URL=postgres://…): the replica copies its schema")
    bin_dir = _bin_dir()
    if os.geteuid() == 0:
        try:
            postgres_user = pwd.getpwnam("postgres")
        except KeyError:
            unavailable("We run as root and there is no postgres user to run the server as", install=INSTALL)
    ports = os.environ.get("KHEDMAT_REPLICA_TEST_PORT")
    primary_port = int(ports) if ports else _free_port()
    replica_port = primary_port + 1 if ports else _free_port()
    folder = Path(tempfile.mkdtemp(prefix="khedmat-replica-"))
    found = Clusters(folder, bin_dir, primary_port, replica_port)
    try:
        if os.geteuid() == 0:
            os.chown(folder, postgres_user.pw_uid, postgres_user.pw_gid)
        found.run(bin_dir / "initdb", "-D", folder / "primary", "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "-N")
        found.configure(folder / "primary", primary_port)
        with (folder / "primary" / "pg_hba.conf").open("a") as hba:
            hba.write("\nhost replication postgres 127.0.0.1/32 trust\n")
        found.start(folder / "primary")
        found.run(bin_dir / "psql", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres", "-q",
                  "-c", f"CREATE DATABASE {found.database}")
        # The schema of the suite's (migrated) test database: seconds, where migrate takes half a minute.
        with django_db_blocker.unblock():
            source = _schema_source()
        schema = subprocess.run([str(bin_dir / "pg_dump"), "--schema-only", "--no-owner", "--no-privileges",
                                 *source], capture_output=True, text=True, timeout=60, check=False)
        assert schema.returncode == 0, f"pg_dump of the test database failed: {schema.stderr}"
        found.run(bin_dir / "psql", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres", "-q",
                  "-v", "ON_ERROR_STOP=1", "-d", found.database, input=schema.stdout)
        found.run(bin_dir / "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres",
                  "-D", folder / "replica", "-R", "-X", "stream", "--checkpoint=fast")
        found.configure(folder / "replica", replica_port)
        found.start(folder / "replica")
        yield found
    finally:
        found.stop_all()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(not SUITE_ON_POSTGRESQL and running_in_ci(),
                    reason="CI's PostgreSQL pass of the suite runs this (it copies the test database's schema)")
def test_public_pages_come_from_the_replica_and_a_writer_reads_their_own_write(clusters: Clusters) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.replica.settings",
           "DATABASE_URL": clusters.url(clusters.primary_port),
           "DATABASE_REPLICA_URL": clusters.url(clusters.replica_port),
           "REPLICA_PIN_SECONDS": str(PIN_SECONDS)}
    for name in ("DATABASE_OWNER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    result = subprocess.run([sys.executable, "-m", "tests.replica.scenario"], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"the scenario failed:\n{result.stdout}\n{result.stderr}"
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["replica_in_recovery"] is True and seen["primary_in_recovery"] is False
    assert seen["before"] == "old"
    assert seen["write_status"] == 200 and seen["writer_pinned"] is True
    # Replay paused: the replica still holds the old name; the writer reads the new one from the primary.
    assert seen["replica_row_while_paused"] == "old"
    assert seen["writer_after_write"] == "new"
    # Everyone else's catalog page is served from the replica: stale, as allowed.
    assert seen["citizen_while_paused"] == "old"
    # A page not listed as stale-tolerant reads from the primary, for everyone.
    assert seen["unlisted_page_while_paused"] == "new"
    # After the pin window the writer reads from the replica again (still paused: the old name).
    assert seen["writer_after_window"] == "old"
    assert seen["citizen_after_resume"] == "new"
