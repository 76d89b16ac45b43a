"""No request is a server error: every URL pattern, every form, every role, hostile values.

The URL patterns come from the URLconf itself (a new page is walked the day it is added);
path converters are filled with real values of the demonstration data and with generated
ones (huge numbers, look-alike digits, random UUIDs, slugs of nothing). For each pattern and
each role — anonymous, a citizen, and staff of every role (the admin's patterns: anonymous
and the roles with staff status) — the page is fetched once with real values.

- A role refused (sign-in, 404) sends one more request, hostile values in its query and body:
  a view must refuse before it reads them, or read them safely.
- A role let in gets a broadside — every form field of the page (read from its HTML) and the
  usual parameters given a look-alike digit, a number beyond any database integer and a day
  beyond the calendar, in turn, by GET and by POST (with a NUL) — then hypothesis sends
  generated requests by the methods the view serves: GETs with generated query strings and
  POSTs with generated form data, JSON or bytes: Unicode digits (² ① ٣), huge and negative
  numbers, empty and very long text, control characters (NUL), dates out of every range,
  files where text is expected, repeated keys, hostile headers.

A response of 500 or more, or an exception, fails, naming the request (shrunk by hypothesis).
Each request runs in a savepoint that is rolled back, with the cache (throttles) cleared, so
every request meets the same demonstration data and nothing one does hides another's fault.

Cost: about 3,500 requests, 70 s on SQLite and 90 s on PostgreSQL on two shared cores,
deterministic (hypothesis derandomized), so CI reruns the same requests. Deeper, locally:

    KHEDMAT_WALK_EXAMPLES=40 KHEDMAT_WALK_RANDOM=1 .venv/bin/pytest tests/test_hostile_requests.py

(KHEDMAT_WALK_EXAMPLES: hypothesis's examples per pattern and role let in, 2 by default;
KHEDMAT_WALK_RANDOM: a new seed each run; KHEDMAT_WALK_ONLY: walk only the patterns whose
route contains this text.)
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, cast
from urllib.parse import quote, urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter, UUIDConverter
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from khedmat.accounts.models import User
from khedmat.applications.models import Application
from khedmat.applications.services import application_transition
from khedmat.applications.services.assisted import assisted_answers_save, assisted_application_start
from khedmat.applications.uploads import megabytes, upload_check
from khedmat.catalog.models import Service
from khedmat.centers import selectors as center_selectors
from khedmat.centers import services as center_services
from khedmat.centers.models import Center
from khedmat.centers.services import appointment_book, ticket_issue

EXAMPLES = int(os.environ.get("KHEDMAT_WALK_EXAMPLES", "2"))
RANDOM = os.environ.get("KHEDMAT_WALK_RANDOM", "") not in ("", "0", "false")
ONLY = os.environ.get("KHEDMAT_WALK_ONLY", "")
# Answers by kind of page and status, and the seconds they took: printed at the end (pytest -s).
STATS: dict[str, float] = {}

# The demonstration accounts (demo/users.yaml), one per role.
ROLES = {
    "anonymous": None,
    "citizen": "+93700000001",
    "operator": "operator.kbl",
    "officer": "officer.moi",
    "approver": "approver.moi",
    "agency_admin": "admin.moi",
    "center_manager": "manager.kbl",
    "platform_admin": "platform.admin",
}

# --- hostile values ---------------------------------------------------------------------------

NASTY = [
    "", " ", "0", "-1", "1", "²", "①", "٣", "۳", "٣٤٥", "1²", "Ⅻ", "𝟗", "9" * 25, "9" * 5000, "-" + "9" * 20,
    "1e309", "NaN", "inf", "-0", "0x1F", "1_000", "１２", "\x00", "a\x00b", "\x7f\x1b[2J", "\r\n", "\t",
    "0001-01-01", "9999-12-31", "1403-01-01", "1403-13-45", "2026-02-30", "0000-00-00", "1-1-1",
    "true", "false", "null", "None", "[]", "{}", "[1, 2]", '{"a": 1}', "../../../etc/passwd", "%00", "%",
    "<script>alert(1)</script>", "' OR 1=1 --", "\u202e", "\ufeff", "\ud7ff", "💥", "ی", "x" * 20_000,
    "+93700000001", "0700000001", "+93" + "9" * 30, "A-001", "P-042", "1400-0101-12345", "http://evil.example/",
    "//evil.example", "javascript:alert(1)",
]
FIELD_NAMES = [
    "service", "day", "center", "after", "q", "page", "p", "o", "e", "next", "m", "sig", "key", "id", "code", "phone",
    "token", "action", "counter", "ticket", "priority", "slot", "score", "reason", "comment", "language", "state",
    "assigned", "format", "f-date_of_birth-day", "f-date_of_birth-month", "f-date_of_birth-year", "f-children-count",
    "username", "password", "text", "from", "type", "sessionId", "phoneNumber", "serviceCode",
]


_NASTY_TEXT: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=12),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.text(alphabet="0123456789²³¹①②③٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹-/. ", max_size=12),
)


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


_UPLOADS = st.builds(_upload, st.sampled_from(["a.pdf", "x", "../../evil.yaml", "\x00.pdf"]), st.binary(max_size=64))
_SEVERAL = st.lists(_NASTY_TEXT, min_size=2, max_size=3)


def _value(real: list[str]) -> st.SearchStrategy[Any]:
    """A value for a form field: what the page had in it, a real identifier, something hostile,
    or the wrong type altogether (a file, several values)."""
    options: list[st.SearchStrategy[Any]] = [_NASTY_TEXT, _NASTY_TEXT, _UPLOADS, _SEVERAL]
    if real:
        options.insert(0, st.sampled_from(real))
    return st.one_of(options)


def _json_containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(children, min_size=1, max_size=3) | st.dictionaries(st.text(max_size=6), children, min_size=1,
                                                                       max_size=3)


def _header_safe(text: str) -> bool:
    return not any(character in text for character in "\x00\r\n")


JSON = st.recursive(st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.text(max_size=8)
                    | st.floats(allow_nan=False), _json_containers, max_leaves=8)
HEADERS = st.dictionaries(st.sampled_from([
    "HTTP_ACCEPT_LANGUAGE", "HTTP_X_FORWARDED_FOR", "HTTP_X_KHEDMAT_TIMESTAMP", "HTTP_X_KHEDMAT_SIGNATURE",
    "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_REFERER", "HTTP_USER_AGENT",
]), _NASTY_TEXT.filter(_header_safe), max_size=3)


# --- the URL patterns -------------------------------------------------------------------------

@dataclass
class Pattern:
    """One URL pattern and the chain of patterns above it."""

    parts: list[Any]
    name: str
    route: str = ""

    def __post_init__(self) -> None:
        self.route = "".join(str(part) if not isinstance(part, LocalePrefixPattern) else "<lang>/"
                             for part in self.parts)


def _walk(patterns: list[Any], above: list[Any]) -> Iterator[Pattern]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, [*above, entry.pattern])
        elif isinstance(entry, URLPattern):
            yield Pattern([*above, entry.pattern], entry.name or entry.lookup_str)


PATTERNS = [pattern for pattern in _walk(get_resolver().url_patterns, []) if ONLY in pattern.route]


@dataclass
class World:
    """Real values of the demonstration data, to fill URLs and forms with: `pools` by the kind
    of thing a route names (see `_pool`)."""

    pools: dict[str, list[str]]
    clients: dict[str, Client]
    sessions: dict[str, str]
    admin_roles: list[str]  # anonymous and the roles with staff status: the others meet the admin's sign-in

    def every(self, kind: str) -> list[str]:
        return [value for name, values in self.pools.items() if name.startswith(kind) for value in values]


# What a route's converter names, by the words around it (first match wins).
_ROUTE_POOLS = [
    ("payments/callback/", "slug:operator"), ("sms/", "slug:gateway"), ("centers/", "slug:center"),
    ("services/categories/", "slug:category"), ("services/agencies/", "slug:agency"), ("", "slug:service"),
]
_UUID_POOLS = [
    ("<uuid:document_id>", "uuid:attachment"), ("counter/tickets/", "uuid:ticket"), ("tickets/", "uuid:ticket"),
    ("appointments/", "uuid:appointment"), ("payments/", "uuid:order"), ("documents/", "uuid:document"),
    ("center/assist/", "uuid:assisted"), ("", "uuid:application"),
]


def _pool(pattern: Pattern, key: str, converter: Any, world: World) -> list[str]:
    """Real values for the converter `key` of `pattern`: the center slugs for /centers/<slug>/,
    the admin's own model's keys for /admin/<app>/<model>/<object_id>/, and so on."""
    route = pattern.route
    if isinstance(converter, UUIDConverter):
        around = route if key == "public_id" else f"<uuid:{key}>"
        return next(world.pools[name] for marker, name in _UUID_POOLS if marker in around)
    if isinstance(converter, SlugConverter):
        return next(world.pools[name] for marker, name in _ROUTE_POOLS if marker in route)
    admin = re.match(r"admin/(\w+)/(\w+)/", route)
    if admin:
        return world.pools.get(f"pk:{admin.group(1)}.{admin.group(2)}", ["1"])
    return world.pools.get("int:schedule", ["1"])


def _segment(pattern: Pattern, key: str, converter: Any, world: World) -> st.SearchStrategy[str]:
    """A value for one path converter: a real one, or one of the converter's shape that names nothing."""
    if isinstance(converter, UUIDConverter):
        generated: st.SearchStrategy[str] = st.uuids().map(str)
    elif isinstance(converter, IntConverter):
        generated = st.one_of(st.integers(min_value=0, max_value=10**30).map(str), st.sampled_from(["0", "9" * 40]))
    elif isinstance(converter, SlugConverter):
        generated = st.from_regex(r"[-a-zA-Z0-9_]{1,60}", fullmatch=True)
    elif isinstance(converter, PathConverter | StringConverter):
        generated = _NASTY_TEXT.filter(bool)
    else:
        generated = st.from_regex(converter.regex, fullmatch=True)
    return st.one_of(st.sampled_from(_pool(pattern, key, converter, world)), generated)


