"""`make serve` runs the production form on one machine: nginx in front of gunicorn, a Celery
worker and beat, on PostgreSQL and Redis; Ctrl-C stops all of it. It refuses SQLite."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.availability import running_in_ci, unavailable
from tests.deploy_support import binary, free_port, scratch_database

BASE_DIR = Path(settings.BASE_DIR)
SUITE_ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]
REDIS_URL = os.environ.get("KHEDMAT_SERVE_REDIS_URL", "redis://127.0.0.1:6379/3")


def clean_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """Nothing from the developer's or CI's shell (DATABASE_OWNER_URL would migrate another database)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    env.update(values)
    return env


@pytest.mark.parametrize(("database_url", "message"), [
    ("", "Set DATABASE_URL to a PostgreSQL database"),
    ("sqlite:///var/khedmat.sqlite3", "the production form runs on PostgreSQL only, not 'sqlite'"),
])
def test_serve_refuses_to_start_without_postgresql(tmp_path: Path, database_url: str, message: str) -> None:
    env_file = BASE_DIR / ".env"
    if not database_url and env_file.exists() and "DATABASE_URL=" in env_file.read_text(encoding="utf-8"):
        pytest.skip(".env sets DATABASE_URL")
    env = clean_env(tmp_path, SERVE_DIR=str(tmp_path / "serve"), **({"DATABASE_URL": database_url}
                                                                      if database_url else {}))
    result = subprocess.run([sys.executable, "scripts/serve.py"], cwd=BASE_DIR, env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert message in result.stderr
    assert "started" not in result.stdout


def get(port: int, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, {name.lower(): value for name, value in response.getheaders()}, response.read()
    finally:
        connection.close()


def wait_for(port: int, path: str, process: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"make serve exited early:\n{log.read_text(encoding='utf-8')[-4000:]}"
        try:
            if get(port, path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError(f"{path} never answered 200 through nginx:\n{log.read_text(encoding='utf-8')[-4000:]}")


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.mark.postgres
def test_make_serve_runs_the_production_form_and_ctrl_c_stops_it(tmp_path: Path, postgres_server_url: str) -> None:
    if not running_in_ci() and not os.environ.get("KHEDMAT_SERVE_TEST"):
        pytest.skip("CI runs this (about a minute: a fresh database is migrated); KHEDMAT_SERVE_TEST=1 runs it here")
    if running_in_ci() and not SUITE_ON_POSTGRESQL:
        pytest.skip("CI's PostgreSQL pass of the suite runs this")
    binary("nginx", package="nginx")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        unavailable(f"Redis is not reachable at {REDIS_URL} ({error})", install="sudo apt-get install redis-server")

    port = free_port()
    gunicorn_port = free_port()  # its own, not port + 1 (another process may hold that one)
    while gunicorn_port == port:
        gunicorn_port = free_port()
    serve_dir = tmp_path / "serve"
    log = tmp_path / "serve.log"
    with scratch_database(postgres_server_url, "khedmat_deploy_serve") as database_url:
        env = clean_env(tmp_path, DATABASE_URL=database_url, CACHE_URL=REDIS_URL, CELERY_BROKER_URL=REDIS_URL,
                        SERVE_DIR=str(serve_dir), GUNICORN_PORT=str(gunicorn_port), GUNICORN_WORKERS="2",
                        CELERY_WORKER_CONCURRENCY="2")
        with log.open("wb") as output:
            process = subprocess.Popen(["make", "--no-print-directory", "serve", f"PORT={port}"], cwd=BASE_DIR,
                                       env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        pids: dict[str, int] = {}
        try:
            wait_for(port, "/healthz", process, log, seconds=300)
            pids = {name: int(pid) for name, pid in
                    re.findall(r"serve: started (\w+) pid (\d+)", log.read_text(encoding="utf-8"))}
            assert set(pids) == {"gunicorn", "worker", "beat", "nginx"}, pids

            # A page, through nginx and gunicorn, with the production settings.
            status, headers, body = get(port, "/en/", **{"Accept-Encoding": "gzip"})
            assert status == 200 and headers.get("server") == "nginx", headers
            assert headers.get("content-encoding") == "gzip"
            assert b"<html" in gzip.decompress(body)
            assert "x-request-id" in headers

            # A static file, from disk by nginx: compressed, and cached for a year under its hashed name.
            manifest = json.loads((BASE_DIR / "var" / "static" / "staticfiles.json").read_text(encoding="utf-8"))
            hashed = next(name for name in manifest["paths"].values() if name.endswith(".css"))
            status, headers, body = get(port, f"/static/{hashed}", **{"Accept-Encoding": "gzip"})
            assert status == 200, status
            assert headers.get("content-encoding") == "gzip" and gzip.decompress(body)
            assert "max-age=31536000" in headers.get("cache-control", "")
            assert "immutable" in headers.get("cache-control", "")

            # The worker answers on the broker.
            secret = serve_dir / "secret_key"
            assert stat.S_IMODE(secret.stat().st_mode) == 0o600
            ping_env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.production", "ALLOWED_HOSTS": "127.0.0.1",
                        "SECRET_KEY": secret.read_text(encoding="utf-8").strip()}
            # The web answers first; the worker may still be starting on a loaded machine: ask a few times.
            worker = f"serve-{port}@{os.uname().nodename}"
            for _attempt in range(6):
                ping = subprocess.run([str(Path(sys.executable).parent / "celery"), "--app", "config.celery", "inspect",
                                       "ping", "--timeout", "10", "--destination", worker],
                                      cwd=BASE_DIR, env=ping_env, capture_output=True, text=True, timeout=120,
                                      check=False)
                if ping.returncode == 0:
                    break
            assert ping.returncode == 0 and "pong" in ping.stdout, ping.stdout + ping.stderr

            # Ctrl-C: the terminal sends SIGINT to make and everything in its foreground group.
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=90)
            stopped = log.read_text(encoding="utf-8")
            assert "serve: everything stopped" in stopped, stopped[-3000:]
            still = {name: pid for name, pid in pids.items() if alive(pid)}
            assert not still, f"still running after Ctrl-C: {still}"
            assert not listening(port) and not listening(gunicorn_port), "nginx or gunicorn still listens"
        finally:
            for pid in [process.pid, *pids.values()]:
                if alive(pid):
                    os.killpg(pid, signal.SIGKILL)
            process.wait(timeout=30)
