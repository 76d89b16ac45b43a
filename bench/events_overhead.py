"""What the domain events and the outbox cost a kiosk ticket and an online submission,
through the production web server: the code before them against the code now, in one run.

    .venv/bin/python bench/events_overhead.py
    .venv/bin/python bench/events_overhead.py --profile 200   # and where the extra time goes
    .venv/bin/python bench/events_overhead.py --seconds 3 --rounds 2 --clients 4   # a quicker look

"Before" is commit 4cf6d04 (--before), the last one without events and outbox, checked out in a
temporary git worktree (removed at the end); "after" is this working tree as it is. Each gets
its own PostgreSQL database (khedmat_bench_before, khedmat_bench_after), made afresh, migrated
and seeded by its own code (manage.py migrate, seed_demo), with --citizens citizens signed in
(sessions made with Django's session machinery, under the servers' SECRET_KEY). A third
database, khedmat_bench_after_queued, is a copy of "after".

Three gunicorn servers (--workers sync workers each, default 4) with the production settings
(through bench/control_settings.py, which only adds the bench's control endpoints):
  before          4cf6d04 on its database;
  after           this tree; no broker, so the outbox delivers each SMS in the request, after
                  the commit, through the console gateway (as `make run` does);
  after, queued   this tree with CELERY_BROKER_URL (--broker) and a Celery queue of the bench's
                  own (removed at the end): the request only enqueues the delivery, as in
                  production where a worker delivers (no worker runs during the measurement).

Two user paths, each a real form through HTTP:
  kiosk ticket    GET the kiosk's service screen (/en/centers/<center>/kiosk/?service=…, a random
                  service of the center) for its form token, POST it: a 302 to the ticket is success.
                  Since issue 9 the kiosk serves only a paired screen: each tree's database gets a
                  kiosk paired by the center's manager, and every client carries its credential
                  (the per-kiosk ticket limit is lifted in bench/control_settings.py);
  submission      a signed-in citizen GETs /en/apply/passport/, POSTs the filled form with a small
                  PDF as the Tazkira copy and action=submit: a 302 to …/submitted/ is success (the
                  application is submitted and its payment order opened).
For each round (--rounds, default 6), each path and each number of clients (--clients, default
4,16), the three servers take turns of --seconds (default 5; the order rotates between rounds:
short turns often alternated ride out the bursts of other work on a shared machine); then each
server answers a bare control (/bench/control/hello/) for --control-seconds.

Prints, per path × clients × server: paths completed per second, requests per second, POST and
GET latency p50/p95, the server's CPU (gunicorn master and workers, user + system, from /proc)
and its PostgreSQL backends' CPU per path completed, and the ratios after ÷ before of CPU per
path: the median of each round's own ratio (the verdict), and pooled. Every answer that is not
the one expected (status, redirect target, a form shown again) is counted and shown.
With --profile N, the servers then stop and the three versions, side by side, each run N paths
of each kind in-process (Django's test client, the process's CPU clock): CPU per path without
the profiler, then under cProfile: the code "before" did not have, by its share of the path,
and the functions of both that grew most.
Target (issue 8): the events and outbox cost a submission or a ticket no more than 10 % of its
server time — read on "after, queued", as production runs it.
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
import json
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

# The passport form as bench/http.py fills it: its answers, and each other question's first choice.
from bench.http import APPLY_PATH, KIOSK_COOKIE, PASSPORT_ANSWERS, PDF, RADIO, first_options  # noqa: E402
from bench.http_support import (  # noqa: E402
    Browser,
    Round,
    Server,
    Tally,
    broker_queue,
    broker_release,
    code_state,
    collect_static,
    database_copy,
    database_recreate,
    database_url,
    free_port,
    hidden_value,
    install_control_files,
    machine_busy,
    percentile_ms,
    postgres_version,
    run_clients,
    server_env,
)

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
BEFORE_COMMIT = "4cf6d04"
DEFAULT_BROKER = "redis://127.0.0.1:6379/13"  # bench/sms.py empties /14; the bench keeps to a queue of its own
TARGET_RATIO = 1.10

# Run with each tree's own code, under its server's settings and SECRET_KEY: citizens and
# signed-in sessions for them (the session machinery of Django, as a sign-in would leave).
PREPARE_CITIZENS = r"""
import json, sys
import django
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
User = get_user_model()
sessions = []
for n in range(int(sys.argv[1])):
    phone = f"+93795{n:06d}"
    user, _created = User.objects.get_or_create(username=phone, defaults={
        "phone_number": phone, "role": "citizen", "full_name": f"Bench citizen {n}", "password": make_password(None)})
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    sessions.append(store.session_key)
print("SESSIONS " + json.dumps(sessions))
"""

# Run with each tree's own code under its server's settings and SECRET_KEY: the kiosk's device
# credential (a tree with paired devices serves the kiosk only to a paired screen). The center's
# manager adds a kiosk, the code pairs it, and the cookie a screen would get is printed; "-"
# for a tree from before paired devices, whose kiosk serves any browser.
PREPARE_KIOSK = r"""
import sys
import django
django.setup()
try:
    from khedmat.centers import devices
