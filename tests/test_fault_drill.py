"""The fault drill in CI: citizens' tickets through nginx and two gunicorns while one web node
is SIGKILLed, Redis restarts and the Celery worker is SIGKILLed; nothing acknowledged is lost,
numbered twice or texted twice, and fewer than 1 % of the citizens' actions fail
(bench/fault_drill.py, docs/fault-drill.md).

Runs on the test database of the PostgreSQL pass (served as the application's role, as in
production). Needs Debian's nginx and redis-server: skips without them, fails under CI.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.db import connection

from bench.fault_drill import (
    NGINX,
    REDIS_SERVER,
    Ports,
    run_drill,
)
from khedmat.applications.tests.test_concurrency import needs_postgresql
from khedmat.notifications.tests.workers import database_url
from tests.availability import unavailable

LOAD_SECONDS = 18.0


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_citizens_lose_nothing_while_a_web_node_redis_and_the_worker_are_killed(tmp_path: Path) -> None:
    if not os.access(NGINX, os.X_OK):
        unavailable(f"nginx is not installed at {NGINX}", install="apt-get install nginx")
    if shutil.which(REDIS_SERVER) is None:
        unavailable("redis-server is not installed", install="apt-get install redis-server")
    base = int(os.environ.get("FAULT_DRILL_BASE_PORT", "9640"))
    report = run_drill(database_url=database_url(connection.settings_dict), work=tmp_path, seconds=LOAD_SECONDS,
                       ports=Ports.from_base(base))
    print("\n" + "\n".join(report.lines))
    assert report.failures == []
