"""The SMS outbox on PostgreSQL: messages per second from the outbox through Kannel to the
operator (a fake SMSC), and the outbox lag from commit to the gateway accepting a message.

    .venv/bin/python bench/sms.py
    .venv/bin/python bench/sms.py --rates 60 --seconds 10 --backlog 0   # a quicker look

Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/khedmat_bench; PostgreSQL only),
creates and migrates the database when it is missing and loads the demonstration data; a
Redis database as the broker (--broker-url, or the first free one of 15, 8, 9 … 14 on
127.0.0.1:6379: empty, claimed for the run, emptied at the end); Kannel (bearerbox, smsbox
and the fakesmsc test SMSC, started on free ports as the tests start it: apt-get install
kannel kannel-extras).

Everything runs as in production, on this one machine: --workers `celery -A config.celery
worker` processes deliver the outbox (their pool and size are the settings',
CELERY_WORKER_POOL and CELERY_WORKER_CONCURRENCY, unless --pool and --concurrency say
otherwise); Kannel sends its delivery receipts (DLR 8 "the operator took it" and 1
"delivered") to the platform's receipt endpoint, served by gunicorn (2 sync workers;
--no-receipts leaves them out, and messages then count as delivered when Kannel takes them).
No beat runs: every message goes by its own hand-off. --producers processes write the
messages the way the platform does: a ticket taken from a phone (the real ticket_issue, in
the bench's own center SMSB), whose transaction holds the ticket, its number and its SMS in
the holder's language (English, Dari or Pashto in turn; Dari and Pashto travel as UCS-2, in
two or three parts), handed to the workers after the commit.

For each offered rate (--rates, default 60 and 120 per second, each for --seconds, default
30) it prints: the messages written (and the rate the producers achieved) and how many of
them the fake SMSC received (each must arrive exactly once); messages per second from the
first commit to the last one received by the fake SMSC; the lag from commit to
`handed_over_at` (Kannel answered "accepted") p50/p95/p99/max; and the CPU each part used
per message. Then --backlog messages (default 3,000) committed at once: how fast the
workers drain them. Target: at least 50 messages per second sustained, lag p95 under 2 s.
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
import collections
import contextlib
import datetime
import json
import multiprocessing
import os
import secrets
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/khedmat_bench"  # as in bench/support.py
CENTER_CODE = "SMSB"
LANGUAGES = ("en", "fa", "ps")
TARGET_RATE = 50.0
TARGET_LAG_P95 = 2.0
WAIT_AFTER_LAST_COMMIT = 180.0
TICKS = os.sysconf("SC_CLK_TCK")

sys.path.insert(0, str(BASE_DIR))


# --- watching: the fake SMSC's log, and the CPU of each part ------------------------------------

def _cpu_ticks(pid: int) -> int | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # from the state on (the name may hold spaces)
    return int(fields[11]) + int(fields[12])  # utime + stime


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                text = (entry / "stat").read_text()
                if int(text[text.rindex(")") + 2:].split()[2]) == pgid:
                    members.append(int(entry.name))
    return members


@dataclass
class Watch:
    """Reads fakesmsc's log as it grows (every message part, and when the last one came), and
    samples the CPU time of the processes of each part: a process's time between the first
    and the last sample counts."""

    kannel: Any
    groups: dict[str, Any]  # name → a callable giving the part's process ids now
    parts: list[Any] = field(default_factory=list)
    last_part_at: float = 0.0
    _offset: int = 0
    _first: dict[int, int] = field(default_factory=dict)
    _last: dict[int, int] = field(default_factory=dict)
    _owner: dict[int, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        from khedmat.notifications.tests.kannel import parse_fakesmsc_log

        self._parse = parse_fakesmsc_log
        self._path = self.kannel.workdir / "fakesmsc.out"
        self._offset = self._path.stat().st_size  # what earlier stages received is not this stage's
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Watch:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.read()
        self.sample()

    def _run(self) -> None:
        from django.db import connections

        tick = 0
        while not self._stop.wait(0.01):
            self.read()
            tick += 1
            if tick % 25 == 0:
                self.sample()
        connections.close_all()  # this thread's own

    def read(self) -> None:
        with open(self._path, "rb") as log:
            log.seek(self._offset)
            chunk = log.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        if complete:
            self._offset += len(complete)
            parsed = self._parse(complete)
            if parsed:
                self.parts.extend(parsed)
                self.last_part_at = time.time()

    def sample(self) -> None:
        for name, pids in self.groups.items():
            for pid in pids():
                ticks = _cpu_ticks(pid)
                if ticks is not None:
                    self._first.setdefault(pid, ticks)
                    self._last[pid] = ticks
                    self._owner[pid] = name

    def cpu_seconds(self) -> dict[str, float]:
        used: dict[str, float] = collections.defaultdict(float)
        for pid, last in self._last.items():
            used[self._owner[pid]] += (last - self._first[pid]) / TICKS
        return dict(used)


def postgres_backends(database: str) -> Any:
    """The process ids of the PostgreSQL backends serving `database`, read with a connection
    of the watching thread's own."""
    from django.db import connections

    def pids() -> list[int]:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])
            return [row[0] for row in cursor.fetchall()]

    return pids