def _path(pattern: Pattern, world: World) -> st.SearchStrategy[str]:
    """Paths the pattern matches; the one path of a pattern with nothing to fill."""
    fixed = all(isinstance(part, RoutePattern) and not part.converters for part in pattern.parts)
    return st.just("/" + "".join(str(part) for part in pattern.parts)) if fixed else _filled_path(pattern, world)


@st.composite
def _filled_path(draw: st.DrawFn, pattern: Pattern, world: World) -> str:
    path = "/"
    for part in pattern.parts:
        if isinstance(part, LocalePrefixPattern):
            path += draw(st.sampled_from(["en", "fa", "ps"])) + "/"
        elif isinstance(part, RoutePattern):
            for piece in re.split(r"(<[^>]+>)", str(part)):
                if piece.startswith("<"):
                    key = piece[1:-1].split(":")[-1]
                    path += quote(draw(_segment(pattern, key, part.converters[key], world)), safe="")
                else:
                    path += piece
        elif isinstance(part, RegexPattern):
            path += quote(draw(st.from_regex(part.regex, fullmatch=True)).lstrip("^"), safe="/")
        else:  # pragma: no cover - a kind of pattern Django adds one day
            pytest.fail(f"{pattern.route}: no way to fill a {type(part).__name__}; teach the walker")
    return path


