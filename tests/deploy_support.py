"""What the deployment tests share: finding Debian's binaries, free ports, scratch databases."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.availability import unavailable

SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/lib/postgresql/15/bin"])


def binary(name: str, *, package: str) -> str:
    """The path of a program from a Debian package: fails in CI, skips elsewhere, when missing."""
    found = shutil.which(name, path=SBIN_PATH)
    if found is None:
        unavailable(f"{name} is not installed", install=f"sudo apt-get install {package}")
    return found


def free_port() -> int:
    """A free TCP port on loopback; inside KHEDMAT_TEST_PORTS ("9300-9399") when that is set, so
    that people sharing a machine keep to their own ranges."""
    ports = os.environ.get("KHEDMAT_TEST_PORTS", "")
    candidates = range(int(ports.split("-")[0]), int(ports.split("-")[1]) + 1) if ports else [0]
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            chosen = probe.getsockname()[1]
        # Not a port the next one of our own servers takes (make serve uses PORT + 1 for gunicorn).
        if ports and not port_free(chosen + 1):
            continue
        return chosen
    raise RuntimeError(f"no free port in {ports}")


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextlib.contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new empty PostgreSQL database, dropped (connections and all) afterwards."""
    import psycopg
    from psycopg import sql

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def shared_tmp_dir(path: Path, owner: str | None) -> Path:
    """A folder another user (PostgreSQL's `postgres`) can write: pytest's tmp_path is private."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o755)
    if owner and os.geteuid() == 0:
        shutil.chown(path, owner)
    return path
