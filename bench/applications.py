"""Applications at scale on PostgreSQL: submission throughput and back-office inbox latency.

    .venv/bin/python bench/applications.py --rows 1000000
    .venv/bin/python bench/applications.py --rows 100000 --rounds 1 --depth 200 \
        --database-url postgres://postgres@127.0.0.1:5432/khedmat_bench_small   # a quicker look

Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/khedmat_bench; PostgreSQL only),
creates and migrates the database when it is missing, loads the demonstration catalog
(14 agencies, 28 services) and seeds --rows applications with COPY (a few minutes for a
million): a third of them the Ministry of Interior's, 3 % drafts, 85 % of the rest open,
deadlines spread over a year, six in ten assigned to one of five officers of their agency,
each submitted one with its audit event, sealed into the chain. A later run with the same
--rows finds the seed and reuses it (--reseed starts over).

It prints:
  (a) submissions per second: --clients processes (default 8) each calling the real
      application_submit on its own fresh drafts, audit sealing included; the median of
      --rounds rounds of --seconds (default 3 × 10 s), as other work on a shared machine
      can spoil one round;
  (b) inbox latency (the real inbox_page, ORM included) p50/p95 over --samples pages, for
      the first page and for pages --depth pages deep (walked with keyset cursors), with
      the filters none / assigned to me / overdue / one state;
  (c) EXPLAIN ANALYZE of the inbox query, first page and deep, and whether it walks the
      inbox index.
The target: inbox p95 under 50 ms at 1M rows, the same deep as on the first page.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import io
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/khedmat_bench"  # as in bench/support.py
OFFICERS_PER_AGENCY = 5
CITIZENS = 50_000
BIG_AGENCY = "MOI"  # the Ministry of Interior (passports, IDs) gets a third of the files
BIG_AGENCY_SHARE = 0.33
DRAFT_SHARE = 0.03
CLOSED_SHARE = 0.15
ASSIGNED_SHARE = 0.6
INBOX_TARGET_MS = 50.0


# --- setting up --------------------------------------------------------------------------------

def configure(database_url: str) -> None:
    sys.path.insert(0, str(BASE_DIR))
    from bench.support import configure_postgres

    configure_postgres(database_url, bench="bench/applications.py")


def copy_text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def constant_columns(model: Any, template: Any, varying: Iterable[str]) -> tuple[list[str], str]:
    """The columns not in `varying`, with `template`'s values as one COPY text fragment.

    Every concrete column is written, so a field added to the model later gets its default
    (or the insert fails loudly) instead of being forgotten silently.
    """
    from django.db import connection
    from django.db.models import JSONField

    varying = set(varying)
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column in varying:
            continue
        value = field.pre_save(template, add=True)
        if not isinstance(field, JSONField):
            value = field.get_db_prep_save(value, connection)
        columns.append(field.column)
        values.append(copy_text(value))
    return columns, "\t".join(values)


def copy_rows(table: str, columns: list[str], rows: Iterable[str], *, chunk: int = 20_000) -> int:
    """COPY text rows (each ending in a newline) into `table`; returns how many."""
    from django.db import connection

    count = 0
    with connection.cursor() as cursor:
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with cursor.cursor.copy(statement) as copy:
            buffer = io.StringIO()
            for row in rows:
                buffer.write(row)
                count += 1
                if count % chunk == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
    return count


@dataclass
class Catalog:
    services: list[Any]  # catalog.Service with current_version and agency
    officers: dict[int, list[int]]  # agency id → officer ids
    citizens: list[int]
    states: dict[int, list[tuple[str, bool, bool]]]  # service id → (state, final, pauses)
    phones: dict[int, str] = dataclasses.field(default_factory=dict)  # citizen id → mobile number


def load_catalog() -> Catalog:
    from django.contrib.auth.hashers import make_password

    from khedmat.accounts.models import Role, User
    from khedmat.applications.workflow import Workflow
    from khedmat.catalog.models import Service

    services = list(Service.objects.filter(current_version__isnull=False)
                    .select_related("agency", "current_version").order_by("agency__code", "code"))
    agencies = {service.agency for service in services}
    unusable = make_password(None)
    for agency in agencies:
        existing = User.objects.filter(username__startswith=f"bench.{agency.code.lower()}.").count()
        User.objects.bulk_create([
            User(username=f"bench.{agency.code.lower()}.officer{n}", role=Role.OFFICER, agency=agency,
                 full_name=f"Bench officer {n} ({agency.code})", password=unusable)
            for n in range(existing, OFFICERS_PER_AGENCY)
        ])
    officers: dict[int, list[int]] = {}
    for user_id, agency_id in User.objects.filter(username__startswith="bench.", role=Role.OFFICER).values_list(
            "id", "agency_id"):
        officers.setdefault(agency_id, []).append(user_id)

    citizens = list(User.objects.filter(username__startswith="+93790").values_list("id", flat=True))
    if len(citizens) < CITIZENS:
        template = User(username="x", phone_number="x", role=Role.CITIZEN, password=unusable)
        columns, constant = constant_columns(User, template, ["username", "phone_number"])
        taken = set(User.objects.filter(username__startswith="+93790").values_list("username", flat=True))
        numbers = (f"+93790{n:07d}" for n in range(CITIZENS))
        copy_rows("accounts_user", ["username", "phone_number", *columns],
                  (f"{number}\t{number}\t{constant}\n" for number in numbers if number not in taken))
        citizens = list(User.objects.filter(username__startswith="+93790").values_list("id", flat=True))
    phones = {pk: phone or "" for pk, phone in
              User.objects.filter(username__startswith="+93790").values_list("id", "phone_number")}

    states = {}
    for service in services:
        assert service.current_version is not None
        workflow = Workflow.of(service.current_version.definition)
        states[service.pk] = [(s.name, s.final, s.pauses_clock) for s in workflow.states.values()]
    return Catalog(services=services, officers=officers, citizens=citizens, states=states, phones=phones)


# --- seeding -----------------------------------------------------------------------------------

APPLICATION_VARYING = [
    "public_id", "reference", "service_id", "service_version_id", "agency_id", "applicant_id", "channel", "state",
    "is_final", "data", "idempotency_key", "assigned_to_id", "created_at", "updated_at", "submitted_at",
    "decided_at", "due_date", "clock_paused_on", "search_text",
]
ANSWERS = [
    {"full_name": name, "father_name": father, "province": province, "note": "درخواست آزمایشی"}
    for name, father, province in [
        ("Ahmad Zia", "Mohammad Nabi", "Kabul"), ("Fatima Rahimi", "Abdul Rahim", "Herat"),
        ("Gul Ahmad", "Sher Ahmad", "Kandahar"), ("Maryam Sadat", "Sayed Karim", "Balkh"),
        ("Rahmatullah", "Habibullah", "Nangarhar"), ("Zarghona", "Abdul Wali", "Kunduz"),
    ]
]


def _fee_choice(definition: dict[str, Any]) -> dict[str, str]:
    """The answer that sets a fee by option (the first option): without it, submitting is refused."""
    fee = definition.get("fee") or {}
    if fee.get("kind") != "by_option":
        return {}
    return {fee["option_field"]: next(iter(fee["options"]))}


def _pick_service(services: list[Any], big: list[Any], rest: list[Any]) -> Any:
    if big and random.random() < BIG_AGENCY_SHARE:
        return random.choice(big)
    return random.choice(rest or services)


def _pick_state(options: list[tuple[str, bool, bool]]) -> tuple[str, bool, bool]:
    """Mostly open: the first states of the workflow most often, a final state for CLOSED_SHARE."""
    finals = [o for o in options if o[1]]
    opens = [o for o in options if not o[1]]
    if finals and random.random() < CLOSED_SHARE:
        return random.choice(finals)
    weights = [max(1, len(opens) - i) ** 2 for i in range(len(opens))]  # submitted > in review > …
    return random.choices(opens, weights)[0]


def application_rows(catalog: Catalog, count: int, *, today: datetime.date, drafts_only: bool = False,
                     counters: dict[tuple[int, int], int] | None = None) -> Iterator[str]:
    """COPY rows for `count` applications (varying columns first, then the constant ones)."""
    from khedmat.core.calendar import solar_hijri_year

    big = [s for s in catalog.services if s.agency.code == BIG_AGENCY]
    rest = [s for s in catalog.services if s.agency.code != BIG_AGENCY]
    answers = {service.pk: [copy_text({**a, **_fee_choice(service.current_version.definition)}) for a in ANSWERS]
               for service in catalog.services}
    years: dict[datetime.date, int] = {}
    counters = counters if counters is not None else {}
    for _ in range(count):
        service = _pick_service(catalog.services, big, rest)
        agency_id = service.agency_id
        applicant = random.choice(catalog.citizens)
        public_id = uuid.UUID(int=random.getrandbits(128), version=4)
        channel = "online" if random.random() < 0.85 else "center"
        if drafts_only or random.random() < DRAFT_SHARE:
            created = datetime.datetime.combine(today - datetime.timedelta(days=random.randint(0, 30)),
                                                datetime.time(8), tzinfo=datetime.UTC)
            yield (f"{public_id}\t\\N\t{service.pk}\t{service.current_version_id}\t{agency_id}\t{applicant}\t"
                   f"{channel}\tdraft\tf\t{random.choice(answers[service.pk])}\t\\N\t\\N\t{created.isoformat()}\t"
                   f"{created.isoformat()}\t\\N\t\\N\t\\N\t\\N\t\t{CONSTANT_APPLICATION}\n")
            continue
        # Deadlines over a year: about a third already passed, the rest to come.
        due = today + datetime.timedelta(days=random.randint(-120, 245))
        submitted_day = due - datetime.timedelta(days=service.current_version.time_standard_days * 7 // 5)
        submitted = datetime.datetime.combine(submitted_day, datetime.time(random.randint(4, 11),
                                                                           random.randint(0, 59)),
                                              tzinfo=datetime.UTC)
        year = years.get(submitted_day) or years.setdefault(submitted_day, solar_hijri_year(submitted_day))
        number = counters[service.pk, year] = counters.get((service.pk, year), 0) + 1
        reference = f"{service.agency.code}-{service.code}-{year}-{number:06d}"
        state, final, pauses = _pick_state(catalog.states[service.pk])
        officers = catalog.officers[agency_id]
        assigned = random.choice(officers) if random.random() < ASSIGNED_SHARE else r"\N"
        decided = (submitted + datetime.timedelta(days=random.randint(1, 20))).isoformat() if final else r"\N"
        paused = (submitted_day + datetime.timedelta(days=3)).isoformat() if pauses else r"\N"
        stamp = submitted.isoformat()
        yield (f"{public_id}\t{reference}\t{service.pk}\t{service.current_version_id}\t{agency_id}\t{applicant}\t"
               f"{channel}\t{state}\t{'t' if final else 'f'}\t{random.choice(answers[service.pk])}\t{public_id.hex}\t"
               f"{assigned}\t{stamp}\t{stamp}\t{stamp}\t{decided}\t{due.isoformat()}\t{paused}\t"
               f"{_search_text(reference, catalog.phones.get(applicant, ''))}\t{CONSTANT_APPLICATION}\n")


def _search_text(reference: str, phone: str) -> str:
    """What a file is found by (applications/search.py), for a bench citizen with no name."""
    digits = phone.lstrip("+")
    return f"{reference.lower()} {''.join(c for c in reference if c.isdigit())} 0{digits[2:]} {digits}"


CONSTANT_APPLICATION = ""
APPLICATION_CONSTANT_COLUMNS: list[str] = []


def prepare_application_copy() -> None:
    global CONSTANT_APPLICATION, APPLICATION_CONSTANT_COLUMNS
    from khedmat.applications.models import Application

    APPLICATION_CONSTANT_COLUMNS, CONSTANT_APPLICATION = constant_columns(
        Application, Application(), APPLICATION_VARYING)


@contextlib.contextmanager
def indexes_built_after(*tables: str) -> Iterator[None]:
    """Drop the tables' plain indexes (not primary keys or unique constraints) during a bulk
    load and build them again at the end: one sort each instead of a million random inserts."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.tablename = ANY(%s) AND i.schemaname = current_schema()
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """, [list(tables)])
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for _name, definition in indexes:
                cursor.execute(definition)


def seed(catalog: Catalog, rows: int) -> None:
    """Seed `rows` applications, an audit event for each submitted one, sealed into the chain."""
    from django.db import connection

    from khedmat.applications.models import ReferenceCounter
    from khedmat.audit.services import audit_seal_pending

    today = datetime.date.today()
    counters: dict[tuple[int, int], int] = {}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    with indexes_built_after("applications_application"):
        copied = copy_rows("applications_application", APPLICATION_VARYING + APPLICATION_CONSTANT_COLUMNS,
                           application_rows(catalog, rows, today=today, counters=counters))
        print(f"  {copied:,} applications copied in {time.perf_counter() - started:.0f} s")
    print(f"  their indexes built: {time.perf_counter() - started:.0f} s")
    ReferenceCounter.objects.bulk_create(
        [ReferenceCounter(service_id=service_id, year=year, last_number=last)
         for (service_id, year), last in counters.items()],
        update_conflicts=True, unique_fields=["service", "year"], update_fields=["last_number"],
    )

    # Their audit trail: one "submitted" event per file, made in the database from the rows.
    step = time.perf_counter()
    with indexes_built_after("audit_auditevent"), connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO audit_auditevent (occurred_at, actor_id, actor_role, actor_agency_code, action,
                                          target_type, target_id, subject_id, reason, request_id, ip_address, data)
            SELECT submitted_at, applicant_id, 'citizen', '', 'applications.submitted', 'application', reference,
                   applicant_id, '', '', NULL,
                   jsonb_build_object('service', service_id, 'version', 1, 'channel', channel, 'on_behalf', false)
            FROM applications_application WHERE reference IS NOT NULL ORDER BY submitted_at, id
        """)
        events = cursor.rowcount
    print(f"  {events:,} audit events in {time.perf_counter() - step:.0f} s")
    step = time.perf_counter()
    sealed = audit_seal_pending(batch_size=20_000, full=True)
    print(f"  {sealed:,} audit events sealed into the chain in {time.perf_counter() - step:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = on")
    print(f"Seeded in {time.perf_counter() - started:.0f} s.")


