"""bench/http.py cannot rot: every scenario and control, about a second each at 1 and 2 clients,
through gunicorn on PostgreSQL, gets only the answers its user would (a ticket's 302, a 304 for
the board's version, the status shown, …). No speed is asserted: figures live in bench/."""

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


def test_every_scenario_of_the_http_bench_gets_the_answers_its_user_expects(
        postgres_server_url: str, redis_url: str, tmp_path: Path) -> None:
    """The seeded template (khedmat_bench_http_test_<role>_seed) is kept between runs, as the bench keeps its own."""
    # One per role: a template another role made (and owns) could not be dropped and made again.
    role = urlsplit(postgres_server_url).username or "default"
    database = urlunsplit(urlsplit(postgres_server_url)._replace(path=f"/khedmat_bench_http_test_{role}"))
    figures = tmp_path / "figures.json"
    env = {**os.environ, "DATABASE_URL": database, "BENCH_REDIS_URL": redis_url}
    result = subprocess.run(
        [sys.executable, "bench/http.py", "--seconds", "0.5", "--control-seconds", "0.3", "--clients", "1,2",
         "--long-queue", "60", "--json", str(figures), "--profile", "kiosk", "--profile-format", "sampler"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert figures.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    data = json.loads(figures.read_text())
    assert data["server_tracebacks"] == 0, result.stdout[-3000:]
    from bench.http import SCENARIOS

    seen = {(point["scenario"], point["clients"]) for point in data["scenarios"]}
    assert seen == {(scenario.key, clients) for scenario in SCENARIOS for clients in (1, 2)}
    for point in data["scenarios"] + data["controls"]:
        assert point["requests"] > 0, point
        assert not point["unexpected"], (point["scenario"], point["clients"], point["unexpected"], point["statuses"])
    for point in data["scenarios"]:  # each ratio stands on its own control's turns just before and after it
        bracket = point["bracket"]
        assert bracket["scenario"] == point["control"] and bracket["requests"] > 0 and not bracket["unexpected"]
        assert point["ratio"] == pytest.approx(point["req_per_s"] / bracket["req_per_s"], rel=0.01)
    by_key = {(point["scenario"], point["clients"]): point["statuses"] for point in data["scenarios"]}
    assert set(by_key[("kiosk", 2)]["POST"]) == {"302"}
    assert set(by_key[("board304", 2)]["GET"]) == {"304"}
    assert set(by_key[("submission", 2)]["submit POST"]) == {"302"}
    assert result.returncode == 0, result.stdout[-3000:]
    # The kiosk's round was profiled from inside the workers (bench/sampled_wsgi.py): its view is
    # on the stacks, in the raw format bench/stacks.py reads.
    profile = BASE_DIR / data["profile"].split(" ")[0]
    try:
        stacks = profile.read_text()
        assert "kiosk (" in stacks and "khedmat/centers/views_public.py" in stacks
        assert all(line.rpartition(" ")[2].isdigit() for line in stacks.splitlines())
        shown = subprocess.run([sys.executable, "bench/stacks.py", str(profile), "--match", "khedmat/"], cwd=BASE_DIR,
                               capture_output=True, text=True, timeout=60, check=False)
        assert shown.returncode == 0 and "_kiosk_issue" in shown.stdout, shown.stderr
    finally:
        profile.unlink(missing_ok=True)
