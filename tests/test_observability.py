"""What an operator relies on: /metrics for staff and the scraper only, metrics that move with
the traffic, a JSON request line with the request id and role, /healthz and /readyz."""

from __future__ import annotations

import datetime
import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.urls import urlpatterns as site_urlpatterns
from khedmat.accounts import services as accounts_services
from khedmat.accounts.models import Role
from khedmat.accounts.tests.conftest import DEMO_KEY, PASSWORD, current_totp
from khedmat.centers.services import ticket_issue
from khedmat.centers.tests.conftest import build_hall
from khedmat.core.logs import formatter
from khedmat.notifications.models import Message
from tests.availability import unavailable

pytestmark = pytest.mark.django_db
TOKEN = "scraper-token-0123456789abcdef"
CITIZEN_PHONE = "+93799123456"


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view")


# This module is also the URLconf of its tests: the site's addresses and one view that fails.
urlpatterns = [path("boom/", boom, name="boom"), *site_urlpatterns]


def scrape(client: Client | None = None) -> str:
    client = client or Client()
    with override_settings(METRICS_TOKEN=TOKEN):
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in the exposition text (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(3) or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(match.group(4))
    return 0.0


def platform_admin_client() -> Client:
    """A platform administrator signed in with password and TOTP, as in real life."""
    accounts_services.staff_user_create(username="root.admin", password=PASSWORD, role=Role.PLATFORM_ADMIN,
                                        full_name="Platform Admin", totp_key=DEMO_KEY)
    client = Client()
    client.post("/en/account/staff/sign-in/", {"username": "root.admin", "password": PASSWORD})
    device = TOTPDevice.objects.get(user__username="root.admin")
    client.post("/en/account/staff/second-factor/", {"code": current_totp(device)})
    assert client.session.get("_auth_user_id")
    return client


# --- who may read /metrics ---------------------------------------------------------------------

def test_metrics_are_hidden_from_anonymous_people_and_citizens() -> None:
    assert Client().get("/metrics").status_code == 404
    citizen, _created = accounts_services.citizen_get_or_create(phone_number=CITIZEN_PHONE)
    client = Client()
    client.force_login(citizen)
    assert client.get("/metrics").status_code == 404


def test_staff_whose_role_may_not_see_them_are_refused() -> None:
    operator = build_hall(counter_count=1).operator(1)
    client = Client()
    client.force_login(operator)
    assert client.get("/metrics").status_code == 403


def test_a_platform_administrator_reads_them() -> None:
    response = platform_admin_client().get("/metrics")
    assert response.status_code == 200
    assert "khedmat_http_request_duration_seconds" in response.content.decode()


def test_a_scraper_reads_them_with_the_token_and_not_without() -> None:
    assert "khedmat_failed_logins_total" in scrape()
    with override_settings(METRICS_TOKEN=TOKEN):
        wrong = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
        assert wrong.status_code == 401
        assert wrong["WWW-Authenticate"].startswith("Bearer")
    with override_settings(METRICS_TOKEN=""):
        # No token configured: no token opens it, however it is spelt.
        assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
        assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer x").status_code == 401


# --- the metrics move --------------------------------------------------------------------------

@pytest.mark.urls(__name__)
def test_a_server_error_is_counted_by_view_not_by_path() -> None:
    before = scrape()
    client = Client(raise_request_exception=False)
    assert client.get("/boom/").status_code == 500
    after = scrape()
    assert sample(after, "khedmat_http_server_errors_total", view="boom", method="GET") == \
        sample(before, "khedmat_http_server_errors_total", view="boom", method="GET") + 1
    assert sample(after, "khedmat_http_request_duration_seconds_count", view="boom", method="GET", status="5xx") >= 1


def test_requests_are_labelled_by_route_name_so_labels_stay_few() -> None:
    client = Client()
    client.get("/en/nowhere-1/")
    client.get("/en/nowhere-2/")
    client.get("/healthz")
    text = scrape()
    assert sample(text, "khedmat_http_request_duration_seconds_count", view="healthz", method="GET",
                  status="2xx") >= 1
    assert "nowhere" not in text
    assert sample(text, "khedmat_http_request_duration_seconds_count", view="unmatched", method="GET",
                  status="4xx") >= 2


def test_failed_logins_are_counted_by_kind(client: Client) -> None:
    accounts_services.staff_user_create(username="officer.x", password=PASSWORD, role=Role.PLATFORM_ADMIN,
                                        full_name="Someone", totp_key=DEMO_KEY)
    before = scrape()
    client.post("/en/account/staff/sign-in/", {"username": "officer.x", "password": "not the password"})
    client.post("/en/account/sign-in/", {"phone_number": "0799 123 456"})
    client.post("/en/account/sign-in/code/", {"code": "000000"})
    after = scrape()
    for kind in ("password", "sms_code"):
        assert sample(after, "khedmat_failed_logins_total", kind=kind) == \
            sample(before, "khedmat_failed_logins_total", kind=kind) + 1, kind
    assert sample(after, "khedmat_failed_logins_total", kind="second_factor") == \
        sample(before, "khedmat_failed_logins_total", kind="second_factor")


def test_a_wrong_second_factor_code_is_counted() -> None:
    accounts_services.staff_user_create(username="admin.two", password=PASSWORD, role=Role.PLATFORM_ADMIN,
                                        full_name="Admin Two", totp_key=DEMO_KEY)
    client = Client()
    client.post("/en/account/staff/sign-in/", {"username": "admin.two", "password": PASSWORD})
    device = TOTPDevice.objects.get(user__username="admin.two")
    wrong = "000000" if current_totp(device) != "000000" else "111111"
    before = scrape()
    client.post("/en/account/staff/second-factor/", {"code": wrong})
    after = scrape()
    assert sample(after, "khedmat_failed_logins_total", kind="second_factor") == \
        sample(before, "khedmat_failed_logins_total", kind="second_factor") + 1


def test_queue_and_outbox_figures_are_read_at_scrape_time() -> None:
    hall = build_hall(counter_count=2)
    assert sample(scrape(), "khedmat_queue_waiting_tickets", center="KBL") == 0
    ticket_issue(center=hall.center, service=hall.passport)
    ticket_issue(center=hall.center, service=hall.licence)
    now = timezone.now()
    Message.objects.create(to=CITIZEN_PHONE, body="x", language="en", template="ticket.called",
                           created_at=now - datetime.timedelta(minutes=10),
                           give_up_at=now + datetime.timedelta(hours=1))
    text = scrape()
    assert sample(text, "khedmat_queue_waiting_tickets", center="KBL") == 2
    assert sample(text, "khedmat_queue_oldest_wait_seconds", center="KBL") >= 0
    assert 590 <= sample(text, "khedmat_outbox_oldest_pending_seconds") < 900
    assert sample(text, "khedmat_outbox_pending_messages", status="created") == 1
    assert sample(text, "khedmat_collector_up", collector="outbox") == 1
    assert sample(text, "khedmat_collector_up", collector="queue") == 1
    assert CITIZEN_PHONE not in text


# --- the request's log line --------------------------------------------------------------------

@pytest.fixture
def request_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    request_logger = logging.getLogger("khedmat.request")
    request_logger.addHandler(handler)
    old_level = request_logger.level
    request_logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        request_logger.removeHandler(handler)
        request_logger.setLevel(old_level)


def test_the_request_line_carries_request_id_role_and_view_and_no_phone(request_lines: io.StringIO) -> None:
    citizen, _created = accounts_services.citizen_get_or_create(phone_number=CITIZEN_PHONE)
    client = Client()
    client.force_login(citizen)
    response = client.get(f"/en/?phone={CITIZEN_PHONE}", HTTP_X_REQUEST_ID="abcdef0123456789")
    assert response["X-Request-ID"] == "abcdef0123456789"
    (line,) = [json.loads(text) for text in request_lines.getvalue().splitlines()]
    assert line["event"] == "request"
    assert line["request_id"] == "abcdef0123456789"
    assert line["role"] == "citizen"
    assert line["view"] == "catalog:home" and line["method"] == "GET" and line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert {"timestamp", "level", "logger"} <= set(line)
    output = request_lines.getvalue()
    assert CITIZEN_PHONE not in output and "799123456" not in output and str(citizen.pk) not in json.dumps(
        {k: v for k, v in line.items() if k not in ("timestamp", "request_id", "duration_ms")})


def test_probes_are_not_logged_line_by_line(request_lines: io.StringIO) -> None:
    Client().get("/healthz")
    Client().get("/readyz")
    assert request_lines.getvalue() == ""
    Client().get("/en/")
    assert json.loads(request_lines.getvalue())["role"] == "anonymous"


# --- liveness and readiness --------------------------------------------------------------------

def test_healthz_asks_no_dependency(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("healthz touched the database")

    monkeypatch.setattr("django.db.backends.base.base.BaseDatabaseWrapper.cursor", broken)
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_answers_ok_when_everything_answers() -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok",
                                                          "broker": "not configured"}}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_readyz_names_a_dead_cache_without_saying_where() -> None:
    port = closed_port()
    dead = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": f"redis://127.0.0.1:{port}/5"}}
    with override_settings(CACHES=dead):
        response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["cache"] and body["checks"]["cache"] == "failed"
    assert body["checks"]["database"] == "ok"
    assert str(port) not in response.content.decode() and "127.0.0.1" not in response.content.decode()


