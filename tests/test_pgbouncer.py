"""PgBouncer in transaction mode (deploy/pgbouncer/pgbouncer.ini) with DATABASE_POOLER=pgbouncer:
Django's row locks, .iterator() and repeated queries work through it, from several threads
sharing fewer server connections than they have clients, as web workers do in production.

Without DATABASE_POOLER the same script fails here: `cursor "_django_curs_…" does not exist`
(a .iterator() cursor opened on one server connection, fetched from on another)."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from tests.deploy_support import binary, free_port, scratch_database, shared_tmp_dir

BASE_DIR = Path(settings.BASE_DIR)
INI = BASE_DIR / "deploy" / "pgbouncer" / "pgbouncer.ini"

# Four threads, two server connections: a transaction may run on either, so anything that
# outlives a transaction (a prepared statement, a server-side cursor) would be found missing.
DJANGO_SCRIPT = textwrap.dedent("""
    import threading
    from django.db import connection, connections, transaction
    from django.contrib.contenttypes.models import ContentType

    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert connection.settings_dict["OPTIONS"]["prepare_threshold"] is None
    errors = []

    def work(index):
        try:
            for round_ in range(15):
                with transaction.atomic():
                    row = ContentType.objects.select_for_update().get(app_label="contenttypes", model="contenttype")
                    assert row.pk
                names = [item.model for item in ContentType.objects.order_by("pk").iterator(chunk_size=1)]
                assert "contenttype" in names, names
                for _ in range(8):  # the same statement again and again: psycopg would prepare it
                    assert ContentType.objects.filter(app_label="contenttypes").count() == 1
        except Exception as error:
            errors.append(f"thread {index}: {type(error).__name__}: {error}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("ERRORS" if errors else "OK", *errors, sep="\\n")
""")


def manage(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, input=stdin,
                          capture_output=True, text=True, timeout=180, check=False)


def pgbouncer_config(*, database_url: str, port: int, folder: Path) -> str:
    """deploy/pgbouncer/pgbouncer.ini as shipped, with this test's database, port and files, and
    trust authentication (the local server trusts loopback; production uses scram-sha-256)."""
    parser = configparser.RawConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(INI, encoding="utf-8")
    assert parser["pgbouncer"]["pool_mode"] == "transaction"
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    user = parts.username or "postgres"
    parser["databases"] = {name: f"host={parts.hostname} port={parts.port or 5432} dbname={name}"}
    parser["pgbouncer"].update({
        "listen_addr": "127.0.0.1", "listen_port": str(port), "unix_socket_dir": "",
        "auth_type": "trust", "auth_file": str(folder / "userlist.txt"),
        "logfile": str(folder / "pgbouncer.log"), "pidfile": str(folder / "pgbouncer.pid"),
        "admin_users": user, "stats_users": user, "default_pool_size": "2", "min_pool_size": "0",
    })
    (folder / "userlist.txt").write_text(f'"{user}" ""\n', encoding="utf-8")
    lines = []
    for section in parser.sections():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {value}" for key, value in parser[section].items())
    return "\n".join(lines) + "\n"


@pytest.fixture
def pgbouncer_url(postgres_server_url: str) -> Iterator[tuple[str, str]]:
    """(direct URL, URL through PgBouncer) of a scratch database with contenttypes migrated."""
    pgbouncer = binary("pgbouncer", package="pgbouncer")
    with scratch_database(postgres_server_url, "khedmat_deploy_pgb") as direct_url, \
            tempfile.TemporaryDirectory(prefix="khedmat-pgbouncer-") as temporary:
        env = {**os.environ, "DATABASE_URL": direct_url, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
        env.pop("DATABASE_POOLER", None)
        result = manage(env, "migrate", "contenttypes", "--no-input")
        assert result.returncode == 0, result.stderr
        os.chmod(temporary, 0o755)  # noqa: S103 (PgBouncer runs as postgres and reads its configuration here)
        folder = shared_tmp_dir(Path(temporary) / "run", "postgres")
        port = free_port()
        config = folder / "pgbouncer.ini"
        config.write_text(pgbouncer_config(database_url=direct_url, port=port, folder=folder), encoding="utf-8")
        # PgBouncer refuses to run as root: as PostgreSQL's user then.
        command = [pgbouncer, str(config)]
        if os.geteuid() == 0:
            os.chmod(config, 0o644)
            command = ["runuser", "-u", "postgres", "--", *command]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            user = urlsplit(direct_url).username or "postgres"
            pooled_url = urlunsplit(urlsplit(direct_url)._replace(netloc=f"{user}@127.0.0.1:{port}"))
            import psycopg

            for _ in range(50):
                try:
                    psycopg.connect(pooled_url, connect_timeout=2).close()
                    break
                except psycopg.OperationalError:
                    assert process.poll() is None, process.stdout.read() if process.stdout else ""
                    time.sleep(0.1)
            yield direct_url, pooled_url
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.postgres
@pytest.mark.skipif(os.environ.get("CI") == "true" and "sqlite" in settings.DATABASES["default"]["ENGINE"],
                    reason="CI's PostgreSQL pass of the suite runs this")
def test_django_works_through_pgbouncer_in_transaction_mode(pgbouncer_url: tuple[str, str]) -> None:
    import psycopg

    _direct_url, pooled_url = pgbouncer_url
    env = {**os.environ, "DATABASE_URL": pooled_url, "DATABASE_POOLER": "pgbouncer",
           "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    result = manage(env, "shell", "--no-imports", "-c", DJANGO_SCRIPT)
    assert result.returncode == 0 and result.stdout.strip().startswith("OK"), result.stdout + result.stderr
    # And it all went through PgBouncer, in transaction mode, on at most two server connections.
    admin_url = urlunsplit(urlsplit(pooled_url)._replace(path="/pgbouncer"))
    with psycopg.connect(admin_url, autocommit=True, prepare_threshold=None) as admin:
        cursor = admin.cursor()
        cursor.execute("SHOW POOLS")
        columns = [column.name for column in cursor.description or []]
        pools = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        cursor.execute("SHOW STATS")
        columns = [column.name for column in cursor.description or []]
        stats = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    database = urlsplit(pooled_url).path.lstrip("/")
    pool = next(pool for pool in pools if pool["database"] == database)
    assert pool["pool_mode"] == "transaction"
    total = next(stat for stat in stats if stat["database"] == database)
    assert total["total_xact_count"] >= 4 * 15 * (1 + 8), total


def test_an_unknown_pooler_is_refused(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.local",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "DATABASE_POOLER": "pgpool"}
    result = manage(env, "check")
    assert result.returncode != 0
    assert "the only pooler known is 'pgbouncer'" in result.stderr