# --- writing messages as the platform does -----------------------------------------------------

def prepare_center() -> tuple[int, int]:
    """The bench's own center, offering the demonstration passport service in queue group S."""
    from khedmat.catalog.models import Service
    from khedmat.centers import services

    passport = Service.objects.get(slug="passport")
    center = services.center_upsert(
        code=CENTER_CODE, slug="sms-bench", name={"en": "SMS bench", "fa": "آزمایش پیامک", "ps": "د پیغام ازموینه"},
        city={"en": "Kabul", "fa": "کابل", "ps": "کابل"}, address={"en": "-", "fa": "-", "ps": "-"},
        opens_at=datetime.time(0), closes_at=datetime.time(0), open_weekdays=range(7))
    services.center_offer_services(center=center, services=[passport])
    services.queue_group_upsert(center=center, letter="S", name={"en": "SMS", "fa": "پیامک", "ps": "پیغام"},
                                services=[passport])
    return center.pk, passport.pk


def phone_number(stage: int, slot: int) -> str:
    # +9370… numbers: valid Afghan mobiles, one per message (the fake SMSC tells them apart).
    return f"+9370{stage * 1_000_000 + slot:07d}"


def _issue(center: Any, service: Any, phone: str, language: str) -> float:
    """A ticket taken from a phone, with its SMS; the time of the commit."""
    from django.db import transaction

    from khedmat.centers.models import Ticket
    from khedmat.centers.services import ticket_issue

    committed: list[float] = []
    with transaction.atomic():
        # Registered first, so it runs at the commit, before the hand-off to the broker.
        transaction.on_commit(lambda: committed.append(time.time()))
        ticket_issue(center=center, service=service, channel=Ticket.Channel.ONLINE, phone=phone, language=language)
    return committed[0]


def _produce(args: tuple[int, int, int, float, float, float, int, int]) -> tuple[dict[str, float], list[str], float]:
    """One producer process: its share of the slots, each at its time. Returns the commit time
    by phone number, errors, and the CPU seconds it used."""
    index, producers, stage, rate, seconds, start_at, center_id, service_id = args
    from django.db import connections

    from khedmat.catalog.models import Service
    from khedmat.centers.models import Center

    connections.close_all()  # never share the parent's connection
    center = Center.objects.get(pk=center_id)
    service = Service.objects.get(pk=service_id)
    cpu = time.process_time()
    written: dict[str, float] = {}
    errors: list[str] = []
    for slot in range(index, int(rate * seconds), producers):
        delay = start_at + slot / rate - time.time()
        if delay > 0:
            time.sleep(delay)
        phone = phone_number(stage, slot)
        try:
            written[phone] = _issue(center, service, phone, LANGUAGES[slot % len(LANGUAGES)])
        except Exception as error:  # a bench reports failures rather than stopping at the first
            errors.append(repr(error))
    cpu = time.process_time() - cpu
    connections.close_all()
    return written, errors[:3], cpu


# --- a stage ---------------------------------------------------------------------------------

def _ms(values: list[float], percentile: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(percentile / 100 * len(ordered)) - 1))
    return ordered[index] * 1000


@dataclass
class Stage:
    label: str
    committed: dict[str, float]  # commit time by phone number
    first_id: int
    errors: list[str]
    producer_cpu: float