def seeded_count() -> int:
    from khedmat.applications.models import Application

    return Application.objects.count()


def reset() -> None:
    """Empty the tables the bench fills (a superuser's TRUNCATE: the audit trigger refuses DELETE)."""
    from django.db import connection

    with connection.cursor() as cursor:
        # The audit trail refuses TRUNCATE too (its trigger); a superuser's replica role skips it.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("TRUNCATE applications_applicationevent, applications_application, applications_note, "
                       "applications_message, applications_document, applications_consent, "
                       "applications_referencecounter, audit_auditseal, audit_auditevent CASCADE")
        cursor.execute("SET session_replication_role = DEFAULT")


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("applications_application", "audit_auditevent", "audit_auditseal", "accounts_user"):
            cursor.execute(f"VACUUM ANALYZE {table}")


# --- (a) submission throughput -------------------------------------------------------------------

def make_drafts(catalog: Catalog, count: int) -> list[int]:
    """Fresh drafts for the submission clients, copied in; their ids."""
    from khedmat.applications.models import Application

    before = Application.objects.order_by("-id").values_list("id", flat=True).first() or 0
    copy_rows("applications_application", APPLICATION_VARYING + APPLICATION_CONSTANT_COLUMNS,
              application_rows(catalog, count, today=datetime.date.today(), drafts_only=True))
    return list(Application.objects.filter(id__gt=before, state="draft").order_by("id").values_list("id", flat=True))


