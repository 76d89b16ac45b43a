"""The fault drill in CI: citizens' tickets through nginx and two gunicorns while one web node
is SIGKILLed, Redis restarts and the Celery worker is SIGKILLed; nothing acknowledged is lost,
numbered twice or texted twice, and fewer than 1 % of the citizens' actions fail
(bench/fault_drill.py, docs/fault-drill.md).

Runs on the test database of the PostgreSQL pass (served as the application's role, as in
production). Needs Debian's nginx and redis-server: skips without them, fails under CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from bench.fault_drill import (
    DEPLOYED_SITE,
    FALLBACK_SITE,
    NGINX,
    REDIS_SERVER,
    Ports,
    nginx_main,
    nginx_site,
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


SHAPED_SITE = """upstream khedmat_web {
    server 127.0.0.1:8001;
    keepalive 8;
}
server {
    listen 80 default_server;
    listen [::]:80 default_server;
    location /static/ { alias /srv/khedmat/static/; }
    location /media/ { internal; alias /srv/khedmat/private/; }
    access_log /var/log/nginx/khedmat.access.log;
    location / { proxy_pass http://khedmat_web; }
}
"""


def test_the_site_is_rewritten_for_two_web_nodes_on_loopback_and_nothing_else_changes(tmp_path: Path) -> None:
    text = nginx_site(SHAPED_SITE, servers=[9651, 9652], listen=9650, static_root=tmp_path / "static",
                      log_dir=tmp_path)
    assert "server 127.0.0.1:9651 max_fails=1 fail_timeout=10s;\n    server 127.0.0.1:9652" in text
    assert "8001" not in text and "keepalive 8;" in text
    assert re.findall(r"listen [^;]*;", text) == ["listen 127.0.0.1:9650;"]
    assert f"alias {tmp_path}/static/;" in text and "alias /srv/khedmat/private/;" in text
    assert "access_log off;" in text and "proxy_pass http://khedmat_web;" in text


def test_the_drills_site_passes_nginx_t(tmp_path: Path) -> None:
    if not os.access(NGINX, os.X_OK):
        unavailable(f"nginx is not installed at {NGINX}", install="apt-get install nginx")
    source = DEPLOYED_SITE if DEPLOYED_SITE.exists() else FALLBACK_SITE
    site = tmp_path / "site.conf"
    site.write_text(nginx_site(source.read_text(), servers=[9651, 9652], listen=9650,
                               static_root=tmp_path / "static", log_dir=tmp_path))
    main = tmp_path / "nginx.conf"
    main.write_text(nginx_main(site, tmp_path))
    result = subprocess.run([NGINX, "-t", "-q", "-c", str(main), "-p", str(tmp_path)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert "proxy_next_upstream error timeout" in site.read_text()
