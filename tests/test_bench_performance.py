"""bench/performance_pages.py cannot rot: a short run through gunicorn on PostgreSQL, every page and
the control answering whole pages, no traceback in the server's log. No speed is asserted: figures
live in bench/ and docs/public-performance.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.availability import unavailable

BASE_DIR = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")

pytestmark = pytest.mark.postgres


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        unavailable(f"Redis is not reachable at {REDIS_URL} ({error})",
                    install="install and start Redis (Debian: apt-get install redis-server), or set BENCH_REDIS_URL")
    return REDIS_URL


def test_the_performance_pages_bench_runs_and_every_page_answers(postgres_server_url: str, redis_url: str,
                                                                 tmp_path: Path) -> None:
    role = urlsplit(postgres_server_url).username or "default"
    database = urlunsplit(urlsplit(postgres_server_url)._replace(path=f"/khedmat_bench_performance_test_{role}"))
    figures = tmp_path / "figures.json"
    env = {**os.environ, "DATABASE_URL": database, "BENCH_REDIS_URL": redis_url}
    result = subprocess.run([sys.executable, "bench/performance_pages.py", "--seconds", "0.4", "--clients", "1",
                             "--json", str(figures)],
                            cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert figures.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    data = json.loads(figures.read_text())
    assert data["server_tracebacks"] == 0, result.stdout[-3000:]
    from bench.performance_pages import PAGES

    assert {point["page"] for point in data["pages"]} == set(PAGES)
    for point in data["pages"] + data["controls"]:
        assert point["requests"] > 0 and not point["unexpected"], point
    assert data["figures"]["applications"] > 900_000 and data["figures"]["visits"] > 900_000