def _settle(stage: Stage, watch: Watch, *, receipts: bool) -> list[tuple[int, str, str]]:
    """Wait until every message of the stage is handed over (delivered, with receipts) and
    the fake SMSC has all their parts; the messages (id, to, body)."""
    from khedmat.notifications.models import Message, Status
    from khedmat.notifications.sms.encoding import sms_length

    mine = Message.objects.filter(id__gt=stage.first_id, to__in=list(stage.committed))
    rows = list(mine.values_list("id", "to", "body"))
    expected_parts = sum(sms_length(body).parts for _id, _to, body in rows)
    deadline = time.time() + WAIT_AFTER_LAST_COMMIT
    while time.time() < deadline:
        waiting = mine.filter(handed_over_at__isnull=True).count()
        if receipts:
            waiting += mine.exclude(status=Status.DELIVERED).count()
        if not waiting and len(watch.parts) >= expected_parts:
            break
        time.sleep(0.1)
    return rows


def report(stage: Stage, watch: Watch, rows: list[tuple[int, str, str]], *, receipts: bool, paced: bool) -> bool:
    from khedmat.notifications.models import Message, Status
    from khedmat.notifications.sms.encoding import sms_length
    from khedmat.notifications.tests.kannel import join_parts

    committed = stage.committed
    mine = Message.objects.filter(id__gt=stage.first_id, to__in=list(committed))
    first_commit, last_commit = min(committed.values()), max(committed.values())
    received = collections.Counter((to, text) for _sender, to, text in join_parts(watch.parts) if to in committed)
    sent = collections.Counter((to, body) for _id, to, body in rows)
    once = sum(1 for key in sent if received[key] == 1)
    twice = sum(1 for key in sent if received[key] > 1)
    handed = dict(mine.exclude(handed_over_at__isnull=True).values_list("to", "handed_over_at"))
    lags = [moment.timestamp() - at for to, at in committed.items() if (moment := handed.get(to)) is not None]
    count = len(committed)
    through = count / max(1e-9, watch.last_part_at - first_commit)
    parts = sum(sms_length(body).parts for _id, _to, body in rows)

    achieved = f"{count / max(1e-9, last_commit - first_commit):.1f}/s achieved, " if paced else ""
    print(f"{stage.label}: {count:,} messages written ({achieved}{parts:,} SMS parts), "
          f"{len(stage.errors)} producer errors")
    if stage.errors:
        print(f"    e.g. {stage.errors[0]}")
    print(f"    received by the fake SMSC: {sum(received.values()):,} ({once:,} exactly once, {twice} more than "
          f"once, {len(sent) - once - twice} missing); the last {watch.last_part_at - last_commit:.2f} s after "
          f"the last commit")
    verdict = ""
    if paced:
        offered = count / max(1e-9, last_commit - first_commit)
        verdict = (f" (target ≥ {TARGET_RATE:g}: {'ok' if through >= TARGET_RATE else 'UNDER TARGET'}"
                   + (f"; the producers wrote only {offered:.1f}/s" if offered < TARGET_RATE else "") + ")")
    print(f"    throughput, first commit → last received: {through:.1f} messages/s{verdict}")
    ok = once == count and through >= TARGET_RATE
    if lags and paced:
        p95 = _ms(lags, 95) / 1000
        ok = ok and p95 < TARGET_LAG_P95
        print(f"    lag commit → handed to Kannel: p50 {_ms(lags, 50):.0f} ms, p95 {p95 * 1000:.0f} ms, "
              f"p99 {_ms(lags, 99):.0f} ms, max {max(lags) * 1000:.0f} ms "
              f"(target p95 < {TARGET_LAG_P95:g} s: {'ok' if p95 < TARGET_LAG_P95 else 'OVER TARGET'})")
    if receipts:
        print(f"    delivered by Kannel's receipt: {mine.filter(status=Status.DELIVERED).count():,}")
    cpu = {"producers": stage.producer_cpu, **watch.cpu_seconds()}
    shares = ", ".join(f"{name} {seconds / count * 1000:.1f} ms" for name, seconds in cpu.items())
    print(f"    CPU per message: {shares} (the machine has {os.cpu_count()} × 1,000 ms a second)")
    return ok and bool(lags)