def submit_client(draft_ids: list[int], start_at: float, seconds: float) -> tuple[int, list[float], list[str]]:
    """One client: submit its drafts one after another until the time is up."""
    from django.db import connections

    from khedmat.applications.models import Application
    from khedmat.applications.services import application_submit

    connections.close_all()  # never share the parent's connection
    drafts = list(Application.objects.filter(pk__in=draft_ids).select_related("applicant").order_by("pk"))
    latencies: list[float] = []
    errors: list[str] = []
    time.sleep(max(0.0, start_at - time.time()))
    end = time.perf_counter() + seconds
    for draft in drafts:
        if time.perf_counter() >= end:
            break
        began = time.perf_counter()
        try:
            application_submit(application=draft, idempotency_key=uuid.uuid4().hex, actor=draft.applicant)
        except Exception as error:  # a bench reports failures rather than stopping at the first
            errors.append(repr(error))
            continue
        latencies.append(time.perf_counter() - began)
    connections.close_all()
    return len(latencies), latencies, errors[:5]


def _client_entry(args: tuple[list[int], float, float]) -> tuple[int, list[float], list[str]]:
    return submit_client(*args)


def _submission_round(catalog: Catalog, *, clients: int, seconds: float,
                      method: str) -> tuple[int, list[float], list[str], bool]:
    """One timed round: each client submits fresh drafts of its own for `seconds`."""
    from django.db import connection, connections

    per_client = int(seconds * 250) + 500  # more than a client can submit in the time
    drafts = make_drafts(catalog, per_client * clients)
    slices = [drafts[i::clients] for i in range(clients)]
    connections.close_all()
    start_at = time.time() + 2.0  # every client connected and loaded before the clock starts
    work = [(chunk, start_at, seconds) for chunk in slices]
    if method == "processes":
        with multiprocessing.get_context("fork").Pool(clients) as pool:
            results = pool.map(_client_entry, work)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(clients) as executor:
            results = list(executor.map(_client_entry, work))
    with connection.cursor() as cursor:  # the drafts nobody got to: gone, so a rerun finds the seed as it was
        cursor.execute("DELETE FROM applications_application WHERE id = ANY(%s) AND state = 'draft'", [drafts])
    submitted = sum(count for count, _l, _e in results)
    latencies = [latency for _c, client, _e in results for latency in client]
    errors = [error for _c, _l, client in results for error in client]
    exhausted = any(count >= len(chunk) for (count, _l, _e), chunk in zip(results, slices, strict=True))
    return submitted, latencies, errors, exhausted