except ImportError:
    print("KIOSK -")
    raise SystemExit
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from khedmat.centers.selectors import center_list
center = next(center for center in center_list() if center.slug == sys.argv[1])
manager = get_user_model().objects.filter(role="center_manager", center=center).first()
issued = devices.device_add(center=center, kind="kiosk", name="Bench kiosk", actor=manager)
response = HttpResponse()
devices.device_set_credential(response, devices.device_pair(code=issued.code))
print("KIOSK " + response.cookies[devices.COOKIE_NAME].value)
"""


# --- setting up ---------------------------------------------------------------------------------------

def _step(text: str) -> float:
    print(f"  {text} …", flush=True)
    return time.perf_counter()


def _run(command: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> subprocess.CompletedProcess[bytes]:
    with log.open("ab") as out:
        out.write(f"\n$ {' '.join(command)}  (in {cwd})\n".encode())
        out.flush()
        return subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)


def _must(result: subprocess.CompletedProcess[bytes], what: str, log: Path) -> None:
    if result.returncode != 0:
        tail = "\n    ".join(log.read_text(errors="replace").splitlines()[-30:])
        raise SystemExit(f"{what} failed ({result.returncode}); the end of {log}:\n    {tail}")


def local_env(url: str) -> dict[str, str]:
    """The environment manage.py migrate and seed_demo run in (each tree's local settings)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "DATABASE_", "CELERY_", "USSD_", "SMS_", "CACHE_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.local", "DATABASE_URL": url, "DEBUG": "false",
                "PYTHONDONTWRITEBYTECODE": "1"})
    return env


def migrate_and_seed(trees: dict[str, tuple[Path, str]], work: Path) -> None:
    """Both databases made afresh, migrated and seeded by their own code, side by side."""
    python = str(BASE_DIR / ".venv" / "bin" / "python")

    def one(name: str) -> None:
        tree, url = trees[name]
        database_recreate(url)
        log = work / f"setup-{name}.log"
        _must(_run([python, "manage.py", "migrate", "--noinput", "--verbosity", "0"], cwd=tree, env=local_env(url),
                   log=log), f"migrate ({name})", log)
        _must(_run([python, "manage.py", "seed_demo"], cwd=tree, env=local_env(url), log=log),
              f"seed_demo ({name})", log)

    with ThreadPoolExecutor(len(trees)) as pool:
        list(pool.map(one, trees))


def prepare_citizens(tree: Path, env: dict[str, str], count: int, log: Path) -> list[str]:
    python = str(BASE_DIR / ".venv" / "bin" / "python")
    with log.open("ab") as out:
        result = subprocess.run([python, "-c", PREPARE_CITIZENS, str(count)], cwd=tree, env=env,
                                stdout=subprocess.PIPE, stderr=out, check=False)
    lines = [line for line in result.stdout.decode().splitlines() if line.startswith("SESSIONS ")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"preparing citizens in {tree} failed; see {log}")
    return list(json.loads(lines[-1][len("SESSIONS "):]))