def paced_stage(number: int, rate: float, seconds: float, *, producers: int, groups: dict[str, Any], kannel: Any,
                receipts: bool, center_id: int, service_id: int) -> bool:
    """--producers processes commit `rate` messages a second between them for `seconds`."""
    from django.db import connections
    from django.db.models import Max

    from khedmat.notifications.models import Message

    first_id = Message.objects.aggregate(last=Max("id"))["last"] or 0
    connections.close_all()
    start_at = time.time() + 1.0  # every producer connected before the clock starts
    # The producers are forked before the watching thread starts.
    with multiprocessing.get_context("fork").Pool(producers) as pool, Watch(kannel, groups) as watch:
        results = pool.map(_produce, [(i, producers, number, rate, seconds, start_at, center_id, service_id)
                                      for i in range(producers)])
        stage = Stage(label=f"Offered {rate:g}/s for {seconds:g} s", first_id=first_id,
                      committed={phone: at for written, _e, _c in results for phone, at in written.items()},
                      errors=[error for _w, errors, _c in results for error in errors],
                      producer_cpu=sum(cpu for _w, _e, cpu in results))
        rows = _settle(stage, watch, receipts=receipts)
    return report(stage, watch, rows, receipts=receipts, paced=True)


def backlog_stage(number: int, count: int, *, groups: dict[str, Any], kannel: Any, receipts: bool, center_id: int,
                  service_id: int) -> None:
    """`count` tickets with their SMS committed in one transaction: how fast the workers drain them."""
    from django.db import transaction
    from django.db.models import Max

    from khedmat.catalog.models import Service
    from khedmat.centers.models import Center, Ticket
    from khedmat.centers.services import ticket_issue
    from khedmat.notifications.models import Message

    first_id = Message.objects.aggregate(last=Max("id"))["last"] or 0
    center, service = Center.objects.get(pk=center_id), Service.objects.get(pk=service_id)
    phones = [phone_number(number, slot) for slot in range(count)]
    committed: dict[str, float] = {}
    cpu = time.process_time()
    with transaction.atomic():
        # Registered first, so it runs at the commit, before the hand-offs to the broker.
        transaction.on_commit(lambda: committed.update(dict.fromkeys(phones, time.time())))
        for slot, phone in enumerate(phones):
            ticket_issue(center=center, service=service, channel=Ticket.Channel.ONLINE, phone=phone,
                         language=LANGUAGES[slot % len(LANGUAGES)])
        watch = Watch(kannel, groups).__enter__()  # the workers start at the commit
    stage = Stage(label=f"Backlog of {count:,} committed at once", first_id=first_id, committed=committed,
                  errors=[], producer_cpu=time.process_time() - cpu)
    try:
        rows = _settle(stage, watch, receipts=receipts)
    finally:
        watch.__exit__()
    report(stage, watch, rows, receipts=receipts, paced=False)


# --- the processes around it -----------------------------------------------------------------

@contextlib.contextmanager
def receipt_server(env: dict[str, str], port: int, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The platform's receipt endpoint under gunicorn (2 sync workers), as production serves it."""
    from khedmat.notifications.tests.kannel import wait_for

    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--workers", "2", "--worker-class", "sync"]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)

    def answers() -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/sms/receipts/kannel/", timeout=1).close()
        except urllib.error.HTTPError:
            return True  # 403 without a signature: it is there
        except OSError:
            return process.poll() is not None
        return True

    try:
        wait_for(answers, timeout=30, what="gunicorn answering")
        if process.poll() is not None:
            sys.exit(f"gunicorn exited ({process.returncode}); see {log_path}")
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)