def submission_throughput(catalog: Catalog, *, clients: int, seconds: float, rounds: int, method: str) -> None:
    """Several rounds, because one round can fall on a burst of other work on a shared machine."""
    rates, latencies, errors, exhausted = [], [], [], False
    for _ in range(rounds):
        submitted, round_latencies, round_errors, round_exhausted = _submission_round(
            catalog, clients=clients, seconds=seconds, method=method)
        rates.append(submitted / seconds)
        latencies += round_latencies
        errors += round_errors
        exhausted = exhausted or round_exhausted
    print(f"(a) Submissions: {statistics.median(rates):,.0f} per second (median of {rounds} rounds of {seconds:.0f} s: "
          f"{', '.join(f'{rate:,.0f}' for rate in rates)}) — {clients} concurrent clients calling "
          f"application_submit ({method}, each its own connection; reference, history event, audit event and "
          "sealing included)")
    if latencies:
        print(f"    latency of one submission: p50 {_ms(latencies, 50)} ms, p95 {_ms(latencies, 95)} ms, "
              f"p99 {_ms(latencies, 99)} ms")
    if errors:
        print(f"    {len(errors)} errors, e.g. {errors[0]}")
    if exhausted:
        print("    note: a client ran out of drafts before the time was up; the figure is a lower bound")