def prepare_kiosk(tree: Path, env: dict[str, str], center: str, log: Path) -> str:
    """The credential of a kiosk paired in the tree's database ("" for a tree without pairing)."""
    python = str(BASE_DIR / ".venv" / "bin" / "python")
    with log.open("ab") as out:
        result = subprocess.run([python, "-c", PREPARE_KIOSK, center], cwd=tree, env=env,
                                stdout=subprocess.PIPE, stderr=out, check=False)
    lines = [line for line in result.stdout.decode().splitlines() if line.startswith("KIOSK ")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"pairing a kiosk in {tree} failed; see {log}")
    value = lines[-1][len("KIOSK "):]
    return "" if value == "-" else value


# --- the user paths -----------------------------------------------------------------------------------

@dataclass
class Site:
    """One server and what its clients need: the kiosk's services, signed-in sessions."""

    label: str
    server: Server
    sessions: list[str]
    center: str
    kiosk_cookie: str = ""  # the paired kiosk's credential ("" before paired devices)
    services: list[str] = field(default_factory=list)


def kiosk_browser(site: Site) -> Browser:
    """A client holding the kiosk's device credential, as the paired screen in the hall does."""
    browser = Browser(site.server.port)
    if site.kiosk_cookie:
        browser.cookies[KIOSK_COOKIE] = site.kiosk_cookie
    return browser


def kiosk_client(site: Site) -> Any:
    kiosk = f"/en/centers/{site.center}/kiosk/"

    def client(index: int, deadline: float, tally: Tally) -> None:
        rng = random.Random(index)
        browser = kiosk_browser(site)
        while time.perf_counter() < deadline:
            service = rng.choice(site.services)
            page = browser.get(f"{kiosk}?service={service}")
            token = hidden_value(page.body, "token")
            csrf = hidden_value(page.body, "csrfmiddlewaretoken")
            if not tally.record("GET", page, problem="" if token or page.status != 200 else "no form token"):
                time.sleep(0.05)
                continue
            issued = browser.post_form(kiosk, {"csrfmiddlewaretoken": csrf, "service": service, "token": token,
                                               "plain": "1"})
            where = issued.headers.get("location", "")
            problem = "" if issued.status != 302 or "/tickets/" in where else f"302 to {where}"
            if tally.record("POST", issued, expected=(302,), problem=problem):
                tally.finished()
        browser.close()
    return client


def submission_client(site: Site) -> Any:
    def client(index: int, deadline: float, tally: Tally) -> None:
        browser = Browser(site.server.port)
        browser.cookies["sessionid"] = site.sessions[index % len(site.sessions)]
        while time.perf_counter() < deadline:
            page = browser.get(APPLY_PATH)
            token = hidden_value(page.body, "submission_token")
            csrf = hidden_value(page.body, "csrfmiddlewaretoken")
            if not tally.record("GET", page, problem="" if token or page.status != 200 else "no submission token"):
                time.sleep(0.05)
                continue
            sent = browser.post_multipart(APPLY_PATH, {**first_options(page.body), "csrfmiddlewaretoken": csrf,
                                                       "submission_token": token, **PASSPORT_ANSWERS},
                                          {"doc-tazkira_copy": ("tazkira.pdf", "application/pdf", PDF)})
            where = sent.headers.get("location", "")
            problem = ""
            if sent.status == 200:
                errors = re.findall(rb'class="[^"]*error[^"]*"[^>]*>\s*([^<]{0,80})', sent.body)
                problem = "form shown again: " + "; ".join(e.decode(errors="replace").strip() for e in errors[:3])
            elif sent.status == 302 and "/submitted/" not in where:
                problem = f"302 to {where}"
            if tally.record("POST", sent, expected=(302,), problem=problem):
                tally.finished()
        browser.close()
    return client


def hello_client(site: Site) -> Any:
    def client(index: int, deadline: float, tally: Tally) -> None:
        browser = Browser(site.server.port)
        while time.perf_counter() < deadline:
            tally.record("POST", browser.request("POST", "/bench/control/hello/", body=b""))
            tally.finished()
        browser.close()
    return client


PATHS = {"kiosk ticket": kiosk_client, "submission": submission_client}