def test_readyz_answers_in_bounded_time_when_the_cache_hangs() -> None:
    # A server that accepts connections and never answers: the check must give up, not wait.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        hanging = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                               "LOCATION": f"redis://127.0.0.1:{port}/5"}}
        with override_settings(CACHES=hanging, READINESS_TIMEOUT_SECONDS=0.5):
            response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "timeout"


def test_readyz_names_a_dead_database(monkeypatch: pytest.MonkeyPatch) -> None:
    settings_dict = connections.settings["default"]
    if settings_dict["ENGINE"].endswith("sqlite3"):
        monkeypatch.setitem(settings_dict, "NAME", "/nonexistent-folder/khedmat.sqlite3")
        monkeypatch.setitem(settings_dict, "TEST", {**settings_dict.get("TEST", {}), "NAME": None})
    else:
        monkeypatch.setitem(settings_dict, "HOST", "127.0.0.1")
        monkeypatch.setitem(settings_dict, "PORT", str(closed_port()))
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]


def test_readyz_checks_the_broker_when_one_is_configured() -> None:
    dead = f"redis://127.0.0.1:{closed_port()}/5"
    with override_settings(CELERY_BROKER_URL=dead, CELERY_TASK_ALWAYS_EAGER=False):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]
    assert dead not in response.content.decode()


