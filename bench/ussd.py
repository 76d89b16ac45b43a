"""USSD through the production web server: reply latency at 20 concurrent sessions.

    .venv/bin/python bench/ussd.py
    .venv/bin/python bench/ussd.py --broker redis://127.0.0.1:6379/13   # SMS only enqueued, as in production
    .venv/bin/python bench/ussd.py --seconds 6 --rounds 1 --control-seconds 4 --paced-seconds 15   # quicker

Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/khedmat_bench_ussd, a database of
its own; PostgreSQL only), creates and migrates it when missing and loads the demonstration data.
Then it starts gunicorn (--workers sync workers, default 4) with the production settings on a
free port, through bench/control_settings.py, which only adds the bench's control endpoints
(bench/control_urls.py). Without --broker the outbox delivers each SMS in the request that
wrote it (console gateway); with it, the request only enqueues, on a Celery queue of the
bench's own (no worker runs; the queue is removed at the end; the next run delivers first the
SMS this left in the outbox).

--phones simulated phones (default 20) each dial one session after another, a session of one
of five kinds at random, in Dari, Pashto or English (60/25/15 %):
  my files        language → main menu → my applications → one file (a demonstration citizen);
  take a ticket   language → main menu → centers → services → "yes?" → yes (a new number each
                  time: a USSD ticket is a real ticket, in the bench's own hall "Bench hall (USSD)",
                  emptied at the start of each run);
  my ticket       language → main menu → my ticket (a number that took a ticket in this run);
  my appointment  language → main menu → my appointment (booked by the bench beforehand);
  rate            language → main menu → rate → a score (→ a reason for a low score), on a
                  ticket served to that number (made by the bench beforehand).
Every request is one screen: POST /ussd/?key=… with sessionId, serviceCode, phoneNumber, text.

(a) No pause between screens: each phone sends its next screen as soon as it has the reply
    (20 requests always in flight: the worst case), --seconds in --rounds rounds; after each
    USSD round the same sessions go for --control-seconds ÷ rounds to two controls on the same
    server: /bench/control/ussd/ (bare Django: read the form, find or make the session's row
    and write it back, no product code) and /bench/control/hello/ (bare Django, no database).
(b) Then --paced-seconds with people's pauses (--pause, default 1-4 s) between screens.

Prints requests/s, p50/p95/p99/max latency, server CPU per request (gunicorn master and
workers, from /proc) and CPU per request of the PostgreSQL backends serving them, each screen
kind's latency, the ratios to the controls, and every answer that was not the one expected
(status or text). Target (issue 8): reply p95 under 100 ms at 20 concurrent sessions.
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
import dataclasses
import datetime
import io
import itertools
import logging
import os
import random
import re
import secrets
import shutil
import tempfile
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.http_support import (  # noqa: E402
    Browser,
    Round,
    Server,
    Tally,
    code_state,
    free_port,
    machine_busy,
    percentile_ms,
    server_env,
)

# A database of its own: other benches may run at the same time on khedmat_bench (bench/sms.py's
# Celery workers sweep its outbox), and would share this one's tickets, outbox and load.
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/khedmat_bench_ussd"
TARGET_P95_MS = 100.0
SERVICE_CODE = "*565#"
HALL_CODE = "USSDB"
HALL_SLUG = "ussd-bench-hall"
HALL_NAME = {"en": "Bench hall (USSD)", "fa": "تالار آزمایش USSD", "ps": "د USSD ازموینې تالار"}
HALL_SERVICES = ("passport", "driving-licence")
APPOINTMENT_PHONES = 100
RATING_PHONES_PER_SECOND = 20  # served tickets made for the rate sessions, per second of the run
LANGUAGES = (("2", 60), ("3", 25), ("1", 15))  # Dari, Pashto, English: the menu's keys and weights
SESSION_KINDS = ("my files", "take a ticket", "my ticket", "my appointment", "rate")


def appointment_phone(index: int) -> str:
    return f"+93796{index:06d}"


def rating_phone(index: int) -> str:
    return f"+93798{index:06d}"


def ticket_phone(index: int) -> str:
    return f"+93797{index:06d}"


# --- setting up (in this process, through the real services) ----------------------------------------

def configure(database_url: str) -> None:
    from bench.support import configure_postgres

    configure_postgres(database_url, bench="bench/ussd.py")


@contextlib.contextmanager
def quiet() -> Any:
    """Setting up books appointments, whose SMS the console gateway prints: not wanted here."""
    logging.disable(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logging.disable(logging.NOTSET)


def prepare_hall() -> Any:
    """The bench's own hall, open all day, two services; no ticket or rating left from before."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from khedmat.accounts.models import User
    from khedmat.catalog.models import Service
    from khedmat.centers import services
    from khedmat.centers.models import TicketSequence

    center = services.center_upsert(code=HALL_CODE, slug=HALL_SLUG, name=HALL_NAME,
                                    city={"en": "Kabul", "fa": "کابل", "ps": "کابل"},
                                    address={"en": "-", "fa": "-", "ps": "-"},
                                    opens_at=datetime.time(0), closes_at=datetime.time(0), open_weekdays=range(7))
    offered = [Service.objects.get(slug=slug) for slug in HALL_SERVICES]
    services.center_offer_services(center=center, services=offered)
    for letter, service in zip("AB", offered, strict=False):
        services.queue_group_upsert(center=center, letter=letter, name={"en": service.slug, "fa": service.slug,
                                                                        "ps": service.slug}, services=[service])
    counter = services.counter_upsert(center=center, number=1, services=offered)
    User.objects.get_or_create(username="bench.ussd.operator", defaults={
        "role": "operator", "center": center, "password": make_password(None), "full_name": "Bench USSD operator"})
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM feedback_rating WHERE center_id = %s", [center.pk])
        cursor.execute("DELETE FROM centers_ticketvisit WHERE center_id = %s", [center.pk])
        cursor.execute("DELETE FROM centers_ticket WHERE center_id = %s", [center.pk])
    TicketSequence.objects.filter(group__center=center).delete()
    return center, counter