def probe(site: Site) -> None:
    """One kiosk ticket and one submission by hand, before any timing: they must succeed."""
    page = kiosk_browser(site).get(f"/en/centers/{site.center}/kiosk/")
    site.services = sorted(set(re.findall(r'href="\?service=(\d+)"', page.body.decode(errors="replace"))))
    if page.status != 200 or not site.services:
        raise SystemExit(f"{site.label}: the kiosk of {site.center} answered {page.status} with no service")
    for name, make in PATHS.items():
        result = run_clients(site.server, clients=1, seconds=0.2, client=make(site))
        if not result.tally.completed or result.tally.unexpected_count():
            notes = {kind: dict(notes) for kind, notes in result.tally.unexpected.items()}
            raise SystemExit(f"{site.label}: one {name} did not go through: {notes}; see {site.server.log}")


# --- the figures -------------------------------------------------------------------------------------

@dataclass
class Cell:
    """Every round of one path × clients × server."""

    rounds: list[Round] = field(default_factory=list)

    def pooled(self) -> Round:
        tally = Tally()
        for result in self.rounds:
            tally.merge(result.tally)
        return Round(tally=tally, seconds=sum(r.seconds for r in self.rounds),
                     server_cpu=sum(r.server_cpu for r in self.rounds),
                     database_cpu=sum(r.database_cpu for r in self.rounds),
                     client_cpu=sum(r.client_cpu for r in self.rounds))


def per_path_ms(result: Round, *, database: bool = False) -> float:
    completed = result.tally.completed
    cpu = result.database_cpu if database else result.server_cpu
    return 1000 * cpu / completed if completed else float("nan")


def report(cells: dict[tuple[str, int, str], Cell], controls: dict[str, Cell], labels: list[str],
           args: Any) -> bool:
    """Print the table and the ratios; True when the target holds for the production set-up."""
    print()
    print(f"{'path':13} {'cl':>3} {'server':15} {'paths/s':>8} {'req/s':>7} {'POST p50':>8} {'POST p95':>8} "
          f"{'GET p50':>7} {'GET p95':>7} {'CPU ms':>7} {'DB ms':>6} {'CPU/req':>7} {'non2xx3xx':>9} {'odd':>4}")
    for (path, clients, label), cell in cells.items():
        pooled = cell.pooled()
        tally = pooled.tally
        print(f"{path:13} {clients:3d} {label:15} {tally.completed / pooled.seconds:8.1f} {pooled.rate:7.1f} "
              f"{percentile_ms(tally.latencies['POST'], 50):8.1f} {percentile_ms(tally.latencies['POST'], 95):8.1f} "
              f"{percentile_ms(tally.latencies['GET'], 50):7.1f} {percentile_ms(tally.latencies['GET'], 95):7.1f} "
              f"{per_path_ms(pooled):7.2f} {per_path_ms(pooled, database=True):6.2f} "
              f"{pooled.cpu_ms_per_request:7.2f} {tally.not_2xx_3xx():9d} {tally.unexpected_count():4d}")
    print("  (paths/s: tickets issued or applications submitted per second; latencies in ms; CPU ms: gunicorn "
          "master + workers per path (GET + POST); DB ms: its PostgreSQL backends per path; CPU/req: gunicorn per "
          "request)")
    for label in labels:
        control = controls.get(label)
        if control and control.rounds:
            hello = control.pooled()
            print(f"  control {label:15}: /bench/control/hello/ {hello.rate:,.0f} req/s, "
                  f"{hello.cpu_ms_per_request:.2f} ms CPU a request, p50 "
                  f"{percentile_ms(hello.tally.every_latency(), 50):.1f} ms")

    print()
    print("After ÷ before, server CPU per path (gunicorn master and workers): the median of the rounds' own ratios "
          "(each round's servers ran one after the other), [each round], pooled over all rounds; + DB: with the "
          "PostgreSQL backends' CPU; and the POST's p50 latency:")
    met = True
    before = labels[0]
    for path in PATHS:
        for clients in args.client_counts:
            base = cells[(path, clients, before)]
            for label in labels[1:]:
                other = cells[(path, clients, label)]
                theirs, ours = other.pooled(), base.pooled()
                pooled_ratio = per_path_ms(theirs) / per_path_ms(ours)
                both = ((theirs.server_cpu + theirs.database_cpu) / theirs.tally.completed) / (
                    (ours.server_cpu + ours.database_cpu) / ours.tally.completed)
                rounds = [per_path_ms(o) / per_path_ms(b) for o, b in zip(other.rounds, base.rounds, strict=True)]
                median = statistics.median(rounds)
                latency = percentile_ms(theirs.tally.latencies["POST"], 50) / percentile_ms(
                    ours.tally.latencies["POST"], 50)
                verdict = ""
                if label == labels[-1]:
                    ok = median <= TARGET_RATIO
                    met = met and ok
                    verdict = "  ok" if ok else "  OVER TARGET"
                print(f"  {path:13} {clients:3d} clients, {label:14}: {median:4.2f} "
                      f"[{', '.join(f'{r:.2f}' for r in rounds)}] pooled {pooled_ratio:4.2f}; + DB {both:4.2f}; "
                      f"POST p50 {latency:4.2f}×{verdict}")
    return met