def test_readyz_with_redis_as_cache_and_broker() -> None:
    import redis

    url = "redis://127.0.0.1:6379/5"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        unavailable(f"Redis is not reachable ({error})", install="apt-get install redis-server")
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                               "LOCATION": url}},
                           CELERY_BROKER_URL=url, CELERY_TASK_ALWAYS_EAGER=False):
        response = Client().get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}


# --- several worker processes ------------------------------------------------------------------

def test_counts_of_several_worker_processes_add_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As under gunicorn with PROMETHEUS_MULTIPROC_DIR: each worker writes its own file, a
    scrape in any worker adds them up, and a dead worker's counts stay counted."""
    program = ("from khedmat.core import metrics\n"
               "metrics.failed_login('password')\n"
               "metrics.observe_request(view='boom', method='GET', status=500, seconds=0.2)\n")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _worker in range(2):
        subprocess.run([sys.executable, "-c", program], env=env, cwd=settings.BASE_DIR, check=True, timeout=60)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    text = scrape()
    assert sample(text, "khedmat_failed_logins_total", kind="password") == 2
    assert sample(text, "khedmat_http_server_errors_total", view="boom", method="GET") == 2
    assert sample(text, "khedmat_http_request_duration_seconds_count", view="boom", method="GET", status="5xx") == 2
    assert sample(text, "khedmat_collector_up", collector="outbox") == 1


def test_djangos_own_lines_about_a_request_carry_its_id() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    django_request = logging.getLogger("django.request")
    django_request.addHandler(handler)
    try:
        Client().get("/en/nowhere/", HTTP_X_REQUEST_ID="fedcba9876543210")
    finally:
        django_request.removeHandler(handler)
    (line,) = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["event"] == "Not Found: /en/nowhere/"
    assert line["request_id"] == "fedcba9876543210" and line["status"] == 404
    # Once the response is finished, the id is no longer bound.
    from structlog.contextvars import get_contextvars

    assert "request_id" not in get_contextvars()


def test_production_writes_every_line_as_json_without_the_phone(tmp_path: Path) -> None:
    from tests.test_deploy_check import production_env, run_manage, skip_if_env_file_sets

    skip_if_env_file_sets("LOG_FORMAT")
    script = ("import logging; from khedmat.core.logs import get_logger; "
              "logging.getLogger('django.request').warning('Not Found: /en/x/?phone=%s', '+93799123456'); "
              "get_logger('khedmat.test').info('code sent', phone_number='+93799123456', center='KBL')")
    result = run_manage(production_env(tmp_path), "shell", "--no-imports", "-c", script)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]  # every line is JSON
    assert [line["logger"] for line in lines][-2:] == ["django.request", "khedmat.test"]
    assert all({"timestamp", "level", "logger", "event"} <= set(line) for line in lines)
    assert "799123456" not in result.stderr