def _real_path(pattern: Pattern, world: World) -> str | None:
    """The pattern filled with the first real value of each converter (None for a regex pattern)."""
    path = "/"
    for part in pattern.parts:
        if isinstance(part, LocalePrefixPattern):
            path += "en/"
        elif isinstance(part, RoutePattern):
            for piece in re.split(r"(<[^>]+>)", str(part)):
                if piece.startswith("<"):
                    key = piece[1:-1].split(":")[-1]
                    pool = _pool(pattern, key, part.converters[key], world)
                    if not pool:
                        return None
                    path += quote(pool[0], safe="")
                else:
                    path += piece
        else:
            return None
    return path


# --- the forms on a page -------------------------------------------------------------------------

class _FormFields(HTMLParser):
    """Every (name, value) a form on the page would send: inputs, buttons, selects' options, text areas."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag in ("input", "button", "select", "textarea") and name:
            self.fields.append((name, attributes.get("value") or ""))
        elif tag == "option" and self.fields and attributes.get("value"):
            self.fields.append((self.fields[-1][0], attributes["value"] or ""))


def _fields_of(html: str) -> list[tuple[str, str]]:
    parser = _FormFields()
    parser.feed(html)
    return parser.fields


# --- one request --------------------------------------------------------------------------------

@dataclass
class Request:
    method: str
    path: str
    query: list[tuple[str, Any]]
    body: str  # form, json, bytes
    data: Any
    headers: dict[str, Any]

    def describe(self) -> str:
        shown = {key: (f"<file {value.name!r}>" if isinstance(value, SimpleUploadedFile) else value)
                 for key, value in self.query}
        data = self.data
        if isinstance(data, list):
            data = [(key, f"<file {value.name!r}>" if isinstance(value, SimpleUploadedFile) else value)
                    for key, value in data]
        return (f"{self.method} {self.path} query={_short(shown)} body={self.body}:{_short(data)} "
                f"headers={_short(self.headers)}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 400 else text[:400] + "…"


def _request_strategy(pattern: Pattern, world: World, fields: list[tuple[str, str]],
                      methods: list[str]) -> st.SearchStrategy[Request]:
    names = sorted({name for name, _value in fields} | set(FIELD_NAMES))
    real_values = sorted({value for _name, value in fields if value} | set(world.every("slug:")[:10])
                         | set(world.every("uuid:")[:10]) | {"1", "2", "3"})

    @st.composite
    def build(draw: st.DrawFn) -> Request:
        method = draw(st.sampled_from(methods))
        path = draw(_path(pattern, world))
        pairs = st.lists(st.tuples(st.sampled_from(names), _value(real_values)), max_size=6)
        query = [(key, value) for key, value in draw(pairs) if not isinstance(value, SimpleUploadedFile | list)]
        body, data = "form", cast(Any, None)
        if method == "POST":
            body = draw(st.sampled_from(["form", "form", "form", "json", "bytes"]))
            if body == "form":
                # Mostly the page's own fields, each kept or replaced by something hostile.
                kept = [(name, draw(st.one_of(st.just(value), _value(real_values)))) for name, value in fields
                        if draw(st.booleans())]
                data = kept + draw(pairs)
            elif body == "json":
                data = json.dumps(draw(JSON))
            else:
                data = draw(st.binary(max_size=200))
        return Request(method, path, query, body, data, draw(HEADERS))

    return build()


def _send(client: Client, request: Request) -> Any:
    path = request.path
    if request.query:
        path += "?" + urlencode([(key, value) for key, value in request.query], doseq=True)
    if request.method == "GET":
        return client.get(path, **request.headers)
    if request.body == "form":
        grouped: dict[str, list[Any]] = {}
        for key, value in request.data:
            grouped.setdefault(key, []).extend(value if isinstance(value, list) else [value])
        return client.post(path, grouped, **request.headers)
    content_type = "application/json" if request.body == "json" else "application/octet-stream"
    return client.post(path, request.data, content_type=content_type, **request.headers)


# --- the world ---------------------------------------------------------------------------------------

def _world() -> World:
    """The demonstration data, and what it lacks for every page to have something to show: a
    ticket waiting and one served (to rate), an appointment, an assisted draft, an approved
    file with its signed document; and a client per role."""
    call_command("seed_demo", quiet=True)
    kabul = Center.objects.get(code="KBL")
    passport = Service.objects.get(slug="passport")
    operator = User.objects.get(username=ROLES["operator"])
    citizen = User.objects.get(username=ROLES["citizen"])
    tickets = [ticket_issue(center=kabul, service=passport) for _ in range(2)]
    counter = next(counter for counter in kabul.counters.order_by("number")
                   if center_services.next_ticket_for(counter) is not None)
    center_services.counter_open(counter=counter, operator=operator)
    served = center_services.ticket_call_next(counter=counter)
    assert served is not None
    center_services.ticket_finish(counter=counter, ticket=center_services.ticket_start(counter=counter, ticket=served))
    assisted = assisted_application_start(operator=operator, phone_number=citizen.phone_number or "",
                                          service=passport)
    scan = upload_check(SimpleUploadedFile("tazkira.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
                        max_bytes=megabytes(1))
    assisted = assisted_answers_save(operator=operator, application=assisted, data={"full_name": "Zarghuna"},
                                     uploads=[("tazkira_copy", scan)])
    recommended = Application.objects.filter(service=passport, state="awaiting_approval").first()
    if recommended is not None:  # approved: the passport's document is issued and signed
        application_transition(application=recommended, actor=User.objects.get(username=ROLES["approver"]),
                               transition="approve", expected_state="awaiting_approval")
    schedule = apps.get_model("centers.AppointmentSchedule").objects.filter(center=kabul).first()
    if schedule is not None:
        times = [time for day in center_selectors.appointment_days(schedule=schedule)[:3]
                 for time in center_selectors.appointment_slot_times(schedule=schedule, day=day)]
        if times:
            appointment_book(center=kabul, service=schedule.service, starts_at=times[0], phone="+93700000009",
                             idempotency_key="walker")

    def uuids(label: str, **where: Any) -> list[str]:
        model = apps.get_model(label)
        return [str(value) for value in model._default_manager.filter(**where).values_list("public_id", flat=True)[:4]]

    pools: dict[str, list[str]] = {
        "slug:operator": ["azizi-bank"], "slug:gateway": ["console"],
        "slug:center": list(Center.objects.values_list("slug", flat=True)[:3]),
        "slug:category": list(apps.get_model("catalog.Category").objects.values_list("slug", flat=True)[:3]),
        "slug:agency": ["moi", *apps.get_model("catalog.Agency").objects.values_list("slug", flat=True)[:2]],
        "slug:service": ["passport", *Service.objects.values_list("slug", flat=True)[:3]],
        "uuid:application": uuids("applications.Application", applicant=citizen, filed_by__isnull=True)
        + uuids("applications.Application"),
        "uuid:assisted": [str(assisted.public_id)],
        "uuid:attachment": uuids("applications.Document"),
        "uuid:ticket": list(dict.fromkeys(str(ticket.public_id) for ticket in (served, *tickets))),
        "uuid:appointment": uuids("centers.Appointment"),
        "uuid:order": uuids("payments.PaymentOrder"),
        "uuid:document": uuids("documents.IssuedDocument"),
        "int:schedule": [str(pk) for pk in apps.get_model("centers.AppointmentSchedule").objects.values_list(
            "pk", flat=True)[:3]],
    }
    for model in apps.get_models():
        pools[f"pk:{model._meta.app_label}.{model._meta.model_name}"] = [
            str(pk) for pk in model._default_manager.values_list("pk", flat=True)[:3]] or ["1"]
    for name, values in pools.items():
        if not values:  # nothing of the kind in the demonstration: a value that names nothing
            pools[name] = ["00000000-0000-4000-8000-000000000000" if name.startswith("uuid:") else "1"]
    clients: dict[str, Client] = {}
    sessions: dict[str, str] = {}
    admin_roles = ["anonymous"]
    for role, username in ROLES.items():
        client = Client()
        if username is not None:
            user = User.objects.get(username=username)
            if user.is_staff:
                admin_roles.append(role)
            client.force_login(user)
            device = TOTPDevice.objects.filter(user=user).first()
            if device is not None:
                session = client.session
                session[DEVICE_ID_SESSION_KEY] = device.persistent_id
                session.save()
            sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
        clients[role] = client
    return World(pools=pools, clients=clients, sessions=sessions, admin_roles=admin_roles)


def _as(world: World, role: str) -> Client:
    """The role's client with its own session again (a POST to sign out must not sign it out for
    the next request: the session row comes back with the rollback, the cookie is set here)."""
    client = world.clients[role]
    client.cookies.clear()
    if role in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client


@dataclass
class Failure:
    request: str
    error: str


class ServerError(AssertionError):
    pass


def _attempt(world: World, role: str, request: Request) -> Any:
    cache.clear()
    with transaction.atomic():
        try:
            return _send(_as(world, role), request)
        finally:
            transaction.set_rollback(True)


def _fixed_hostile(path: str) -> list[Request]:
    """What a role that is refused the page still sends, once: hostile values in the query and
    the body at once (a view must refuse before it reads them, or read them safely)."""
    nasty = [(name, "²") for name in FIELD_NAMES[:12]] + [("day", "0001-01-01"), ("after", "9" * 30)]
    return [Request("POST", path, nasty, "form", [(key, value + "\x00") for key, value in nasty], {})]


# Every field of a page at once: a look-alike digit ("²" passes isdigit()), a number beyond any
# database integer, a day beyond the calendar's range; by POST each carries a NUL too
# (PostgreSQL refuses NUL in any text; an address with one is refused before any view).
BROADSIDE = ("²", "9" * 30, "0001-01-01")


def _broadside(path: str, fields: list[tuple[str, str]]) -> list[Request]:
    """Deterministic requests that give every field of the page (and the usual parameters) a
    hostile value at once, by GET and by POST: what a few generated examples may miss. Over
    the three, each field meets each value by GET or by POST."""
    names = sorted({name for name, _value in fields} | set(FIELD_NAMES))

    def turn(offset: int, nul: str = "") -> list[tuple[str, Any]]:
        return [(name, BROADSIDE[(index + offset) % len(BROADSIDE)] + nul) for index, name in enumerate(names)]

    requests = [Request("GET", path, turn(0), "form", None, {}), Request("GET", path, turn(1), "form", None, {}),
                Request("POST", path, [], "form", turn(2, nul="\x00"), {})]
    # A list with actions (the admin's changelists): a real action on rows that cannot exist.
    actions = [value for name, value in fields if name == "action" and value]
    if actions:
        requests.append(Request("POST", path, [], "form", [("action", actions[0]), ("index", "0"), ("post", "yes")]
                                + [("_selected_action", value) for value in ("", *BROADSIDE)], {}))
    return requests


def _walk_pattern(pattern: Pattern, world: World, failures: dict[tuple[str, str], Failure]) -> int:
    """Walk the pattern as each role (the admin's: anonymous and the roles with staff status);
    the number of requests sent."""
    sent = 0
    for role in world.admin_roles if pattern.route.startswith("admin/") else ROLES:
        count, failure = _walk_as(pattern, world, role)
        sent += count
        if failure is not None:
            failures[(pattern.route, role)] = failure
    return sent


def _walk_as(pattern: Pattern, world: World, role: str) -> tuple[int, Failure | None]:
    """Probe the page with real values; as a role let in, send the broadside and hypothesis's
    requests (by the methods the view serves), as a role refused, one hostile request. The
    number of requests sent, and the first failure."""
    real = _real_path(pattern, world)
    if real is None:  # a regex pattern: generated paths only
        return EXAMPLES, _generated(pattern, world, role, [], ["GET", "POST"])
    methods = {"GET", "POST"}
    probe = _answer_to(world, role, Request("GET", real, [], "form", None, {}))
    if isinstance(probe, Failure):
        return 1, probe
    status, html = probe
    if status not in (200, 405):
        # Refused (sign-in, 404…). The admin refuses before it reads anything: its probe is enough.
        hostile = _fixed_hostile(real) if not pattern.route.startswith("admin/") else []
        for request in hostile:
            outcome = _answer_to(world, role, request)
            if isinstance(outcome, Failure):
                return 2, outcome
        return 1 + len(hostile), None
    fields = _fields_of(html) if html else []
    broadside = _broadside(real, fields)
    if status == 405:
        methods.discard("GET")
    elif not html:  # a PDF, a CSV, JSON: no form to fill, and each costs its rendering
        broadside = broadside[:1]
    sent = 1
    for request in broadside:
        if request.method not in methods:
            continue
        sent += 1
        outcome = _answer_to(world, role, request)
        if isinstance(outcome, Failure):
            return sent, outcome
        if outcome[0] == 405:
            methods.discard(request.method)
    if not methods:
        return sent, None
    return sent + EXAMPLES, _generated(pattern, world, role, fields, sorted(methods))


def _generated(pattern: Pattern, world: World, role: str, fields: list[tuple[str, str]],
               methods: list[str]) -> Failure | None:
    """Hypothesis's requests to `pattern` as `role`; the (shrunk) failure, if one failed."""
    last: list[Failure] = []

    @hypothesis_settings(max_examples=EXAMPLES, derandomize=not RANDOM, database=None, deadline=None,
                         phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    @given(request=_request_strategy(pattern, world, fields, methods))
    def check(request: Request) -> None:
        outcome = _answer_to(world, role, request)
        if isinstance(outcome, Failure):
            last[:] = [outcome]
            raise ServerError(outcome.error)

    try:
        check()
    except ServerError:
        return last[0]
    except Exception as error:  # hypothesis itself gave up (flaky, unsatisfiable): report it too
        return Failure(last[0].request if last else "?", _explain(error))
    return None


def _answer_to(world: World, role: str, request: Request) -> Failure | tuple[int, str]:
    """The status of the answer and its HTML (empty for anything else), or the failure."""
    began = time.monotonic()
    try:
        response = _attempt(world, role, request)
    except Exception as error:
        return Failure(request.describe(), _explain(error))
    kind = "admin" if request.path.startswith("/admin/") else "site"
    STATS[f"{kind} {response.status_code}"] = STATS.get(f"{kind} {response.status_code}", 0) + 1
    STATS[f"{kind} seconds"] = STATS.get(f"{kind} seconds", 0) + time.monotonic() - began
    if response.status_code >= 500:
        return Failure(request.describe(), f"status {response.status_code}")
    html = response.content.decode(errors="replace") if "html" in response.get("Content-Type", "") else ""
    return int(response.status_code), html


def _explain(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if "/khedmat/" in frame.filename or "/config/" in frame.filename]
    where = ours[-1] if ours else (frames[-1] if frames else None)
    place = f" at {where.filename.split('/khedmat/')[-1]}:{where.lineno}" if where else ""
    return f"{type(error).__name__}: {str(error)[:300]}{place}"


# --- the test -------------------------------------------------------------------------------------------

def test_the_walker_knows_every_kind_of_pattern() -> None:
    assert PATTERNS or ONLY, "no URL pattern found"
    kinds = {type(part).__name__ for pattern in PATTERNS for part in pattern.parts}
    assert kinds <= {"LocalePrefixPattern", "RoutePattern", "RegexPattern"}, kinds


# The walk is cut in halves (every other pattern) that run side by side on the suite's two
# processes: whole, it was the last test to finish, alone, for three minutes.
SHARDS = 2


@pytest.mark.django_db
@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_request_to_any_url_is_a_server_error(shard: int) -> None:
    began = time.monotonic()
    world = _world()
    patterns = PATTERNS[shard::SHARDS]
    failures: dict[tuple[str, str], Failure] = {}
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.CRITICAL)  # thousands of 404s and 400s, on purpose
    try:
        sent = sum(_walk_pattern(pattern, world, failures) for pattern in patterns)
    finally:
        request_log.setLevel(level)
    seconds = time.monotonic() - began
    report = "\n".join(f"- {route} as {role}: {failure.error}\n    {failure.request}"
                       for (route, role), failure in sorted(failures.items()))
    assert not failures, (f"{len(failures)} (pattern, role) pairs answered with a server error "
                          f"({sent} requests, {seconds:.0f} s):\n{report}")
    answers = ", ".join(f"{key}: {value:.0f}" for key, value in sorted(STATS.items()))
    print(f"{len(patterns)} of {len(PATTERNS)} patterns, {len(ROLES)} roles: {sent} requests in {seconds:.0f} s, "
          f"no server error ({answers})")