def error_notes(cells: dict[tuple[str, int, str], Cell]) -> None:
    for (path, clients, label), cell in cells.items():
        tally = cell.pooled().tally
        odd = [(kind, note, count) for kind, notes in tally.unexpected.items() for note, count in notes.items()]
        if odd:
            statuses = {f"{kind} {status}": count for kind, counts in tally.statuses.items()
                        for status, count in counts.items()}
            print(f"Unexpected answers, {path}, {clients} clients, {label}: {statuses}")
            for kind, note, count in sorted(odd, key=lambda item: -item[2])[:6]:
                print(f"    {count:5d} × {kind}: {note}")


def server_errors(server: Server) -> int:
    """Print the first traceback the server logged; how many it logged."""
    text = server.log.read_text(errors="replace") if server.log.exists() else ""
    count = text.count("Traceback (most recent call last)")
    if count:
        start = text.index("Traceback (most recent call last)")
        print(f"{server.name}: {count} tracebacks in its log ({server.log}); the first:\n    "
              + "\n    ".join(text[start:start + 3000].splitlines()[:30]))
    return count


# --- where the time goes: cProfile in-process, CPU time ------------------------------------------------

# Run with each tree's own code under its server's settings (and broker): the same two paths
# through Django's test client (the whole middleware stack, no HTTP), first timed bare (CPU per
# path), then under cProfile with the process's CPU clock, so that waiting for PostgreSQL or for
# a CPU the other engineers' work holds is not counted. Prints one JSON line.
PROFILE_PATHS = r"""
import cProfile, json, pstats, re, sys, time
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
center, session, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
answers, tree, kiosk_cookie, RADIO = json.loads(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7].encode()
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
kiosk = f"/en/centers/{center}/kiosk/"
client = Client(HTTP_HOST="127.0.0.1")
client.cookies["sessionid"] = session
if kiosk_cookie:
    client.cookies["khedmat_device"] = kiosk_cookie
services = sorted(set(re.findall(r'href="\?service=(\d+)"', client.get(kiosk).content.decode())))
def hidden(html, name):
    return re.search(r'name="' + name + r'" value="([^"]*)"', html.decode()).group(1)
def kiosk_ticket(n):
    service = services[n % len(services)]
    page = client.get(f"{kiosk}?service={service}")
    answer = client.post(kiosk, {"service": service, "token": hidden(page.content, "token"), "plain": "1"})
    assert answer.status_code == 302 and "/tickets/" in answer["Location"], (answer.status_code, answer.content[:300])
def submission(n):
    page = client.get("/en/apply/passport/")
    chosen = {}
    for name, value in re.findall(RADIO, page.content):
        chosen.setdefault(name.decode(), value.decode())
    fields = {**chosen, **answers, "submission_token": hidden(page.content, "submission_token"),
              "doc-tazkira_copy": SimpleUploadedFile("tazkira.pdf", PDF, "application/pdf")}
    answer = client.post("/en/apply/passport/", fields)
    assert answer.status_code == 302 and "/submitted/" in answer["Location"], (answer.status_code, answer.content[:300])
out = {}
for name, path in (("kiosk ticket", kiosk_ticket), ("submission", submission)):
    for n in range(20):
        path(n)
    began = time.process_time()
    for n in range(count):
        path(n)
    bare = time.process_time() - began
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for n in range(count):
        path(n)
    profiler.disable()
    functions = {}
    for (filename, _line, function), row in pstats.Stats(profiler).stats.items():
        calls, _primitive, own, cumulative, _callers = row
        for marker in ("/site-packages/", "/lib/python3.11/", tree + "/"):
            if marker in filename:
                filename = filename.split(marker, 1)[1]
        key = f"{function} ({filename})" if filename != "~" else function
        total = functions.setdefault(key, [0, 0.0, 0.0])
        total[0] += calls
        total[1] += own
        total[2] += cumulative
    out[name] = {"paths": count, "bare_cpu": bare, "functions": functions}
print("PROFILE " + json.dumps(out))
"""