# --- (b) inbox latency --------------------------------------------------------------------------

def _ms(values: list[float], percentile: int) -> str:
    if not values:
        return "—"
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(percentile / 100 * len(ordered)) - 1))
    return f"{ordered[index] * 1000:.1f}"


def inbox_latency(catalog: Catalog, *, samples: int, depth: int) -> list[tuple[str, Any, Any, str]]:
    """Time inbox pages; returns (label, officer, filters, deep cursor) for the EXPLAIN step."""
    from khedmat.accounts.models import User
    from khedmat.applications.models import Application
    from khedmat.applications.search import search_terms
    from khedmat.applications.selectors.inbox import InboxFilters, inbox_page
    from khedmat.catalog.models import Agency
    from khedmat.core.formatting import localize_digits

    def western_to_eastern(text: str) -> str:
        return localize_digits(text, "fa")

    agency = Agency.objects.get(code=BIG_AGENCY)
    officer = User.objects.get(pk=catalog.officers[agency.pk][0])
    some = Application.objects.filter(agency=agency, is_final=False).exclude(state="draft").select_related(
        "applicant").order_by("due_date", "id")[len(catalog.citizens) // 3]
    phone = some.applicant.phone_number or ""
    cases = [("none", InboxFilters()), ("assigned to me", InboxFilters(assigned_to_me=True)),
             ("overdue", InboxFilters(overdue=True)), ("state: needs info", InboxFilters(state="needs_information")),
             # The search box: a mobile number as typed (Eastern digits), a reference, part of one.
             ("search: mobile", InboxFilters(search=search_terms("۰" + western_to_eastern(phone[3:])))),
             ("search: reference", InboxFilters(search=search_terms(some.reference))),
             ("search: number", InboxFilters(search=search_terms((some.reference or "")[-11:])))]
    print(f"(b) Inbox of {agency.code} ({agency.applications.exclude(state='draft').count():,} files), "
          f"{samples} samples each, p50 / p95 in ms (the real inbox_page, ORM included):")
    explained = []
    for label, filters in cases:
        first = []
        for _ in range(samples):
            began = time.perf_counter()
            inbox_page(officer=officer, filters=filters)
            first.append(time.perf_counter() - began)
        # Walk to the depth with keyset cursors, as an officer paging on would.
        cursor, reached = "", 0
        walked = time.perf_counter()
        while reached < depth:
            page = inbox_page(officer=officer, filters=filters, after=cursor)
            if page.next_cursor is None:
                break
            cursor, reached = page.next_cursor, reached + 1
        walk_seconds = time.perf_counter() - walked
        # Then time the pages at that depth (the next `samples` pages, or the same one again
        # when the list ends sooner).
        deep, deep_cursor = [], cursor
        for _ in range(samples):
            began = time.perf_counter()
            page = inbox_page(officer=officer, filters=filters, after=cursor)
            deep.append(time.perf_counter() - began)
            if page.next_cursor is not None:
                cursor = page.next_cursor
        verdict = "ok" if max(float(_ms(first, 95)), float(_ms(deep, 95))) < INBOX_TARGET_MS else "OVER TARGET"
        print(f"    {label:17} first page {_ms(first, 50):>6} / {_ms(first, 95):>6}   "
              f"page {reached + 1:>5} and on {_ms(deep, 50):>6} / {_ms(deep, 95):>6}   "
              f"(walked {reached:,} pages in {walk_seconds:.1f} s)  {verdict}")
        explained.append((label, officer, filters, deep_cursor))
    return explained


# --- (c) the plan -------------------------------------------------------------------------------

def explain(cases: list[tuple[str, Any, Any, str]]) -> None:
    from khedmat.applications.selectors.inbox import inbox_page_queryset

    print("(c) EXPLAIN (ANALYZE, BUFFERS) of the inbox query:")
    for label, officer, filters, deep_cursor in cases:
        for where, after in (("first page", ""), ("deep page", deep_cursor)):
            plan = inbox_page_queryset(officer=officer, filters=filters, after=after).explain(
                analyze=True, buffers=True)
            uses_index = "application_inbox" in plan or "application_search_trgm" in plan
            print(f"  -- {label}, {where}: {'walks an inbox index' if uses_index else 'NO INBOX INDEX USED'}")
            for line in plan.splitlines():
                print(f"     {line}")


def cpu_busy(seconds: float = 1.0) -> float | None:
    """How busy the machine's CPUs are, in percent, over `seconds` (Linux; None elsewhere)."""
    def sample() -> tuple[int, int]:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle and iowait
        return idle, sum(fields)

    try:
        idle_before, total_before = sample()
        time.sleep(seconds)
        idle_after, total_after = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = total_after - total_before
    return 100.0 * (1 - (idle_after - idle_before) / total) if total else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="applications to seed (default 1,000,000)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--clients", type=int, default=8, help="concurrent submitting clients (default 8)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of a submission round (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="submission rounds; the median is printed (default 3)")
    parser.add_argument("--method", choices=["processes", "threads"], default="processes",
                        help="clients as processes (default; no shared GIL) or threads")
    parser.add_argument("--samples", type=int, default=200, help="inbox pages timed per case (default 200)")
    parser.add_argument("--depth", type=int, default=2000, help="how many pages deep to page (default 2,000)")
    parser.add_argument("--reseed", action="store_true", help="empty the tables and seed again")
    parser.add_argument("--skip-submissions", action="store_true")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (or leave it unset for the default).")

    configure(args.database_url)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    busy = cpu_busy()
    print(f"{version}, {os.cpu_count()} CPUs ({'?' if busy is None else f'{busy:.0f} %'} busy with other work "
          f"before the run); database {connection.settings_dict['NAME']}")
    catalog = load_catalog()
    prepare_application_copy()
    have = seeded_count()
    if args.reseed or abs(have - args.rows) > args.rows * 0.05:
        if have:
            print(f"Emptying the {have:,} applications there …")
            reset()
        print(f"Seeding {args.rows:,} applications over {len(catalog.services)} services of "
              f"{len({s.agency_id for s in catalog.services})} agencies …")
        seed(catalog, args.rows)
    else:
        print(f"Reusing the {have:,} applications already seeded (--reseed starts over).")
    analyze()

    cases = inbox_latency(catalog, samples=args.samples, depth=args.depth)
    explain(cases)
    if not args.skip_submissions:
        submission_throughput(catalog, clients=args.clients, seconds=args.seconds, rounds=args.rounds,
                              method=args.method)
    busy = cpu_busy()
    print(f"CPU busy with other work after the run: {'?' if busy is None else f'{busy:.0f} %'}. Figures drift "
          "up to 30 % between runs on this kind of machine: compare runs made together.")


if __name__ == "__main__":
    main()
