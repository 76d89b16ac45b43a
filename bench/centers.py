"""The service-center queue on PostgreSQL: ticket throughput, call-next latency, board delay.

    .venv/bin/python bench/centers.py
    .venv/bin/python bench/centers.py --seconds 5 --rounds 1 --samples 200   # a quicker look

Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/khedmat_bench; PostgreSQL only),
creates and migrates the database when it is missing and loads the demonstration data. It
works in a hall of its own (center BENCH, slug bench-hall: five queue groups A–E of one
service each, counter 1 a women's desk, 2 a priority desk, 3–20 general, one operator each),
emptied of tickets at the start, so the demonstration centers are left alone.

It prints:
  (a) ticket issues per second: --clients processes (default 4) calling the real
      ticket_issue for --seconds, all for one service (every client on one number
      sequence: the worst case) and spread over the five groups; the median of --rounds;
  (b) a counter's whole cycle per second: each client at its own open counter calling
      next, starting and finishing (three ticket operations a cycle) while tickets wait;
  (c) call-next latency (the real ticket_call_next) p50/p95 with --waiting tickets waiting
      (default 10,000; a mix of walk-ins, priority groups, the women's desk and
      appointments), on general, women's-desk and priority counters;
  (d) the board's delay: a simulated board polls the real feed view
      /en/centers/bench-hall/board/feed/ every 500 ms with If-None-Match (through Django's
      test client, in its own thread and connection) while a counter calls --calls tickets
      at random moments; the delay from a call's commit to the first feed response showing it.
Targets: at least 200 ticket operations per second; call-next p95 under 20 ms; board p95 under 1 s.
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/khedmat_bench"  # as in bench/support.py
CENTER_CODE = "BENCH"
CENTER_SLUG = "bench-hall"
GROUP_SERVICES = {"A": "passport", "B": "driving-licence", "C": "business-licence", "D": "disability-registration",
                  "E": "vaccination-certificate"}
COUNTERS = 20
POLL_SECONDS = 0.5
TARGET_OPS = 200.0
TARGET_CALL_MS = 20.0
TARGET_BOARD_S = 1.0


# --- setting up --------------------------------------------------------------------------------

def configure(database_url: str) -> None:
    sys.path.insert(0, str(BASE_DIR))
    from bench.support import configure_postgres

    configure_postgres(database_url, bench="bench/centers.py")


def prepare_hall() -> Any:
    """The bench's own center, its groups, counters and operators; no ticket left from before."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from khedmat.accounts.models import Role, User
    from khedmat.catalog.models import Service
    from khedmat.centers import services
    from khedmat.centers.models import Counter, QueueGroup, TicketSequence

    center = services.center_upsert(
        code=CENTER_CODE, slug=CENTER_SLUG, name={"en": "Bench hall", "fa": "تالار آزمایش", "ps": "د ازموینې تالار"},
        city={"en": "Kabul", "fa": "کابل", "ps": "کابل"}, address={"en": "-", "fa": "-", "ps": "-"},
        opens_at=datetime.time(0), closes_at=datetime.time(0), open_weekdays=range(7))
    offered = {slug: Service.objects.get(slug=slug) for slug in GROUP_SERVICES.values()}
    services.center_offer_services(center=center, services=list(offered.values()))
    for letter, slug in GROUP_SERVICES.items():
        services.queue_group_upsert(center=center, letter=letter, name={"en": slug, "fa": slug, "ps": slug},
                                    services=[offered[slug]])
    designations = {1: Counter.Designation.WOMEN, 2: Counter.Designation.PRIORITY}
    for number in range(1, COUNTERS + 1):
        services.counter_upsert(center=center, number=number, services=list(offered.values()),
                                designation=designations.get(number, Counter.Designation.GENERAL))
        User.objects.get_or_create(username=f"bench.operator{number}", defaults={
            "role": Role.OPERATOR, "center": center, "password": make_password(None),
            "full_name": f"Bench operator {number}"})
    with connection.cursor() as cursor:  # a clean hall: the tickets of earlier runs go
        cursor.execute("DELETE FROM centers_ticketvisit WHERE center_id = %s", [center.pk])
        cursor.execute("DELETE FROM centers_ticket WHERE center_id = %s", [center.pk])
    TicketSequence.objects.filter(group__in=QueueGroup.objects.filter(center=center)).delete()
    Counter.objects.filter(center=center).update(state=Counter.State.CLOSED, operator=None)
    return center