def profile_in_process(tree: Path, env: dict[str, str], *, center: str, session: str, count: int,
                       log: Path, kiosk_cookie: str = "") -> dict[str, Any]:
    python = str(BASE_DIR / ".venv" / "bin" / "python")
    with log.open("ab") as out:
        result = subprocess.run([python, "-c", PROFILE_PATHS, center, session, str(count),
                                 json.dumps(PASSPORT_ANSWERS), str(tree), kiosk_cookie, RADIO.pattern.decode()],
                                cwd=tree, env=env,
                                stdout=subprocess.PIPE, stderr=out, check=False)
    lines = [line for line in result.stdout.decode().splitlines() if line.startswith("PROFILE ")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"profiling in {tree} failed; see {log}")
    return dict(json.loads(lines[-1][len("PROFILE "):]))


def report_profiles(profiles: dict[str, dict[str, Any]], labels: list[str], top: int) -> None:
    def ms(entry: dict[str, Any], function: str, column: int = 2) -> float:
        row = entry["functions"].get(function)
        return 1000 * row[column] / entry["paths"] if row else 0.0

    def total(entry: dict[str, Any]) -> float:
        return sum(row[1] for row in entry["functions"].values()) * 1000 / entry["paths"]

    print()
    print("In-process CPU per path (GET + POST; Django's test client, the three versions side by side in three "
          "processes, so that they share the machine's state; the process's CPU clock):")
    base = profiles[labels[0]]
    for path in PATHS:
        cells = [f"{label} {1000 * profiles[label][path]['bare_cpu'] / profiles[label][path]['paths']:.1f} ms"
                 for label in labels]
        ratios = [(profiles[label][path]["bare_cpu"] / profiles[label][path]["paths"])
                  / (base[path]["bare_cpu"] / base[path]["paths"]) for label in labels[1:]]
        print(f"  {path:13} {'; '.join(cells)}  (÷ before: {', '.join(f'{r:.2f}' for r in ratios)})")
    print("Where the time goes (cProfile on the CPU clock; ms per path, cumulative: a function's callees counted in "
          "it; the profiler slows every call, so read shares of the path, not absolute times).")
    for path in PATHS:
        before = base[path]
        for label in labels[1:]:
            after = profiles[label][path]
            whole = total(after)
            print(f"  {path}, {label}: {total(before):.1f} ms per path before, {whole:.1f} after. Code that "
                  "'before' did not have, by cumulative time (share of the path; calls per path):")
            new = sorted((f for f in after["functions"] if f not in before["functions"]),
                         key=lambda f: ms(after, f), reverse=True)
            for function in new[:top]:
                calls = after["functions"][function][0] / after["paths"]
                print(f"    {ms(after, function):6.2f} ms {100 * ms(after, function) / whole:5.1f} %  {calls:5.1f}×  "
                      f"{function[:130]}")
            # Functions of both versions, compared across two processes: what moved (this part
            # also holds the drift between the processes: compare it with the shrinking ones).
            plumbing = {f for f in set(before["functions"]) & set(after["functions"])
                        if ms(before, f) >= 0.7 * total(before) and ms(after, f) >= 0.7 * whole}
            shared = (set(before["functions"]) & set(after["functions"])) - plumbing
            moved = sorted(shared, key=lambda f: ms(after, f) - ms(before, f), reverse=True)
            print("    of both versions, grew most (Δ ms, before → after):  " + "; ".join(
                f"{ms(after, f) - ms(before, f):+.2f} {f.split(' (')[0]} ({ms(before, f):.1f} → {ms(after, f):.1f})"
                for f in moved[:6]))
            print("    shrank most:  " + "; ".join(
                f"{ms(after, f) - ms(before, f):+.2f} {f.split(' (')[0]} ({ms(before, f):.1f} → {ms(after, f):.1f})"
                for f in reversed(moved[-4:])))


