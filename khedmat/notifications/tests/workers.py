"""Real Celery workers for tests and benchmarks: `celery -A config.celery worker` processes
on a Redis broker, each in its own process group so that it can be killed whole.

    broker_url = require_redis()  # a Redis database of this run's own (8–15), emptied
    env = worker_environment(database_url=..., broker_url=broker_url, sms_gateways=[...], callback_base_url=...)
    with running_worker(env, name="first", log_path=tmp_path / "first.log") as worker:
        producer(broker_url).send_task("notifications.deliver", args=[[1, 2, 3]])
        worker.kill()  # SIGKILL to the main process and its pool's children
    release_scratch_broker(broker_url)

The workers run with `config.settings.local` and CELERY_BROKER_URL set, which makes them
real (non-eager) workers; the process that starts them may well be eager itself (the test
settings are), so it sends tasks through `producer()`, a Celery app of its own on the broker.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.availability import unavailable

BASE_DIR = Path(__file__).resolve().parents[3]
REDIS_SERVER = "redis://127.0.0.1:6379"
# The Redis databases tests and benchmarks may claim and empty: 8–15.
FIRST_SCRATCH_DB = 8
SCRATCH_DBS = 8


CLAIM_KEY = "khedmat:scratch-claim"
CLAIM_SECONDS = 3600


def claim_scratch_broker(*, offset: int = 0, url: str = "") -> str | None:
    """A Redis database for this run's broker, emptied and claimed so that no other run uses
    it at the same time (another test process, a benchmark, someone else's bench): `url`
    when given, else the first free one of databases 8–15, starting with 8 + the xdist
    worker's number + `offset`. None when none is free. `release_scratch_broker` empties it."""
    if url:
        return url if _claim(url) else None
    server = os.environ.get("KHEDMAT_REDIS_URL", REDIS_SERVER).rstrip("/")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    for step in range(SCRATCH_DBS):
        candidate = f"{server}/{FIRST_SCRATCH_DB + (index + offset + step) % SCRATCH_DBS}"
        if _claim(candidate):
            return candidate
    return None


def _claim(url: str) -> bool:
    """Claim `url`'s database if nobody holds it and it holds nothing of anyone else's."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        if not client.set(CLAIM_KEY, f"{socket.gethostname()}:{os.getpid()}", nx=True, ex=CLAIM_SECONDS):
            return False  # another run holds it
        if client.dbsize() > 1:  # keys nobody claimed: another program's, or a crashed run's
            client.delete(CLAIM_KEY)
            return False
        return True
    finally:
        client.close()


def release_scratch_broker(url: str) -> None:
    """Empty a database claimed with `claim_scratch_broker` (the claim goes with it)."""
    import redis

    with contextlib.suppress(redis.RedisError):
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.flushdb()
        client.close()


def require_redis() -> str:
    """A claimed scratch database's URL; skip (fail in CI) when Redis does not answer or has
    no free database."""
    import redis

    install = "apt-get install redis-server, or set KHEDMAT_REDIS_URL to a Redis server"
    try:
        url = claim_scratch_broker()
    except redis.RedisError as error:
        unavailable(f"Redis is not reachable ({error})", install=install)
    if url is None:
        unavailable(f"Redis databases {FIRST_SCRATCH_DB}–{FIRST_SCRATCH_DB + SCRATCH_DBS - 1} are all in use "
                    "or hold keys of another program", install="empty one (redis-cli -n <db> flushdb)")
    return url


def database_url(settings_dict: dict[str, Any]) -> str:
    """A DATABASE_URL for the PostgreSQL database Django's connection uses (the test database
    in a test)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


def worker_environment(*, database_url: str, broker_url: str, sms_gateways: list[dict[str, Any]],
                       callback_base_url: str, **settings: object) -> dict[str, str]:
    """The environment of a worker process: these, plus any setting read from the
    environment (e.g. SMS_LEASE_SECONDS=3), on top of this process's own environment."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "SMS_GATEWAYS": json.dumps(sms_gateways),
        "SMS_CALLBACK_BASE_URL": callback_base_url,
        "LOG_LEVEL": "INFO",
        **{key: str(value) for key, value in settings.items()},
    })
    return env


@dataclass
class Worker:
    """A `celery worker` process group."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_bytes().decode("utf-8", "replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole group at once (the main process and the pool's children): a
        machine losing power, as far as the outbox can tell."""
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> None:
        """A warm shutdown (SIGTERM: tasks in hand are finished), then SIGKILL if it hangs."""
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        # The pool's children may outlive the main process by a moment.
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)


def start_worker(env: dict[str, str], *, name: str, log_path: Path, concurrency: int | None = None,
                 pool: str | None = None, extra_args: tuple[str, ...] = (), timeout: float = 30.0) -> Worker:
    """Start a worker in a process group of its own and return once it is ready for tasks;
    its pool and concurrency are the settings' (CELERY_WORKER_POOL, …) unless given."""
    command = [sys.executable, "-m", "celery", "-A", "config.celery", "worker", "--hostname", f"{name}@%h",
               "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat", *extra_args]
    if pool:
        command += ["--pool", pool]
    if concurrency:
        command += ["--concurrency", str(concurrency)]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    worker = Worker(name=name, process=process, log_path=log_path)
    deadline = time.monotonic() + timeout
    while f"{name}@" not in worker.log() or " ready." not in worker.log():
        if process.poll() is not None or time.monotonic() > deadline:
            worker.stop(timeout=1)
            tail = "\n".join(worker.log().splitlines()[-30:])
            raise RuntimeError(f"celery worker {name} did not start (exit {process.returncode}):\n{tail}")
        time.sleep(0.05)
    return worker


@contextlib.contextmanager
def running_worker(env: dict[str, str], *, name: str, log_path: Path, **options: Any) -> Iterator[Worker]:
    """A worker for the length of the block, stopped (or killed) on the way out."""
    worker = start_worker(env, name=name, log_path=log_path, **options)
    try:
        yield worker
    finally:
        worker.stop()


def producer(broker_url: str) -> Any:
    """A Celery app that only sends tasks, by name, to the workers on `broker_url`."""
    from celery import Celery

    app = Celery("producer", broker=broker_url, set_as_current=False)
    app.conf.update(task_ignore_result=True, broker_connection_retry_on_startup=True)
    return app