def run(args: argparse.Namespace, broker_url: str) -> bool:
    from khedmat.notifications.tests.kannel import free_port, running_kannel
    from khedmat.notifications.tests.workers import database_url, start_worker, worker_environment

    receipts = not args.no_receipts
    rates = [float(rate) for rate in args.rates.split(",") if rate.strip()]
    with tempfile.TemporaryDirectory(prefix="khedmat-bench-sms-") as scratch:
        logs = args.logs or Path(scratch)
        logs.mkdir(parents=True, exist_ok=True)
        with running_kannel(logs / "kannel") as kannel, contextlib.ExitStack() as stack:
            receipt_port = free_port()
            gateway = {"name": "kannel", "plugin": "kannel", "priority": 1,
                       **kannel.gateway_options(**({} if receipts else {"dlr_mask": 0}))}
            # This process writes messages as the platform does: CELERY_BROKER_URL set, so the
            # hand-off after the commit goes to the broker (set before Django reads settings).
            shared = {"CELERY_BROKER_URL": broker_url, "SMS_GATEWAYS": json.dumps([gateway]),
                      "SMS_CALLBACK_BASE_URL": f"http://127.0.0.1:{receipt_port}",
                      "SMS_RECEIPT_SECRET": secrets.token_hex(16)}
            os.environ.update(shared)
            from bench.support import configure_postgres

            configure_postgres(args.database_url, bench="bench/sms.py")
            from django.conf import settings
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("SELECT version()")
                version = cursor.fetchone()[0].split(" on ")[0]
            database = connection.settings_dict["NAME"]
            env = worker_environment(
                database_url=database_url(connection.settings_dict), broker_url=broker_url, sms_gateways=[gateway],
                callback_base_url=shared["SMS_CALLBACK_BASE_URL"], SMS_RECEIPT_SECRET=shared["SMS_RECEIPT_SECRET"])
            center_id, service_id = prepare_center()
            print(f"{version}, {os.cpu_count()} CPUs; database {database}; broker {broker_url}; {args.workers} "
                  f"worker(s), pool {args.pool or settings.CELERY_WORKER_POOL} × "
                  f"{args.concurrency or settings.CELERY_WORKER_CONCURRENCY}; {args.producers} producers; receipts "
                  f"{'to gunicorn (2 workers)' if receipts else 'off (dlr_mask 0)'}")
            groups: dict[str, Any] = {}
            if receipts:
                server = stack.enter_context(receipt_server(env, receipt_port, logs / "gunicorn.log"))
                groups["receipts"] = lambda: _group_members(server.pid)
            workers = [start_worker(env, name=f"bench{n}", log_path=logs / f"worker{n}.log",
                                    concurrency=args.concurrency, pool=args.pool) for n in range(args.workers)]
            for worker in workers:
                stack.callback(worker.stop)
            groups["workers"] = lambda: [pid for worker in workers for pid in _group_members(worker.process.pid)]
            groups["Kannel"] = lambda: [process.pid for process in kannel.processes.values()]
            groups["PostgreSQL"] = postgres_backends(database)
            options: dict[str, Any] = {"groups": groups, "kannel": kannel, "receipts": receipts, "center_id": center_id,
                       "service_id": service_id}
            results = [paced_stage(number, rate, args.seconds, producers=args.producers, **options)
                       for number, rate in enumerate(rates, start=1)]
            if args.backlog:
                backlog_stage(len(rates) + 1, args.backlog, **options)
            for worker in workers:
                errors = [line for line in worker.log().splitlines() if " ERROR" in line or "Traceback" in line]
                if errors:
                    print(f"worker {worker.name}: {len(errors)} error lines, e.g. {errors[0]}")
            connection.close()
    return all(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--broker-url", default="",
                        help="an empty Redis database (default: the first free one of 15, 8 … 14)")
    parser.add_argument("--rates", default="60,120",
                        help="offered messages per second, one stage each (default 60,120)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of a stage (default 30)")
    parser.add_argument("--backlog", type=int, default=3000,
                        help="messages committed at once for the last stage (default 3,000; 0: none)")
    parser.add_argument("--producers", type=int, default=2, help="processes writing messages (default 2)")
    parser.add_argument("--workers", type=int, default=1, help="celery worker processes (default 1)")
    parser.add_argument("--pool", choices=["prefork", "threads", "solo"],
                        help="the workers' pool (default: the settings', as make worker runs them)")
    parser.add_argument("--concurrency", type=int, help="processes or threads per worker (default: the settings')")
    parser.add_argument("--no-receipts", action="store_true", help="Kannel sends no delivery receipts")
    parser.add_argument("--logs", type=Path, help="keep the logs (Kannel, workers, gunicorn) in this folder")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (or leave it unset for the default).")

    from khedmat.notifications.tests.kannel import kannel_available
    from khedmat.notifications.tests.workers import claim_scratch_broker, release_scratch_broker

    if not kannel_available():
        sys.exit("Kannel is not installed: apt-get install kannel kannel-extras")
    broker_url = claim_scratch_broker(offset=7, url=args.broker_url)
    if broker_url is None:
        sys.exit(f"No empty Redis database to claim ({args.broker_url or 'of 8–15'}): give one with --broker-url")
    try:
        ok = run(args, broker_url)
    finally:
        release_scratch_broker(broker_url)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
