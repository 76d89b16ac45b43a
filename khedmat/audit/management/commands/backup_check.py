"""Prove a backup restores and its audit trail holds: restore a pg_dump into a new database, run
`audit_verify` against it, report, and drop it (docs/backups.md).

    manage.py backup_check /backups/khedmat-2026-12-04.dump
    manage.py backup_check FILE --database khedmat_restore_test --keep   # keep it to look inside
    manage.py backup_check FILE --checkpoint checkpoint-at-backup.txt    # also against a saved checkpoint

The new database is made on DATABASE_URL's server by the role of DATABASE_OWNER_URL (or
DATABASE_URL's), which needs CREATEDB; the dump is restored without its owner and grants, so it
belongs to that role. `audit_verify` runs in a subprocess with DATABASE_URL on the restored
database, so nothing of this process's connections is touched. The checkpoint copy file
(AUDIT_CHECKPOINT_COPY_FILE) is left out: it is newer than any backup and would call the
backup's end "truncated"; pass a checkpoint saved with the backup instead. Exit status 1 names
what failed: the restore, or the audit trail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import environ
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
TIMEOUT_SECONDS = 60 * 60


def server_url() -> str:
    """A URL of DATABASE_URL's server as the role that may create databases (the owner's, if set)."""
    default = connections[DEFAULT_DB_ALIAS].settings_dict
    if default["ENGINE"] != "django.db.backends.postgresql":
        raise CommandError("backup_check restores PostgreSQL dumps: DATABASE_URL must name a PostgreSQL server "
                           "(on SQLite, a backup is a copy of the file: open it and run audit_verify).")
    if settings.DATABASE_OWNER_URL:
        return str(settings.DATABASE_OWNER_URL)
    user = quote(str(default.get("USER") or ""), safe="")
    password = f":{quote(str(default['PASSWORD']), safe='')}" if default.get("PASSWORD") else ""
    host = default.get("HOST") or "127.0.0.1"
    port = f":{default['PORT']}" if default.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{default['NAME']}"


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def libpq_url(url: str) -> str:
    """The URL for libpq tools (pg_restore): postgresql://, which they all accept."""
    return "postgresql://" + url.split("://", 1)[1]


class Command(BaseCommand):
    help = "Restore a pg_dump into a new database, run audit_verify on it, report, and drop it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a dump made by pg_dump --format=custom")
        parser.add_argument("--database", help="the new database's name (default: khedmat_backup_check_<random>)")
        parser.add_argument("--keep", action="store_true", help="keep the restored database afterwards")
        parser.add_argument("--checkpoint", action="append", default=[], metavar="FILE_OR_URL",
                            help="a checkpoint kept outside the database, passed to audit_verify (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        dump: Path = options["file"]
        if not dump.is_file():
            raise CommandError(f"{dump} is not a file.")
        name = options["database"] or f"khedmat_backup_check_{uuid.uuid4().hex[:10]}"
        if not NAME.match(name):
            raise CommandError(f"{name!r} is not a plain database name (lower-case letters, digits, _).")
        pg_restore = shutil.which("pg_restore")
        if pg_restore is None:
            raise CommandError("pg_restore is not installed (Debian: apt-get install postgresql-client).")
        server = server_url()
        restored = with_database(server, name)
        import psycopg

        maintenance = with_database(server, "postgres")
        with psycopg.connect(libpq_url(maintenance), autocommit=True) as connection:
            if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                raise CommandError(f"The database {name} exists already: name a new one.")
            connection.execute(f'CREATE DATABASE "{name}"')
        try:
            self.stdout.write(f"Restoring {dump} into the new database {name}…")
            result = subprocess.run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error",  # noqa: S603
                                     "--dbname", libpq_url(restored), str(dump)],
                                    capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
            if result.returncode != 0:
                raise CommandError(f"The backup {dump} cannot be restored: "
                                   f"{(result.stderr or result.stdout).strip()[-1500:]}")
            verify = self._audit_verify(restored, options["checkpoint"])
            if verify.returncode != 0:
                raise CommandError(f"The backup {dump} restores, but its audit trail does not verify: "
                                   f"{(verify.stderr or verify.stdout).strip()[-1500:]}")
            self.stdout.write(verify.stdout.strip())
            self.stdout.write(self.style.SUCCESS(f"Backup {dump} checked: it restores and its audit trail verifies."))
        finally:
            if options["keep"]:
                self.stderr.write(f"The restored database {name} is kept: drop it when done (dropdb {name}).")
            else:
                with psycopg.connect(libpq_url(maintenance), autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _audit_verify(self, url: str, checkpoints: list[str]) -> subprocess.CompletedProcess[str]:
        """`manage.py audit_verify` against `url`, in a process of its own."""
        env = {**os.environ, "DATABASE_URL": url, "AUDIT_CHECKPOINT_COPY_FILE": ""}
        for name in ("DATABASE_OWNER_URL", "DATABASE_REPLICA_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
            env.pop(name, None)
        env.setdefault("DJANGO_SETTINGS_MODULE", os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local"))
        environ.Env.db_url_config(url)  # refuses a URL Django could not use, before the subprocess does
        arguments = [argument for source in checkpoints for argument in ("--checkpoint", source)]
        return subprocess.run([sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "audit_verify",  # noqa: S603
                               *arguments], capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False,
                              cwd=settings.BASE_DIR, env=env)