def prepare_served_tickets(center: Any, counter: Any, count: int) -> None:
    """`count` tickets served today at the hall, one per number, none rated yet (for "rate")."""
    from django.utils import timezone

    from khedmat.accounts.models import User
    from khedmat.centers.models import QueueGroup, Ticket, TicketSequence

    group = QueueGroup.objects.filter(center=center).prefetch_related("services").order_by("letter")[0]
    service = group.services.all()[0]
    operator = User.objects.get(username="bench.ussd.operator")
    now = timezone.now()
    start = now - datetime.timedelta(hours=2)
    tickets = [Ticket(center=center, group=group, service=service, day=timezone.localdate(now), number=n + 1,
                      phone=rating_phone(n), channel=Ticket.Channel.KIOSK, status=Ticket.Status.SERVED,
                      issued_at=start, queue_position_at=start, waiting_since=start, counter=counter,
                      operator=operator, first_called_at=start, called_at=start, started_at=start)
               for n in range(count)]
    Ticket.objects.bulk_create(tickets, batch_size=2000)
    TicketSequence.objects.update_or_create(group=group, day=timezone.localdate(now),
                                            defaults={"last_number": count})


def prepare_appointments(center: Any) -> int:
    """A booking for each appointment number on the next bookable day (idempotent per day)."""
    from khedmat.centers.models import AppointmentSchedule, Center
    from khedmat.centers.selectors import appointment_days, appointment_slot_times
    from khedmat.centers.services import AppointmentError, appointment_book

    center = Center.objects.get(pk=center.pk)
    service = center.services.order_by("pk").first()
    schedule, _created = AppointmentSchedule.objects.update_or_create(
        center=center, service=service, defaults={"starts_at": datetime.time(0), "ends_at": datetime.time(23, 45),
                                                  "slot_minutes": 15, "capacity": APPOINTMENT_PHONES,
                                                  "days_ahead": 14, "is_active": True})
    days = [day for day in appointment_days(schedule=schedule) if day > datetime.date.today()]
    if not days:
        return 0
    starts_at = appointment_slot_times(schedule=schedule, day=days[0])[0]
    booked = 0
    with quiet():
        for index in range(APPOINTMENT_PHONES):
            try:
                appointment_book(center=center, service=service, starts_at=starts_at, phone=appointment_phone(index),
                                 idempotency_key=f"bench-ussd:{index}:{days[0].isoformat()}", language="fa")
                booked += 1
            except AppointmentError:
                pass
    return booked


