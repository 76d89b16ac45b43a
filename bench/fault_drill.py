"""The fault drill: citizens' requests through nginx and two web nodes while the machine is
broken three ways; afterwards, nothing acknowledged is lost, numbered twice or sent twice.

    python bench/fault_drill.py                    # ~25 s of load on a database of its own
    python bench/fault_drill.py --seconds 40 --keep  # longer; keep the work directory (logs)

On loopback, all real: Debian's nginx (deploy/nginx/khedmat.conf, rendered for two nodes by the
`render_site` that `make serve` uses) in front of two gunicorn instances (2 sync workers
each, production settings through bench/fault_settings.py), one Celery worker, a Redis of the
drill's own (broker and cache), PostgreSQL, and an SMS gateway that records what it receives
(the `http_json` plug-in to a small HTTP server here, which honours the Idempotency-Key as a
real operator's does). Simulated citizens take kiosk tickets (the paired kiosk's two screens),
join the queue from their phones (a ticket and an SMS with its link) and file applications
online (signed in: the form, an upload, the payment order), for a fixed time, while the drill

  1. SIGKILLs one gunicorn (master and workers) and starts it again 3 s later, as systemd would;
  2. restarts Redis (down for a second, nothing persisted: its queued tasks are lost);
  3. SIGKILLs the Celery worker and starts it again 2 s later.

Then, the worker drained and the outbox swept (`deliver_due`, as beat sends it), it checks:
every ticket and application a citizen saw (the redirect to its page) is in the database;
ticket numbers per queue group and day and references per service are unique and gap-free;
every outbox message reached the gateway exactly once (by its idempotency key) and is
recorded delivered; `manage.py audit_verify` passes; fewer than 1 % of the citizens' actions
that began during the faults failed, and no request hung past the client's timeout. A client
does what a kiosk page or a phone's browser does when a request fails on the way (no answer,
502/503/504): it sends the same form again with the same one-time token, which the product
turns into the same ticket or file. Both figures are printed: failed attempts, and actions
that failed for the citizen after those resends.

tests/test_fault_drill.py runs it in CI (PostgreSQL pass) on the test database.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and bench/http.py would hide the
# standard library's `http` (http.client, imported by bench/http_support.py): take the folder
# off before anything imports it.
if Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    del sys.path[0]

import argparse
import contextlib
import functools
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.http_support import (  # noqa: E402
    Answer,
    Browser,
    Server,
    collect_static,
    database_recreate,
    hidden_value,
    percentile_ms,
    server_env,
)
from scripts.serve import main_conf, render_site  # noqa: E402  (the site as `make serve` renders it)

PYTHON = str(BASE_DIR / ".venv" / "bin" / "python")
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
REDIS_SERVER = os.environ.get("REDIS_SERVER", "redis-server")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/khedmat_fault"
DEPLOYED_SITE = BASE_DIR / "deploy" / "nginx" / "khedmat.conf"
SETTINGS = "bench.fault_settings"
CLIENT_TIMEOUT = 10.0  # seconds: a request taking longer has hung
RETRY_FOR = (0, 502, 503, 504)  # no answer, or the proxy's own: the form is sent again, same token
MAX_ERROR_RATE = 0.01
CLIENTS = {"kiosk": 2, "join": 2, "submit": 2}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
# The passport form (demo/services/moi-psp.yaml, which the drill's services copy): a Solar
# Hijri birth date, 1 Hamal 1369, and the copy of the tazkira.
ANSWERS = {
    "action": "submit", "f-full_name": "Drill Citizen", "f-father_name": "Drill Father",
    "f-date_of_birth-day": "1", "f-date_of_birth-month": "1", "f-date_of_birth-year": "1369",
    "f-validity_years": "5", "f-is_renewal": "no", "f-collection_center": "FDR",  # the drill's center
}
UPLOADS = {"doc-tazkira_copy": ("tazkira.pdf", "application/pdf", PDF)}
KIOSK_COOKIE = "khedmat_device"  # khedmat.centers.devices.COOKIE_NAME
CENTER_SLUG = "fault-drill"


# --- the seed: a center, its two services, a paired kiosk (run under the servers' settings) ----------

def seed() -> dict[str, Any]:
    """A center open around the clock offering two published services in two queue groups,
    and a kiosk paired by its manager: what the drill's citizens need. Prints nothing."""
    import datetime

    import yaml
    from django.conf import settings
    from django.http import HttpResponse

    from khedmat.accounts.roles import Role
    from khedmat.accounts.services import staff_user_create
    from khedmat.catalog import services as catalog_services
    from khedmat.centers import devices
    from khedmat.centers.services import center_offer_services, center_upsert, queue_group_upsert

    catalog_services.category_upsert(slug="identity-and-travel", name={"en": "Identity", "fa": "هویت", "ps": "هویت"})
    agency = catalog_services.agency_upsert(code="MOI", slug="interior",
                                            name={"en": "Interior", "fa": "داخله", "ps": "کورنۍ چارې"})
    published = []
    for code, slug in (("FDA", "fault-drill-a"), ("FDB", "fault-drill-b")):
        definition = yaml.safe_load(Path(settings.BASE_DIR, "demo/services/moi-psp.yaml").read_text(encoding="utf-8"))
        definition.update(code=code, slug=slug)
        published.append(catalog_services.service_publish(agency=agency, definition=definition).service)
    names = {"en": "Fault drill", "fa": "تمرین خرابی", "ps": "د خرابۍ تمرین"}
    center = center_upsert(code="FDR", slug=CENTER_SLUG, name=names, city=names,
                           address={"en": "-", "fa": "-", "ps": "-"}, opens_at=datetime.time(0),
                           closes_at=datetime.time(0), open_weekdays=range(7))
    center_offer_services(center=center, services=published)
    for letter, service in zip(("A", "B"), published, strict=True):
        queue_group_upsert(center=center, letter=letter, name={"en": letter, "fa": letter, "ps": letter},
                           services=[service])
    manager = staff_user_create(username=f"fault.manager.{uuid.uuid4().hex[:8]}", password=secrets.token_urlsafe(24),
                                role=Role.CENTER_MANAGER, center=center, full_name="Drill manager")
    issued = devices.device_add(center=center, kind="kiosk", name="Drill kiosk", actor=manager)
    response = HttpResponse()
    devices.device_set_credential(response, devices.device_pair(code=issued.code))
    return {"center": center.slug, "services": [service.pk for service in published],
            "slugs": [service.slug for service in published],
            "kiosk_cookie": response.cookies[devices.COOKIE_NAME].value, "sessions": _signed_in_citizens(8)}