# --- the run -------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-server", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_SERVER),
                        help="a PostgreSQL URL; the bench makes its own databases there (khedmat_bench_before, …)")
    parser.add_argument("--before", default=BEFORE_COMMIT,
                        help=f"the commit before the events (default {BEFORE_COMMIT})")
    parser.add_argument("--broker", default=DEFAULT_BROKER,
                        help=f"Redis for 'after, queued' (default {DEFAULT_BROKER}; a queue of the bench's own)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one server's turn (default 5)")
    parser.add_argument("--rounds", type=int, default=6,
                        help="rounds (default 6: short turns, often alternated, ride out other work's bursts)")
    parser.add_argument("--clients", default="4,16", help="numbers of clients (default 4,16)")
    parser.add_argument("--control-seconds", type=float, default=2.0, help="each server's control turn (default 2)")
    parser.add_argument("--citizens", type=int, default=32, help="signed-in citizens per database (default 32)")
    parser.add_argument("--center", default="kabul", help="the center whose kiosk is used (default kabul)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers per server (default 4)")
    parser.add_argument("--profile", type=int, default=0, metavar="PATHS",
                        help="then time and cProfile this many paths of each kind in-process with each version's "
                             "code (default 0: no profile; 200 is a good number)")
    parser.add_argument("--profile-top", type=int, default=20, help="functions listed per comparison (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, worktree)")
    args = parser.parse_args()
    args.client_counts = [int(n) for n in args.clients.split(",")]
    queue = broker_queue()

    work = Path(tempfile.mkdtemp(prefix="khedmat-bench-events-"))
    before_tree = work / "before"
    urls = {"before": database_url(args.database_server, "khedmat_bench_before"),
            "after": database_url(args.database_server, "khedmat_bench_after"),
            "after, queued": database_url(args.database_server, "khedmat_bench_after_queued")}
    servers: list[Server] = []
    worktree_added = completed = False
    try:
        print(f"Setting up in {work}:", flush=True)
        began = _step(f"git worktree of {args.before} (before)")
        result = _run(["git", "worktree", "add", "--detach", str(before_tree), args.before], cwd=BASE_DIR,
                      env=dict(os.environ), log=work / "setup.log")
        _must(result, "git worktree add", work / "setup.log")
        worktree_added = True
        install_control_files(before_tree)
        _step("databases made afresh, migrated and seeded by their own code (before and after, side by side)")
        migrate_and_seed({"before": (before_tree, urls["before"]), "after": (BASE_DIR, urls["after"])}, work)
        secret_key = secrets.token_urlsafe(50)
        trees = {"before": before_tree, "after": BASE_DIR, "after, queued": BASE_DIR}
        envs = {}
        for label, tree in trees.items():
            slug = label.replace(", ", "-")
            extra = {"CELERY_BROKER_URL": args.broker, "BENCH_CELERY_QUEUE": queue} if label == "after, queued" else {}
            envs[label] = server_env(database_url=urls[label], static_root=work / f"static-{tree.name}",
                                     private_root=work / f"files-{slug}", extra=extra, secret_key=secret_key)
        _step("collectstatic for the production storage (both trees)")
        for label in ("before", "after"):
            collect_static(trees[label], envs[label], work / "setup.log")
        _step(f"{args.citizens} signed-in citizens in each database")
        sessions = {label: prepare_citizens(trees[label], envs[label], args.citizens, work / "setup.log")
                    for label in ("before", "after")}
        kiosk_cookies = {label: prepare_kiosk(trees[label], envs[label], args.center, work / "setup.log")
                         for label in ("before", "after")}
        database_copy(urls["after"], urls["after, queued"])  # the copy has the citizens and the kiosk
        sessions["after, queued"] = sessions["after"]
        kiosk_cookies["after, queued"] = kiosk_cookies["after"]
        print(f"  set up in {time.perf_counter() - began:.0f} s", flush=True)

        sites: dict[str, Site] = {}
        for label, tree in trees.items():
            server = Server(name=label, tree=tree, database_url=urls[label], port=free_port(),
                            log=work / f"gunicorn-{label.replace(', ', '-')}.log", env=envs[label],
                            workers=args.workers)
            servers.append(server)
            server.start()
        for server in servers:
            server.wait_ready()
            sites[server.name] = Site(label=server.name, server=server, sessions=sessions[server.name],
                                      center=args.center, kiosk_cookie=kiosk_cookies[server.name])
            probe(sites[server.name])
        labels = list(sites)
        busy = machine_busy()
        print(f"{postgres_version(args.database_server)}, {os.cpu_count()} CPUs "
              f"({'?' if busy is None else f'{busy:.0f} %'} busy before the run); gunicorn {args.workers} sync "
              f"workers per server, config.settings.production (+ bench controls); before = {args.before}, "
              f"after = the working tree at {code_state()}; 'after, queued' enqueues on {args.broker}")

        for site in sites.values():  # warm-up: every worker loads its code and templates
            for make in PATHS.values():
                run_clients(site.server, clients=args.workers, seconds=2.0, client=make(site))
        cells: dict[tuple[str, int, str], Cell] = {
            (path, clients, label): Cell() for path in PATHS for clients in args.client_counts for label in labels}
        controls = {label: Cell() for label in labels}
        for number in range(args.rounds):
            order = labels[number % len(labels):] + labels[:number % len(labels)]
            for path, make in PATHS.items():
                for clients in args.client_counts:
                    line = []
                    for label in order:
                        measured = run_clients(sites[label].server, clients=clients, seconds=args.seconds,
                                               client=make(sites[label]))
                        cells[(path, clients, label)].rounds.append(measured)
                        line.append(f"{label} {measured.tally.completed / measured.seconds:.1f}/s "
                                    f"{per_path_ms(measured):.1f} ms CPU")
                    print(f"  round {number + 1}, {path}, {clients} clients: {'; '.join(line)}", flush=True)
            if args.control_seconds > 0:
                for label in order:
                    controls[label].rounds.append(run_clients(sites[label].server, clients=max(args.client_counts),
                                                              seconds=args.control_seconds,
                                                              client=hello_client(sites[label])))
        print(f"  ('after, queued' left {broker_release(args.broker, queue)} delivery tasks no worker took on its "
              f"queue {queue} of {args.broker}; removed)")
        met = report(cells, controls, labels, args)
        error_notes(cells)
        failed = sum(server_errors(server) for server in servers)
        busy = machine_busy()
        print(f"Target: after ÷ before ≤ {TARGET_RATIO:.2f} in server CPU per ticket and per submission, production "
              f"set-up (after, queued): {'ok' if met else 'OVER TARGET'}")
        print(f"CPU busy after the run: {'?' if busy is None else f'{busy:.0f} %'}. Figures drift up to 30 % between "
              "runs on this kind of machine: compare the ratios measured together.")
        completed = not failed
        if args.profile > 0:
            for server in servers:  # the machine to the profiles alone
                server.stop()
            with ThreadPoolExecutor(len(labels)) as pool:  # side by side: the same machine for each
                futures = {label: pool.submit(profile_in_process, trees[label], envs[label], center=args.center,
                                              session=sessions[label][-1], count=args.profile,
                                              log=work / f"profile-{label.replace(', ', '-')}.log",
                                              kiosk_cookie=kiosk_cookies[label])
                           for label in labels}
                profiles = {label: future.result() for label, future in futures.items()}
            (work / "profiles.json").write_text(json.dumps(profiles))
            report_profiles(profiles, labels, args.profile_top)
    finally:
        for server in servers:
            server.stop()
        broker_release(args.broker, queue)
        if worktree_added:
            subprocess.run(["git", "worktree", "remove", "--force", str(before_tree)], cwd=BASE_DIR, check=False)
        if args.keep or not completed:
            print(f"Logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