def empty_outbox() -> int:
    """Deliver what earlier runs left in the outbox (a run with --broker and no worker leaves
    its SMS there): otherwise this run's requests, which deliver in-process and fill their
    batch with other ready messages, would send that backlog. How many were sent."""
    from khedmat.notifications.delivery import deliver_messages

    sent = 0
    with quiet():
        while True:
            claimed = deliver_messages().claimed
            sent += claimed
            if not claimed:
                return sent


def prepare_control_table() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_control_ussd (session_id varchar(100) PRIMARY KEY, "
                       "phone varchar(20) NOT NULL, started_at timestamptz NOT NULL, last_seen_at timestamptz "
                       "NOT NULL, last_text varchar(300) NOT NULL, last_reply text NOT NULL)")
        cursor.execute("TRUNCATE bench_control_ussd")


_EASTERN = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def _menu_choice(text: str, wanted: str) -> str | None:
    """The key of the menu line whose label starts like `wanted`, or the "more" key."""
    more = None
    for line in text.splitlines():
        match = re.match(r"^\s*(\S+)\s+(.*)$", line)
        if not match:
            continue
        key = match.group(1).translate(_EASTERN)
        if not key.isdigit():
            continue
        label = match.group(2).strip()
        if label == wanted or (label.endswith("…") and wanted.startswith(label[:-1])):
            return key
        if key == "9":
            more = "9"
    return f"more:{more}" if more else None


def resolve_ticket_paths(center: Any) -> dict[str, list[str]]:
    """For each language key, the choices after "3 Take a ticket" that lead to each of the
    hall's services (center, then service, pages included), found by walking the real menu."""
    from django.utils import translation

    from khedmat.centers.selectors import kiosk_layout
    from khedmat.notifications.ussd import ussd_reply

    paths: dict[str, list[str]] = {}
    for key, _weight in LANGUAGES:
        language = {"1": "en", "2": "fa", "3": "ps"}[key]
        with translation.override(language):
            center_name = HALL_NAME[language]
            service_names = [service.name for group in kiosk_layout(center=center) for service in group.services]

        def walk(prefix: str, wanted: str) -> str:
            text = prefix
            for _page in range(20):
                reply = ussd_reply(session_id=f"bench-resolve-{uuid.uuid4().hex}", service_code=SERVICE_CODE,
                                   phone_number=ticket_phone(999_999), text=text).text
                choice = _menu_choice(reply, wanted)
                if choice is None:
                    raise RuntimeError(f"USSD menu: {wanted!r} not found after {text!r}: {reply!r}")
                if not choice.startswith("more:"):
                    return f"{text}*{choice}"
                text = f"{text}*9"
            raise RuntimeError(f"USSD menu: {wanted!r} not found in 20 pages")

        at_center = walk(f"{key}*3", center_name)
        paths[key] = [walk(at_center, name) for name in service_names]
    return paths


# --- the simulated phones ----------------------------------------------------------------------------

