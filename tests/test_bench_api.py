"""bench/api.py cannot rot: a short run (2,000 files, half a second a side) through gunicorn on
PostgreSQL gets only 200s, lists 1,000 files by keyset pages and logs no traceback. No speed
is asserted here: the figures at a million rows are in docs/performance.md's API section."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.test_bench_http import redis_url  # noqa: F401 (fixture)

BASE_DIR = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.postgres


def test_the_api_bench_runs_and_gets_the_answers_expected(postgres_server_url: str, redis_url: str,  # noqa: F811
                                                         tmp_path: Path) -> None:
    role = urlsplit(postgres_server_url).username or "default"
    database = urlunsplit(urlsplit(postgres_server_url)._replace(path=f"/khedmat_bench_api_test_{role}"))
    figures = tmp_path / "figures.json"
    env = {**os.environ, "DATABASE_URL": database, "BENCH_CACHE_URL": redis_url}
    result = subprocess.run([sys.executable, "bench/api.py", "--rows", "2000", "--seconds", "0.5", "--rounds", "1",
                             "--json", str(figures)], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                            timeout=600, check=False)
    assert figures.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    data = json.loads(figures.read_text())
    assert data["server_tracebacks"] == 0
    for side in ("control", "catalog"):
        assert data[side]["requests"] > 0 and not data[side]["unexpected"], data[side]
    assert data["listing"]["files"] == 1000 and data["listing"]["pages"] == 10 and not data["listing"]["unexpected"]