def open_counters(center: Any) -> list[Any]:
    from khedmat.accounts.models import User
    from khedmat.centers.models import Counter
    from khedmat.centers.services import counter_open

    counters = []
    for counter in Counter.objects.filter(center=center).order_by("number"):
        operator = User.objects.get(username=f"bench.operator{counter.number}")
        counters.append(counter_open(counter=counter, operator=operator))
    return counters


def empty_queue(center: Any) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM centers_ticketvisit WHERE center_id = %s", [center.pk])
        cursor.execute("DELETE FROM centers_ticket WHERE center_id = %s", [center.pk])


def _ms(values: list[float], percentile: int) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(percentile / 100 * len(ordered)) - 1))
    return ordered[index] * 1000


def _verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


# --- (a) issues, (b) counter cycles -----------------------------------------------------------

def _issue_client(args: tuple[int, list[int], float, float]) -> tuple[int, list[str]]:
    _index, service_ids, start_at, seconds = args
    from django.db import connections

    from khedmat.catalog.models import Service
    from khedmat.centers.models import Center
    from khedmat.centers.services import ticket_issue

    connections.close_all()  # never share the parent's connection
    center = Center.objects.get(code=CENTER_CODE)
    services = list(Service.objects.filter(pk__in=service_ids))
    issued, errors = 0, []
    time.sleep(max(0.0, start_at - time.time()))
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        try:
            ticket_issue(center=center, service=random.choice(services))
            issued += 1
        except Exception as error:  # a bench reports failures rather than stopping at the first
            errors.append(repr(error))
    connections.close_all()
    return issued, errors[:3]


def _cycle_client(args: tuple[int, list[int], float, float]) -> tuple[int, list[str]]:
    index, _service_ids, start_at, seconds = args
    from django.db import connections

    from khedmat.centers.models import Counter
    from khedmat.centers.services import ticket_call_next, ticket_finish, ticket_start

    connections.close_all()
    counter = Counter.objects.get(center__code=CENTER_CODE, number=3 + index)  # a general counter each
    operations, errors = 0, []
    time.sleep(max(0.0, start_at - time.time()))
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        try:
            ticket = ticket_call_next(counter=counter)
            if ticket is None:
                break
            ticket_start(counter=counter, ticket=ticket)
            ticket_finish(counter=counter, ticket=ticket)
            operations += 3
        except Exception as error:
            errors.append(repr(error))
    connections.close_all()
    return operations, errors[:3]


def _round(client: Any, *, clients: int, service_ids: list[int], seconds: float) -> tuple[float, list[str]]:
    from django.db import connections

    connections.close_all()
    start_at = time.time() + 1.5  # every client connected before the clock starts
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        results = pool.map(client, [(i, service_ids, start_at, seconds) for i in range(clients)])
    return sum(count for count, _e in results) / seconds, [error for _c, errors in results for error in errors]


def issue_throughput(center: Any, *, clients: int, seconds: float, rounds: int) -> None:
    from khedmat.centers.models import QueueGroup

    groups = list(QueueGroup.objects.filter(center=center).prefetch_related("services").order_by("letter"))
    one = [groups[0].services.all()[0].pk]
    spread = [group.services.all()[0].pk for group in groups]
    for label, service_ids in (("one service (one number sequence)", one), ("five groups", spread)):
        rates, errors = [], []
        for _ in range(rounds):
            empty_queue(center)
            rate, round_errors = _round(_issue_client, clients=clients, service_ids=service_ids, seconds=seconds)
            rates.append(rate)
            errors += round_errors
        median = statistics.median(rates)
        print(f"(a) Ticket issues, {label}: {median:,.0f} per second (median of {rounds} rounds of {seconds:.0f} s: "
              f"{', '.join(f'{r:,.0f}' for r in rates)}) — {clients} processes calling ticket_issue  "
              f"{_verdict(median >= TARGET_OPS)}")
        if errors:
            print(f"    {len(errors)} errors, e.g. {errors[0]}")