@dataclass
class Plan:
    """What the phones dial and the numbers they dial from."""

    port: int
    url: str
    citizen_phones: list[str]
    ticket_paths: dict[str, list[str]]
    rating_phones: int
    ticket_base: int = field(default_factory=lambda: random.randrange(0, 900_000))
    _tickets: Any = field(default_factory=itertools.count)
    _ratings: Any = field(default_factory=itertools.count)
    took_tickets: deque[str] = field(default_factory=lambda: deque(maxlen=500))

    def next_ticket_phone(self) -> str:
        return ticket_phone(self.ticket_base + next(self._tickets))

    def next_rating_phone(self) -> str:
        index = next(self._ratings)
        return rating_phone(index if index < self.rating_phones else index % max(1, self.rating_phones))

    def session(self, kind: str, rng: random.Random) -> tuple[str, list[tuple[str, str, str]]]:
        """(phone, [(screen kind, text, expected start of the reply)]) for one session."""
        language = rng.choices([key for key, _w in LANGUAGES], weights=[w for _k, w in LANGUAGES])[0]
        first = [("language", "", "CON "), ("main menu", language, "CON ")]
        if kind == "my files":
            return rng.choice(self.citizen_phones), [
                *first, ("my files: list", f"{language}*1", "CON "), ("my files: one file", f"{language}*1*1", "END ")]
        if kind == "take a ticket":
            chosen = rng.choice(self.ticket_paths[language])
            center_path = chosen.rsplit("*", 1)[0]
            return self.next_ticket_phone(), [
                *first, ("ticket: centers", f"{language}*3", "CON "),
                *[("ticket: services", step, "CON ") for step in _steps_between(f"{language}*3", center_path)],
                *[("ticket: confirm?", step, "CON ") for step in _steps_between(center_path, chosen)],
                ("ticket: taken", f"{chosen}*1", "END ")]
        if kind == "my ticket":
            phone = rng.choice(self.took_tickets) if self.took_tickets else self.next_ticket_phone()
            return phone, [*first, ("my ticket", f"{language}*2", "END ")]
        if kind == "my appointment":
            return appointment_phone(rng.randrange(APPOINTMENT_PHONES)), [
                *first, ("my appointment", f"{language}*4", "END ")]
        score = rng.choice([1, 2, 3, 4, 5, 5])
        steps = [*first, ("rate: prompt", f"{language}*5", "")]
        if score <= 2:
            steps += [("rate: reason?", f"{language}*5*{score}", "CON "),
                      ("rate: recorded", f"{language}*5*{score}*{rng.randint(1, 6)}", "END ")]
        else:
            steps += [("rate: recorded", f"{language}*5*{score}", "END ")]
        return self.next_rating_phone(), steps


def _fresh(plan: Plan) -> Plan:
    return dataclasses.replace(plan, _tickets=itertools.count(), _ratings=itertools.count(), took_tickets=deque())


def _steps_between(before: str, after: str) -> list[str]:
    """The texts sent from `before` (exclusive) to `after` (inclusive), one choice at a time."""
    extra = after[len(before):].strip("*").split("*") if after != before else []
    texts, text = [], before
    for choice in extra:
        text = f"{text}*{choice}"
        texts.append(text)
    return texts


def phone_client(plan: Plan, url: str, *, check_text: bool, pause: tuple[float, float] = (0.0, 0.0)) -> Any:
    """A phone dialling sessions until the deadline; `pause` (seconds, from–to) is the time a
    person takes to read a screen and type the next choice (none: the worst case)."""
    def client(index: int, deadline: float, tally: Tally) -> None:
        rng = random.Random(index * 7919 + int(time.time()))
        browser = Browser(plan.port)
        if pause[1]:
            time.sleep(rng.uniform(0, pause[1]))  # people do not all dial at the same instant
        while time.perf_counter() < deadline:
            kind = rng.choice(SESSION_KINDS)
            phone, steps = plan.session(kind, rng)
            session_id = uuid.uuid4().hex
            for position, (screen, text, expected) in enumerate(steps):
                if position and pause[1]:
                    wait = rng.uniform(*pause)
                    if time.perf_counter() + wait > deadline:
                        browser.close()
                        return  # the time is up before this person's next screen
                    time.sleep(wait)
                answer = browser.post_form(url, {"sessionId": session_id, "serviceCode": SERVICE_CODE,
                                                 "phoneNumber": phone, "text": text})
                reply = answer.body.decode(errors="replace")
                problem = ""
                if check_text and answer.status == 200 and not reply.startswith(expected or ("CON ", "END ")):
                    problem = f"{screen}: {reply[:90]!r}"
                tally.record(screen if check_text else "control", answer, problem=problem)
                if answer.status != 200 or (reply.startswith("END ") and screen != steps[-1][0]):
                    break
            else:
                if check_text and kind == "take a ticket":
                    plan.took_tickets.append(phone)
                tally.finished()
        browser.close()
    return client