def _signed_in_citizens(count: int) -> list[str]:
    """Session keys of `count` citizens, as their sign-in by SMS code would leave them."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore

    sessions = []
    for n in range(count):
        phone = f"+93788{n:06d}"
        user, _created = get_user_model().objects.get_or_create(username=phone, defaults={
            "phone_number": phone, "role": "citizen", "full_name": f"Drill citizen {n}",
            "password": make_password(None)})
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append(str(store.session_key))
    return sessions


def verify(acknowledged: list[str]) -> dict[str, Any]:
    """What the database holds after the drill (run under the servers' settings)."""
    from django.db.models import Count, Max, Min

    from khedmat.applications.models import Application
    from khedmat.centers.models import Ticket
    from khedmat.notifications.models import Message

    tickets = [value for value in acknowledged if value.startswith("ticket:")]
    files = [value.split(":", 1)[1] for value in acknowledged if value.startswith("file:")]
    acknowledged = [value.split(":", 1)[1] for value in tickets]
    filed = {str(public_id): reference for public_id, reference in Application.objects.filter(
        service__slug__startswith="fault-drill-").exclude(reference=None).values_list("public_id", "reference")}
    references: dict[str, list[int]] = {}
    for reference in filed.values():
        prefix, _dash, number = str(reference).rpartition("-")
        references.setdefault(prefix, []).append(int(number))
    found = set(str(value) for value in Ticket.objects.filter(public_id__in=acknowledged)
                .values_list("public_id", flat=True))
    groups = []
    for row in (Ticket.objects.filter(center__slug=CENTER_SLUG).values("group__letter", "day")
                .annotate(n=Count("id"), distinct=Count("number", distinct=True), low=Min("number"),
                          high=Max("number"))):
        groups.append({"group": row["group__letter"], "day": str(row["day"]), "tickets": row["n"],
                       "distinct": row["distinct"], "low": row["low"], "high": row["high"]})
    messages = list(Message.objects.values("idempotency_key", "to", "status", "attempts"))
    return {
        "acknowledged": len(set(acknowledged)), "missing": sorted(set(acknowledged) - found)[:20],
        "missing_count": len(set(acknowledged) - found), "groups": groups,
        "tickets": Ticket.objects.filter(center__slug=CENTER_SLUG).count(),
        "messages": [{**row, "idempotency_key": str(row["idempotency_key"])} for row in messages],
        "files_acknowledged": len(set(files)), "files_missing": sorted(set(files) - set(filed))[:20],
        "files": len(filed), "references": {prefix: sorted(numbers) for prefix, numbers in references.items()},
    }


_IN_DJANGO = """
import json, sys
import django
django.setup()
from bench.fault_drill import {name}
print("RESULT " + json.dumps({name}(*json.loads(sys.stdin.read() or "[]"))))
"""


def in_django(name: str, env: dict[str, str], log: Path, *args: Any) -> Any:
    """Run `name` of this module in a Django process under `env` (the servers' settings and key)."""
    with log.open("ab") as out:
        result = subprocess.run([PYTHON, "-c", _IN_DJANGO.format(name=name)], cwd=BASE_DIR, env=env,
                                input=json.dumps(args).encode(), stdout=subprocess.PIPE, stderr=out, check=False)
    lines = [line for line in result.stdout.decode().splitlines() if line.startswith("RESULT ")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"{name} failed ({result.returncode}); see {log}")
    return json.loads(lines[-1][len("RESULT "):])


# --- nginx -------------------------------------------------------------------------------------------

# --- the SMS gateway that records ---------------------------------------------------------------------

class Recorder:
    """An operator's JSON API on loopback: takes each message, once per Idempotency-Key (a
    message sent again under the same key is answered as before and not sent twice)."""

    def __init__(self, port: int) -> None:
        self.lock = threading.Lock()
        self.delivered: dict[str, dict[str, str]] = {}  # key -> the message as the phone got it
        self.posts: Counter[str] = Counter()  # key -> how many times it was sent to us
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                key = self.headers.get("Idempotency-Key", "")
                with recorder.lock:
                    recorder.posts[key] += 1
                    recorder.delivered.setdefault(key, {"to": data.get("to", ""), "text": data.get("text", "")})
                body = json.dumps({"id": key}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- processes -----------------------------------------------------------------------------------------

@dataclass
class Process:
    """A process group started by the drill: killed whole, on purpose or at the end."""

    name: str
    command: list[str]
    log: Path
    env: dict[str, str] | None = None
    cwd: Path = BASE_DIR
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)

    def signal(self, signum: int) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        """SIGKILL to the whole group: the machine's power cut, as far as this process knows."""
        self.signal(signal.SIGKILL)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        self.kill()  # children that outlived their parent go too


def wait_until(check: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def redis_answers(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
    except redis.RedisError:
        return False


# --- the citizens ------------------------------------------------------------------------------------

@dataclass
class Attempt:
    kind: str
    began: float  # seconds since the load began
    seconds: float
    status: int
    error: str = ""


@dataclass
class Action:
    """One thing a citizen set out to do (take a ticket), with every request it took."""

    kind: str
    began: float
    ok: bool = False
    ticket: str = ""
    attempts: list[Attempt] = field(default_factory=list)
    problem: str = ""


@dataclass
class Load:
    started: float
    actions: list[Action] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, action: Action) -> None:
        with self.lock:
            self.actions.append(action)


TICKET_PATH = re.compile(r"/tickets/([0-9a-f-]{36})/")


def _send(browser: Browser, action: Action, load: Load, send: Callable[[], Answer], *, deadline: float) -> Answer:
    """One request, sent again (the same form, the same token) while the answer is no answer
    or the proxy's 502/503/504 and the action's time is not up."""
    while True:
        began = time.perf_counter()
        answer = send()
        error = answer.headers.get("error", "") if answer.status == 0 else ""
        action.attempts.append(Attempt(action.kind, began - load.started, answer.seconds, answer.status, error))
        if answer.status not in RETRY_FOR or time.perf_counter() > deadline:
            return answer
        time.sleep(0.2)


def citizen(kind: str, index: int, *, port: int, seed_data: dict[str, Any], load: Load, until: float) -> None:
    """Act until `until`: tickets at the paired kiosk (`kiosk`) or from a phone (`join`), or
    applications filed online (`submit`)."""
    center, services = seed_data["center"], seed_data["services"]
    browser = Browser(port, timeout=CLIENT_TIMEOUT)
    if kind == "kiosk":
        browser.cookies[KIOSK_COOKIE] = seed_data["kiosk_cookie"]
    if kind == "submit":
        browser.cookies["sessionid"] = seed_data["sessions"][index]
    number = 0
    while time.perf_counter() < until:
        number += 1
        service = services[(index + number) % len(services)]
        action = Action(kind, time.perf_counter() - load.started)
        deadline = time.perf_counter() + 3 * CLIENT_TIMEOUT
        if kind == "submit":
            _submit(browser, action, load, f"/en/apply/{seed_data['slugs'][(index + number) % 2]}/", deadline)
            load.add(action)
            continue
        if kind == "kiosk":
            page_path, form_path = f"/en/centers/{center}/kiosk/?service={service}", f"/en/centers/{center}/kiosk/"
        else:
            page_path = form_path = f"/en/centers/{center}/join/"
        page = _send(browser, action, load, functools.partial(browser.get, page_path), deadline=deadline)
        token, csrf = hidden_value(page.body, "token"), hidden_value(page.body, "csrfmiddlewaretoken")
        if page.status != 200 or not token:
            action.problem = f"form: {page.status} {page.headers.get('error', '')}"[:160]
            load.add(action)
            time.sleep(0.1)
            continue
        fields = {"csrfmiddlewaretoken": csrf, "service": str(service), "token": token}
        if kind == "kiosk":
            fields["plain"] = "1"
        else:
            fields["phone"] = f"+9379{index:02d}{number:05d}"[:13]
        sent = _send(browser, action, load, functools.partial(browser.post_form, form_path, fields), deadline=deadline)
        found = TICKET_PATH.search(sent.headers.get("location", "")) if sent.status == 302 else None
        if found:
            action.ok, action.ticket = True, f"ticket:{found.group(1)}"
        else:
            action.problem = f"{sent.status} {sent.headers.get('error') or sent.body[:100]!r}"[:160]
        load.add(action)
    browser.close()


FILE_PATH = re.compile(r"/applications/([0-9a-f-]{36})/submitted/")


def _submit(browser: Browser, action: Action, load: Load, path: str, deadline: float) -> None:
    """A signed-in citizen files an application online: the form, then the answers and the
    document in one POST with the page's submission token (resent as it is if need be)."""
    page = _send(browser, action, load, functools.partial(browser.get, path), deadline=deadline)
    token, csrf = hidden_value(page.body, "submission_token"), hidden_value(page.body, "csrfmiddlewaretoken")
    if page.status != 200 or not token:
        action.problem = f"form: {page.status} {page.headers.get('error', '')}"[:160]
        return
    fields = {"csrfmiddlewaretoken": csrf, "submission_token": token, **ANSWERS}
    sent = _send(browser, action, load, functools.partial(browser.post_multipart, path, fields, UPLOADS),
                 deadline=deadline)
    found = FILE_PATH.search(sent.headers.get("location", "")) if sent.status == 302 else None
    if found:
        action.ok, action.ticket = True, f"file:{found.group(1)}"
    elif sent.status == 200:  # the form again, with what was wrong
        errors = re.findall(rb'class="[^"]*error[^"]*"[^>]*>\s*([^<]{0,80})', sent.body)
        action.problem = "form shown again: " + "; ".join(e.decode(errors="replace").strip() for e in errors[:3])
    else:
        action.problem = f"{sent.status} {sent.headers.get('error') or sent.body[:100]!r}"[:160]


# --- the drill ---------------------------------------------------------------------------------------

@dataclass
class Fault:
    name: str
    began: float = 0.0
    ended: float = 0.0  # when what was broken answered again


@dataclass
class Ports:
    nginx: int
    web: tuple[int, int]
    redis: int
    gateway: int

    @classmethod
    def from_base(cls, base: int) -> Ports:
        return cls(nginx=base + 10, web=(base + 11, base + 12), redis=base + 1, gateway=base + 20)


@dataclass
class Report:
    lines: list[str]
    failures: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def run_drill(*, database_url: str, work: Path, seconds: float = 24.0, ports: Ports | None = None) -> Report:
    """Start everything, load it, break it, check it; stop everything whatever happens."""
    ports = ports or Ports.from_base(9600)
    processes: list[Process] = []
    recorders: list[Recorder] = []
    try:
        return _drill(database_url=database_url, work=work, seconds=seconds, ports=ports, processes=processes,
                      recorder_box=recorders)
    finally:
        for process in reversed(processes):
            process.stop(timeout=5)
        for recorder in recorders:
            recorder.close()


def _drill(*, database_url: str, work: Path, seconds: float, ports: Ports, processes: list[Process],
           recorder_box: list[Recorder]) -> Report:
    began = time.monotonic()
    say = print
    redis_url = f"redis://127.0.0.1:{ports.redis}"
    static_root = work / "static"
    env = server_env(database_url=database_url, static_root=static_root, private_root=work,
                     extra={"DJANGO_SETTINGS_MODULE": SETTINGS, "CACHE_URL": f"{redis_url}/0",
                            "CELERY_BROKER_URL": f"{redis_url}/1", "CONN_MAX_AGE": "60"})
    env.pop("BENCH_CACHE_PREFIX", None)  # the drill's Redis is its own

    redis_server = Process("redis", [REDIS_SERVER, "--port", str(ports.redis), "--bind", "127.0.0.1", "--save", "",
                                     "--appendonly", "no", "--dir", str(work)], work / "redis.log")
    processes.append(redis_server)
    redis_server.start()
    wait_until(lambda: redis_answers(ports.redis), timeout=10, what="redis-server")

    recorder = Recorder(ports.gateway)
    recorder_box.append(recorder)
    gateways = [{"name": "drill", "plugin": "http_json", "priority": 1, "url": f"http://127.0.0.1:{ports.gateway}/",
                 "receipts": False, "timeout": 5}]
    env["SMS_GATEWAYS"] = json.dumps(gateways)
    env["SMS_CALLBACK_BASE_URL"] = f"http://127.0.0.1:{ports.nginx}"
    # A message a killed worker held is taken again after its lease (and grace, when it may
    # have reached the gateway) runs out: short here, so that the drill's sweep ends soon.
    env.update({"SMS_LEASE_SECONDS": "3", "SMS_IN_DOUBT_GRACE_SECONDS": "2"})

    # The seed and the worker's start beside collectstatic (which the web nodes need first).
    seeded: list[dict[str, Any]] = []
    seeding = threading.Thread(target=lambda: seeded.append(in_django("seed", env, work / "seed.log")), daemon=True)
    seeding.start()
    worker = Process("worker", [PYTHON, "-m", "celery", "-A", "config.celery", "worker", "--hostname",
                                "drill@%h", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                                "--without-heartbeat", "--pool", "threads", "--concurrency", "4"],
                     work / "worker.log", env={**env, "LOG_LEVEL": "INFO"})
    processes.append(worker)
    worker.start()
    collect_static(BASE_DIR, env, work / "setup.log")

    webs = [Server(name=f"web-{i + 1}", tree=BASE_DIR, database_url=database_url, port=port,
                   log=work / f"web-{i + 1}.log", env=env, workers=2, extra_args=("--preload",))
            for i, port in enumerate(ports.web)]
    web_groups = []
    for web in webs:
        web.start()
        assert web.process is not None
        web_groups.append(web)
    processes.extend(_ServerProcess(web) for web in webs)

    site_source = DEPLOYED_SITE
    site = work / "site.conf"
    site.write_text(render_site(site_source.read_text(), listen=f"127.0.0.1:{ports.nginx}", static_parent=work,
                                upstreams=[f"127.0.0.1:{port} max_fails=1 fail_timeout=10s" for port in ports.web],
                                log_dir=work))
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (work / "tmp" / name).mkdir(parents=True, exist_ok=True)
    nginx_conf = work / "nginx.conf"
    nginx_conf.write_text(main_conf(site, work))
    check = subprocess.run([NGINX, "-t", "-q", "-c", str(nginx_conf), "-p", str(work)], capture_output=True,
                           text=True, check=False)
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t refused {site} (from {site_source}): {check.stderr.strip()}")
    nginx = Process("nginx", [NGINX, "-c", str(nginx_conf), "-p", str(work), "-g", "daemon off;"], work / "nginx.log")
    processes.append(nginx)
    nginx.start()
    seeding.join()
    if not seeded:
        raise RuntimeError(f"seeding the drill's center failed; see {work / 'seed.log'}")
    seed_data = seeded[0]
    for web in webs:
        web.wait_ready()
    wait_until(lambda: "drill@" in worker.log.read_text(errors="replace") and " ready." in
               worker.log.read_text(errors="replace"), timeout=30, what="the Celery worker")
    wait_until(lambda: Browser(ports.nginx, timeout=2).get("/healthz").status == 200, timeout=10,
               what="/healthz through nginx")
    say(f"  nginx :{ports.nginx} -> gunicorn :{ports.web[0]}, :{ports.web[1]} (2 sync workers each); "
        f"redis :{ports.redis}; worker; gateway :{ports.gateway}; site from {site_source.relative_to(BASE_DIR)}; "
        f"ready in {time.monotonic() - began:.0f} s")
    say(f"  center {seed_data['center']}: services {seed_data['services']}, a paired kiosk")

    # The load, and the faults on their schedule (seconds from the start of the load).
    load = Load(started=time.perf_counter())
    until = load.started + seconds
    threads = [threading.Thread(target=citizen, args=(kind, index), daemon=True,
                                kwargs={"port": ports.nginx, "seed_data": seed_data, "load": load, "until": until})
               for kind, count in CLIENTS.items() for index in range(count)]
    for thread in threads:
        thread.start()
    faults: list[Fault] = []

    def at(moment: float) -> None:
        time.sleep(max(0.0, load.started + moment - time.perf_counter()))

    def now() -> float:
        return time.perf_counter() - load.started

    def web_restart(fault: Fault) -> None:
        """systemd's Restart=always: the unit starts again RestartSec (3 s) after it died."""
        time.sleep(3)
        victim.start()
        victim.wait_ready()
        fault.ended = now()

    at(seconds * 0.15)
    fault = Fault("gunicorn web-1 SIGKILL", began=now())
    faults.append(fault)
    victim = webs[0]
    assert victim.process is not None
    with contextlib.suppress(ProcessLookupError):
        os.killpg(victim.process.pid, signal.SIGKILL)
    victim.process.wait(timeout=10)
    restarting = threading.Thread(target=web_restart, args=(fault,), daemon=True)
    restarting.start()

    try:
        at(seconds * 0.4)
        fault = Fault("redis restart", began=now())
        faults.append(fault)
        redis_server.stop(timeout=5)
        time.sleep(1)
        redis_server.start()
        wait_until(lambda: redis_answers(ports.redis), timeout=10, what="redis-server again")
        fault.ended = now()

        at(seconds * 0.6)
        fault = Fault("celery worker SIGKILL", began=now())
        faults.append(fault)
        worker.kill()
        time.sleep(2)
        worker.log.write_text("")
        worker.start()
        wait_until(lambda: " ready." in worker.log.read_text(errors="replace"), timeout=60, what="the worker again")
        fault.ended = now()
    finally:
        restarting.join(timeout=60)  # before anything is stopped: no node starts after the end

    for thread in threads:
        thread.join(timeout=seconds + 4 * CLIENT_TIMEOUT)
    load_seconds = now()
    hung_threads = sum(thread.is_alive() for thread in threads)

    # The outbox swept as beat would (`deliver_due`), until every message is delivered.
    from celery import Celery

    producer = Celery("drill", broker=f"{redis_url}/1", set_as_current=False)
    producer.conf.update(task_ignore_result=True, broker_connection_retry_on_startup=True)
    acknowledged = [action.ticket for action in load.actions if action.ok]
    drained_at = time.monotonic()
    result: dict[str, Any] = {}
    try:
        while undelivered_count(database_url) and time.monotonic() - drained_at < 30:
            producer.send_task("core.run_job", args=["deliver_due"])
            time.sleep(0.5)
    finally:
        producer.close()
    swept_in = time.monotonic() - drained_at
    result = in_django("verify", env, work / "verify.log", acknowledged)

    audit = subprocess.run([PYTHON, "manage.py", "audit_verify"], cwd=BASE_DIR, env=env, capture_output=True,
                           text=True, check=False)
    return _report(load=load, faults=faults, load_seconds=load_seconds, hung_threads=hung_threads, result=result,
                   recorder=recorder, audit=audit, swept_in=swept_in, total=time.monotonic() - began)


def undelivered_count(database_url: str) -> int:
    """Messages of the outbox not yet recorded delivered (plain SQL: no Django start per look)."""
    import psycopg

    url = database_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url, connect_timeout=5) as connection:
        row = connection.execute("SELECT count(*) FROM notifications_message WHERE status <> 'delivered'").fetchone()
    return int(row[0]) if row else 0


class _ServerProcess(Process):
    """A bench Server seen as a Process (stopped at the end like the others, whole group)."""

    def __init__(self, server: Server) -> None:
        super().__init__(server.name, [], server.log)
        self.server = server

    def stop(self, timeout: float = 10.0) -> None:
        self.process = self.server.process
        super().stop(timeout)


def _in_fault(moment: float, faults: list[Fault], *, settle: float = 2.0) -> bool:
    return any(fault.began <= moment <= fault.ended + settle for fault in faults)


def _report(*, load: Load, faults: list[Fault], load_seconds: float, hung_threads: int, result: dict[str, Any],
            recorder: Recorder, audit: subprocess.CompletedProcess[str], swept_in: float, total: float) -> Report:
    lines: list[str] = []
    failures: list[str] = []
    actions = load.actions
    attempts = [attempt for action in actions for attempt in action.attempts]
    lines.append(f"load {load_seconds:.1f} s: {len(actions)} citizens' actions "
                 f"({dict(Counter(a.kind for a in actions))}), {len(attempts)} requests, "
                 f"{len(attempts) / load_seconds:.0f} requests/s through nginx")
    for fault in faults:
        lines.append(f"  fault {fault.name}: at {fault.began:.1f} s, answering again at {fault.ended:.1f} s")
        if not fault.ended:
            failures.append(f"{fault.name}: what was broken never answered again")

    def phase_of(moment: float) -> str:
        return "during faults" if _in_fault(moment, faults) else "outside faults"

    for phase in ("outside faults", "during faults"):
        in_phase = [a for a in actions if phase_of(a.began) == phase]
        tries = [t for t in attempts if phase_of(t.began) == phase]
        failed_tries = Counter(str(t.status) + (f" {t.error[:50]}" if t.error else "") for t in tries
                               if t.status in RETRY_FOR or t.status >= 500)
        failed = [a for a in in_phase if not a.ok]
        rate = len(failed) / len(in_phase) if in_phase else 0.0
        lines.append(f"  {phase}: {len(in_phase)} actions, {len(failed)} failed for the citizen ({100 * rate:.2f} %); "
                     f"{len(tries)} requests, p95 {percentile_ms([t.seconds for t in tries], 95):.0f} ms, "
                     f"max {max([t.seconds for t in tries] or [0]) * 1000:.0f} ms; "
                     f"failed attempts sent again: {sum(failed_tries.values())} {dict(failed_tries)}")
        if failed:
            lines.append(f"    failed: {dict(Counter(a.problem for a in failed).most_common(4))}")
        if phase == "during faults":
            if not in_phase:
                failures.append("no action began during the faults: nothing was tested")
            elif rate >= MAX_ERROR_RATE:
                failures.append(f"{100 * rate:.2f} % of the actions during the faults failed (limit 1 %)")
        if failed and phase == "outside faults":
            failures.append(f"{len(failed)} actions failed outside the faults")
    hung = [t for t in attempts if t.status == 0 and "timed out" in t.error.lower()]
    if hung or hung_threads:
        failures.append(f"{len(hung)} requests hung past the client's {CLIENT_TIMEOUT:.0f} s timeout"
                        f"{f', {hung_threads} clients never came back' if hung_threads else ''}: "
                        + ", ".join(f"{t.kind} at {t.began:.1f} s" for t in hung[:5]))

    # The database against what the citizens saw.
    if result.get("missing_count"):
        failures.append(f"{result['missing_count']} acknowledged tickets are not in the database: {result['missing']}")
    gaps = [g for g in result.get("groups", []) if not (g["distinct"] == g["tickets"] and g["low"] == 1
                                                        and g["high"] == g["tickets"])]
    if gaps:
        failures.append(f"ticket numbers not unique and gap-free: {gaps}")
    lines.append(f"tickets: {result.get('acknowledged', 0)} acknowledged, all in the database: "
                 f"{not result.get('missing_count')}; {result.get('tickets', 0)} issued in "
                 f"{len(result.get('groups', []))} queue groups, numbered 1..n without gap or repeat: {not gaps}")

    if result.get("files_missing"):
        failures.append(f"acknowledged applications not in the database: {result['files_missing']}")
    broken = {prefix: numbers for prefix, numbers in result.get("references", {}).items()
              if numbers != list(range(1, len(numbers) + 1))}
    if broken:
        failures.append(f"application references not unique and gap-free: "
                        f"{ {prefix: numbers[:10] for prefix, numbers in broken.items()} }")
    lines.append(f"applications: {result.get('files_acknowledged', 0)} acknowledged, all in the database: "
                 f"{not result.get('files_missing')}; {result.get('files', 0)} filed under "
                 f"{len(result.get('references', {}))} services, references numbered 1..n without gap or repeat: "
                 f"{not broken}")

    # The outbox against what the gateway received.
    messages = result.get("messages", [])
    keys = {m["idempotency_key"] for m in messages}
    joined = sum(1 for a in actions if a.ok and a.kind == "join")
    filed = sum(1 for a in actions if a.ok and a.kind == "submit")
    statuses = Counter(m["status"] for m in messages)
    resent = sum(count - 1 for count in recorder.posts.values() if count > 1)
    unknown = set(recorder.delivered) - keys
    lost = keys - set(recorder.delivered)
    lines.append(f"outbox: {len(messages)} messages {dict(statuses)} for {joined} joins and {filed} applications; "
                 f"the gateway took {len(recorder.delivered)} distinct ({resent} sent again under the same key, "
                 f"answered once); swept in {swept_in:.1f} s")
    if lost or statuses.get("delivered", 0) != len(messages):
        failures.append(f"outbox: {len(lost)} messages never reached the gateway; statuses {dict(statuses)}")
    if unknown:
        failures.append(f"the gateway got {len(unknown)} messages the outbox does not hold")
    if len(messages) < joined + filed:
        failures.append(f"{joined} joins and {filed} applications acknowledged but only {len(messages)} messages "
                        "in the outbox")
    texts = Counter((entry["to"], entry["text"]) for entry in recorder.delivered.values())
    twice = [pair for pair, count in texts.items() if count > 1]
    if twice:
        failures.append(f"{len(twice)} phones got the same text more than once")

    audit_ok = audit.returncode == 0
    said = (audit.stdout or audit.stderr).strip().splitlines()
    lines.append(f"audit_verify: {'passed' if audit_ok else 'FAILED'} ({said[0][:120] if said else ''})")
    if not audit_ok:
        failures.append("manage.py audit_verify failed: " + (audit.stdout + audit.stderr).strip()[-400:])
    lines.append(f"checks: {'all passed' if not failures else f'{len(failures)} FAILED'}; drill {total:.0f} s")
    lines.extend(f"  FAILED: {failure}" for failure in failures)
    return Report(lines=lines, failures=failures)


def migrate(database_url: str, log: Path) -> None:
    """A fresh database of the drill's own, migrated (the local settings, as `make migrate`)."""
    database_recreate(database_url)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_", "CACHE_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.local", "DATABASE_URL": database_url, "DEBUG": "false"})
    with log.open("ab") as out:
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "--verbosity", "0"], cwd=BASE_DIR, env=env,
                       stdout=out, stderr=subprocess.STDOUT, check=True)


@contextlib.contextmanager
def work_directory(keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="khedmat-fault-"))
    try:
        yield path
    finally:
        if keep:
            print(f"  logs kept in {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("FAULT_DATABASE_URL", DEFAULT_URL),
                        help="a PostgreSQL database of the drill's own (khedmat_fault*), made afresh")
    parser.add_argument("--seconds", type=float, default=24.0, help="how long the load runs")
    parser.add_argument("--base-port", type=int, default=9600, help="ports base+1 (redis) … base+20 (gateway)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory and its logs")
    options = parser.parse_args()
    with work_directory(options.keep) as work:
        print(f"fault drill: {options.seconds:.0f} s of load, database {options.database_url.rsplit('/', 1)[-1]}")
        migrate(options.database_url, work / "setup.log")
        report = run_drill(database_url=options.database_url, work=work, seconds=options.seconds,
                           ports=Ports.from_base(options.base_port))
        print("\n".join(report.lines))
    return 0 if report.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