def cycle_throughput(center: Any, *, clients: int, seconds: float, rounds: int) -> None:
    from khedmat.centers.models import Counter

    rates, errors = [], []
    for _ in range(rounds):
        empty_queue(center)
        Counter.objects.filter(center=center).update(state=Counter.State.CLOSED, operator=None)
        open_counters(center)
        seed_waiting(center, 20_000, mix=False)
        rate, round_errors = _round(_cycle_client, clients=clients, service_ids=[], seconds=seconds)
        rates.append(rate)
        errors += round_errors
    median = statistics.median(rates)
    print(f"(b) Counter work: {median:,.0f} ticket operations per second (call next + start + finish; median of "
          f"{rounds} rounds: {', '.join(f'{r:,.0f}' for r in rates)}) — {clients} counters at once  "
          f"{_verdict(median >= TARGET_OPS)}")
    if errors:
        print(f"    {len(errors)} errors, e.g. {errors[0]}")


# --- (c) call-next latency -----------------------------------------------------------------------

def seed_waiting(center: Any, count: int, *, mix: bool = True) -> None:
    """`count` tickets waiting today, issued over the last three hours (bulk, with their numbers)."""
    from django.utils import timezone

    from khedmat.centers.models import PriorityGroup, QueueGroup, Ticket, TicketSequence

    groups = list(QueueGroup.objects.filter(center=center).prefetch_related("services").order_by("letter"))
    priority = list(PriorityGroup.objects.filter(is_active=True))
    now = timezone.now()
    today = timezone.localdate(now)
    numbers = {group.pk: 0 for group in groups}
    for sequence in TicketSequence.objects.filter(group__in=groups, day=today):
        numbers[sequence.group_id] = sequence.last_number
    tickets = []
    for _ in range(count):
        group = random.choice(groups)
        numbers[group.pk] += 1
        issued = now - datetime.timedelta(seconds=random.randint(0, 3 * 3600))
        roll = random.random() if mix else 1.0
        priority_group = random.choice(priority) if roll < 0.05 and priority else None
        desk = "women" if 0.05 <= roll < 0.10 else ""
        channel = Ticket.Channel.APPOINTMENT if 0.10 <= roll < 0.15 else Ticket.Channel.KIOSK
        position = issued - datetime.timedelta(minutes=priority_group.advance_minutes) if priority_group else issued
        tickets.append(Ticket(center=center, group=group, service=group.services.all()[0], day=today,
                              number=numbers[group.pk], priority_group=priority_group, desk=desk, channel=channel,
                              issued_at=issued, queue_position_at=position, waiting_since=issued))
    Ticket.objects.bulk_create(tickets, batch_size=2000)
    TicketSequence.objects.bulk_create(
        [TicketSequence(group_id=group_id, day=today, last_number=last) for group_id, last in numbers.items()],
        update_conflicts=True, unique_fields=["group", "day"], update_fields=["last_number"])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE centers_ticket")


def call_next_latency(center: Any, *, waiting: int, samples: int) -> None:
    from khedmat.centers.models import Ticket
    from khedmat.centers.services import ticket_call_next, ticket_finish

    empty_queue(center)
    counters = open_counters(center)
    seed_waiting(center, waiting)
    kinds: dict[str, list[float]] = {"general": [], "women": [], "priority": []}
    for index in range(samples):
        counter = counters[index % len(counters)]
        began = time.perf_counter()
        ticket = ticket_call_next(counter=counter)
        elapsed = time.perf_counter() - began
        kinds[counter.designation].append(elapsed)
        if ticket is not None:
            ticket_finish(counter=counter, ticket=ticket)
    left = Ticket.objects.filter(center=center, status=Ticket.Status.WAITING).count()
    every = [value for values in kinds.values() for value in values]
    p95 = _ms(every, 95)
    print(f"(c) Call next with {waiting:,} waiting ({left:,} still waiting at the end), {samples} calls over "
          f"{len(counters)} counters: p50 {_ms(every, 50):.1f} ms, p95 {p95:.1f} ms  {_verdict(p95 < TARGET_CALL_MS)}")
    for kind, values in kinds.items():
        if values:
            print(f"    {kind:8} counters: p50 {_ms(values, 50):.1f} ms, p95 {_ms(values, 95):.1f} ms "
                  f"({len(values)} calls)")


# --- (d) the board ---------------------------------------------------------------------------