# --- the run -------------------------------------------------------------------------------------------

def _row(label: str, result: Round) -> str:
    every = result.tally.every_latency()
    return (f"  {label:26} {result.rate:8,.0f} {percentile_ms(every, 50):7.1f} {percentile_ms(every, 95):7.1f} "
            f"{percentile_ms(every, 99):7.1f} {max(every) * 1000 if every else float('nan'):7.1f} "
            f"{result.cpu_ms_per_request:8.2f} {result.database_ms_per_request:7.2f} "
            f"{result.tally.not_2xx_3xx():6d} {result.tally.unexpected_count():6d}")


def _combine(rounds: list[Round]) -> Round:
    tally = Tally()
    for result in rounds:
        tally.merge(result.tally)
    return Round(tally=tally, seconds=sum(r.seconds for r in rounds), server_cpu=sum(r.server_cpu for r in rounds),
                 database_cpu=sum(r.database_cpu for r in rounds), client_cpu=sum(r.client_cpu for r in rounds))


def main() -> None:
    from bench.http_support import broker_queue, broker_release, run_clients

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--phones", type=int, default=20, help="concurrent USSD sessions (default 20)")
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="USSD time without pauses, split in rounds (default 30)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, USSD then the controls in each (default 3)")
    parser.add_argument("--control-seconds", type=float, default=15.0,
                        help="time of each control in all, split in rounds (default 15)")
    parser.add_argument("--paced-seconds", type=float, default=30.0,
                        help="then USSD with people's pauses between screens for this long (default 30; 0: no)")
    parser.add_argument("--pause", default="1-4", help="a person's pause between screens, seconds (default 1-4)")
    parser.add_argument("--broker", default="",
                        help="a Redis URL for the server's Celery broker (the outbox then only enqueues, on a queue "
                             "of the bench's own, removed at the end, as in production with a worker); default none: "
                             "SMS are delivered in the request")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--keep", action="store_true", help="keep the server's log and files (temporary folder)")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (or leave it unset for the default).")
    low, _dash, high = args.pause.partition("-")
    pause = (float(low), float(high or low))
    queue = broker_queue()

    configure(args.database_url)
    from django.db import connection, connections

    from khedmat.applications.selectors import citizen as application_selectors
    from khedmat.centers.models import Ticket
    from khedmat.feedback.models import Rating

    print(f"Preparing {connection.settings_dict['NAME']} …", flush=True)
    center, counter = prepare_hall()
    rating_phones = int(RATING_PHONES_PER_SECOND * (args.seconds + args.paced_seconds / 4))
    prepare_served_tickets(center, counter, rating_phones)
    appointments = prepare_appointments(center)
    prepare_control_table()
    backlog = empty_outbox()
    citizens = [f"+9370000000{n}" for n in range(1, 10)
                if application_selectors.applications_for_phone(phone_number=f"+9370000000{n}")]
    if not citizens:
        sys.exit("No demonstration citizen has an application: is seed_demo's data there?")
    with quiet():
        ticket_paths = resolve_ticket_paths(center)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    connections.close_all()

    work = Path(tempfile.mkdtemp(prefix="khedmat-bench-ussd-"))
    (work / "static").mkdir()
    secret = secrets.token_urlsafe(24)
    port = free_port()
    extra = {"USSD_SHARED_SECRET": secret}
    if args.broker:
        extra.update({"CELERY_BROKER_URL": args.broker, "BENCH_CELERY_QUEUE": queue})
    server = Server(name="production", tree=BASE_DIR, database_url=args.database_url, port=port,
                    log=work / "gunicorn.log", workers=args.workers,
                    env=server_env(database_url=args.database_url, static_root=work / "static", private_root=work,
                                   extra=extra))
    plan = Plan(port=port, url=f"/ussd/?key={secret}", citizen_phones=citizens, ticket_paths=ticket_paths,
                rating_phones=rating_phones)
    busy = machine_busy()
    print(f"{version}, {os.cpu_count()} CPUs ({'?' if busy is None else f'{busy:.0f} %'} busy before the run); "
          f"code {code_state()}; gunicorn {args.workers} sync workers, config.settings.production (+ bench controls) "
          f"on port {port}, "
          f"database {server.database}; SMS "
          + (f"enqueued on {args.broker} (no worker runs)" if args.broker else "delivered in the request (no broker)"))
    print(f"  {len(citizens)} citizens with files, {appointments} appointments booked, {rating_phones} served tickets "
          f"to rate, {backlog} SMS left by earlier runs delivered first; ticket paths "
          f"{', '.join(f'{k}: {v[0]}' for k, v in ticket_paths.items())}", flush=True)
    server.start()
    slices: dict[str, list[Round]] = {"ussd": [], "control": [], "hello": []}
    paced: Round | None = None
    try:
        server.wait_ready()
        ussd = phone_client(plan, plan.url, check_text=True)
        # The controls dial the same sessions from numbers of their own (the pools stay the USSD's).
        control = phone_client(_fresh(plan), "/bench/control/ussd/", check_text=False)
        hello = phone_client(_fresh(plan), "/bench/control/hello/", check_text=False)
        for client in (ussd, control, hello):  # warm-up: every worker loads code, catalogs and templates
            run_clients(server, clients=args.phones, seconds=2.0, client=client)
        for number in range(args.rounds):
            slices["ussd"].append(run_clients(server, clients=args.phones, seconds=args.seconds / args.rounds,
                                              client=ussd))
            slices["control"].append(run_clients(server, clients=args.phones,
                                                 seconds=args.control_seconds / args.rounds, client=control))
            slices["hello"].append(run_clients(server, clients=args.phones,
                                               seconds=args.control_seconds / args.rounds, client=hello))
            print(f"  round {number + 1}: USSD {slices['ussd'][-1].rate:,.0f} req/s, control (session row) "
                  f"{slices['control'][-1].rate:,.0f} req/s, control (hello) {slices['hello'][-1].rate:,.0f} req/s",
                  flush=True)
        if args.paced_seconds > 0:
            paced = run_clients(server, clients=args.phones, seconds=args.paced_seconds,
                                client=phone_client(plan, plan.url, check_text=True, pause=pause))
    finally:
        server.stop()
        if args.broker:
            queued = broker_release(args.broker, queue)
            print(f"  ({queued} delivery tasks no worker took removed from queue {queue} on {args.broker})")

    results = {name: _combine(rounds) for name, rounds in slices.items()}
    report(results, slices, paced, args, log=server.log)
    issued = Ticket.objects.filter(center=center, channel="ussd").count()
    taken = sum(len(r.tally.latencies.get("ticket: taken", [])) for r in [results["ussd"], *([paced] if paced else [])])
    rated = Rating.objects.filter(center=center, channel="ussd").count()
    recorded = sum(len(r.tally.latencies.get("rate: recorded", [])) for r in [results["ussd"], *([paced] if paced
                                                                                                  else [])])
    print(f"In the database: {issued} USSD tickets for {taken} 'yes' screens answered in the measured time (the "
          f"warm-up's make the rest), {rated} ratings for {recorded} rating screens (a pool of {rating_phones} "
          f"served tickets{': it ran out, later ones rated nothing' if rated >= rating_phones else ''}).")
    connections.close_all()
    if args.keep:
        print(f"Server log and files kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def _screens(result: Round) -> None:
    print(f"  {'screen':20} {'count':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}")
    for screen, values in sorted(result.tally.latencies.items(), key=lambda item: -percentile_ms(item[1], 50)):
        print(f"  {screen:20} {len(values):6d} {percentile_ms(values, 50):7.1f} {percentile_ms(values, 95):7.1f} "
              f"{percentile_ms(values, 99):7.1f} {max(values) * 1000:7.1f}")


def report(results: dict[str, Round], slices: dict[str, list[Round]], paced: Round | None, args: Any, *,
           log: Path) -> None:
    ussd, control, hello = results["ussd"], results["control"], results["hello"]
    print()
    print(f"(a) {args.phones} concurrent sessions, no pause between screens (each phone sends its next screen as "
          f"soon as it has the reply); {args.rounds} rounds of USSD {args.seconds / args.rounds:.0f} s, then each "
          f"control {args.control_seconds / args.rounds:.0f} s")
    print(f"  {'':26} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} {'CPU ms':>8} "
          f"{'DB ms':>7} {'non2xx':>6} {'odd':>6}")
    print(_row("USSD /ussd/", ussd))
    print(_row("control: session row", control))
    print(_row("control: hello", hello))
    print("  (CPU ms: gunicorn master + workers, per request; DB ms: the PostgreSQL backends serving them; odd: an "
          "answer not the one expected)")
    every = ussd.tally.every_latency()
    for name, other in (("control: session row", control), ("control: hello", hello)):
        others = other.tally.every_latency()
        print(f"  USSD ÷ {name}: throughput {ussd.rate / other.rate:.2f}, p50 "
              f"{percentile_ms(every, 50) / percentile_ms(others, 50):.1f}×, p95 "
              f"{percentile_ms(every, 95) / percentile_ms(others, 95):.1f}×, server CPU per request "
              f"{ussd.cpu_ms_per_request / other.cpu_ms_per_request:.1f}×")
    rates = [r.rate for r in slices["ussd"]]
    print(f"  USSD rounds: {', '.join(f'{r:,.0f}' for r in rates)} req/s; "
          f"{ussd.tally.completed / ussd.seconds:,.1f} sessions/s; the bench's own CPU "
          f"{100 * ussd.client_cpu / ussd.seconds:.0f} % of a core")
    print("  Per screen:")
    _screens(ussd)
    if paced is not None:
        print(f"(b) {args.phones} concurrent sessions, people's pauses of {args.pause} s between screens, "
              f"{paced.seconds:.0f} s:")
        print(f"  {'':26} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} {'CPU ms':>8} "
              f"{'DB ms':>7} {'non2xx':>6} {'odd':>6}")
        print(_row("USSD /ussd/", paced))
        print(f"  {paced.tally.completed} sessions completed. Per screen:")
        _screens(paced)
    for name, result in [*results.items(), *([("paced", paced)] if paced else [])]:
        statuses = {status: count for counts in result.tally.statuses.values() for status, count in counts.items()}
        odd = [(kind, note, count) for kind, notes in result.tally.unexpected.items() for note, count in notes.items()]
        if result.tally.not_2xx_3xx() or odd:
            print(f"Unexpected answers ({name}): statuses {statuses}")
            for kind, note, count in sorted(odd, key=lambda item: -item[2])[:12]:
                print(f"    {count:5d} × {kind}: {note}")
    log_text = log.read_text(errors="replace") if log.exists() else ""
    tracebacks = log_text.count("Traceback (most recent call last)")
    if tracebacks:
        print(f"The server logged {tracebacks} tracebacks; the first:")
        start = log_text.index("Traceback (most recent call last)")
        print("    " + "\n    ".join(log_text[start:start + 3000].splitlines()[:40]))
    p95 = percentile_ms(every, 95)
    print(f"Target: USSD reply p95 under {TARGET_P95_MS:.0f} ms at {args.phones} concurrent sessions:")
    print(f"  (a) no pauses: p95 {p95:.1f} ms  {'ok' if p95 < TARGET_P95_MS else 'OVER TARGET'}")
    if paced is not None:
        paced_p95 = percentile_ms(paced.tally.every_latency(), 95)
        print(f"  (b) people's pauses ({args.pause} s): p95 {paced_p95:.1f} ms  "
              f"{'ok' if paced_p95 < TARGET_P95_MS else 'OVER TARGET'}")
    busy = machine_busy()
    print(f"CPU busy after the run: {'?' if busy is None else f'{busy:.0f} %'}. Figures drift up to 30 % between "
          "runs on this kind of machine: compare the ratios measured together.")


if __name__ == "__main__":
    main()