def board_delay(center: Any, *, calls: int) -> None:
    from django.db import connections
    from django.test import Client
    from django.utils import translation

    from khedmat.centers.models import Counter
    from khedmat.centers.services import ticket_call_next, ticket_finish, ticket_issue

    empty_queue(center)
    Counter.objects.filter(center=center).update(state=Counter.State.CLOSED, operator=None)
    counters = open_counters(center)[2:6]  # four general counters take turns
    service = center.services.order_by("pk").first()
    for _ in range(calls + 5):
        ticket_issue(center=center, service=service)
    with translation.override("en"):
        from django.urls import reverse

        url = reverse("centers:board_feed", kwargs={"slug": center.slug})

    seen: dict[str, float] = {}
    stop = threading.Event()
    polls = {"200": 0, "304": 0, "other": 0}
    request_times: list[float] = []

    def board() -> None:
        client = Client(HTTP_HOST="localhost")
        etag = ""
        try:
            while not stop.is_set():
                began = time.perf_counter()
                response = client.get(url, HTTP_IF_NONE_MATCH=etag) if etag else client.get(url)
                arrived = time.perf_counter()
                request_times.append(arrived - began)
                if response.status_code == 200:
                    polls["200"] += 1
                    etag = response.get("ETag", "")
                    for call in response.json()["calls"]:
                        seen.setdefault(call["number"], arrived)
                elif response.status_code == 304:
                    polls["304"] += 1
                else:
                    polls["other"] += 1
                stop.wait(max(0.0, POLL_SECONDS - (time.perf_counter() - began)))
        finally:
            connections.close_all()

    poller = threading.Thread(target=board, daemon=True)
    poller.start()
    time.sleep(1.0)
    committed: dict[str, float] = {}
    current: dict[int, Any] = {}
    for index in range(calls):
        counter = counters[index % len(counters)]
        if counter.pk in current:
            ticket_finish(counter=counter, ticket=current.pop(counter.pk))
        ticket = ticket_call_next(counter=counter)  # committed when it returns
        assert ticket is not None, "the bench issued enough tickets"
        committed[ticket.display_number] = time.perf_counter()
        current[counter.pk] = ticket
        time.sleep(random.uniform(0.2, 1.2))
    time.sleep(2 * POLL_SECONDS + 0.5)
    stop.set()
    poller.join(timeout=10)
    delays = [seen[number] - at for number, at in committed.items() if number in seen]
    missed = len(committed) - len(delays)
    p95 = _ms(delays, 95) / 1000 if delays else float("inf")
    print(f"(d) Board delay, call committed → board feed showing it ({len(delays)} calls, feed polled every "
          f"{POLL_SECONDS * 1000:.0f} ms with If-None-Match: {polls['200']} × 200, {polls['304']} × 304"
          f"{', ' + str(polls['other']) + ' other' if polls['other'] else ''}): p50 {_ms(delays, 50) / 1000:.2f} s, "
          f"p95 {p95:.2f} s, max {max(delays):.2f} s  {_verdict(p95 < TARGET_BOARD_S)}")
    print(f"    one feed request: p50 {_ms(request_times, 50):.1f} ms, p95 {_ms(request_times, 95):.1f} ms"
          + (f"; {missed} calls never seen" if missed else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--clients", type=int, default=4, help="concurrent processes for (a) and (b) (default 4)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of a round (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is printed (default 3)")
    parser.add_argument("--waiting", type=int, default=10_000, help="tickets waiting for (c) (default 10,000)")
    parser.add_argument("--samples", type=int, default=1000, help="calls timed in (c) (default 1,000)")
    parser.add_argument("--calls", type=int, default=50, help="calls watched on the board in (d) (default 50)")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (or leave it unset for the default).")

    configure(args.database_url)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    print(f"{version}, {os.cpu_count()} CPUs; database {connection.settings_dict['NAME']}")
    center = prepare_hall()
    issue_throughput(center, clients=args.clients, seconds=args.seconds, rounds=args.rounds)
    cycle_throughput(center, clients=args.clients, seconds=args.seconds, rounds=args.rounds)
    call_next_latency(center, waiting=args.waiting, samples=args.samples)
    board_delay(center, calls=args.calls)
    empty_queue(center)


if __name__ == "__main__":
    main()
