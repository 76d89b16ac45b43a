"""The permission matrix of the staff's pages at a center: every URL of staff_urls × every role.
(The rating tablet is no staff page any more: a paired device runs it, see
khedmat/feedback/tests/test_counter_tablet.py.)

The URLs come from `khedmat.centers.staff_urls.urlpatterns` itself: a URL missing from MATRIX
fails until someone writes down who may reach it. Each request runs in a savepoint that is
rolled back, so every role meets the same hall. The outcome must match exactly:

- allowed: 200, or a redirect within the site that is not a sign-in page;
- refused: anonymous visitors go to the staff sign-in; a manager who has not given their
  second factor goes to that step (or gets a 404); a citizen gets a 404; staff of a role the
  page is not for get the "not allowed" page (403, issue 10); staff refused another center's
  counter, ticket or center get a 404, never a hint that it exists. A method the URL does
  not serve: 405.
A refused request changes nothing.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse
from django.utils import translation

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import citizen_get_or_create, staff_user_create
from khedmat.catalog import services as catalog_services
from khedmat.catalog.tests.factories import verified_client
from khedmat.centers import staff_urls
from khedmat.centers.devices import device_add
from khedmat.centers.models import Counter, Device, Ticket, TicketVisit
from khedmat.centers.services import counter_open, counter_upsert, ticket_call_next, ticket_issue
from khedmat.feedback.models import Rating

from .conftest import PASSWORD, Hall, make_center

ANONYMOUS = "anonymous"
CITIZEN = "citizen"
OFFICER = "officer"
OPERATOR = "operator at a counter of the hall"
FREE_OPERATOR = "operator of the hall, no counter"
FOREIGN_OPERATOR = "operator of another center, at its counter"
MANAGER = "manager of the hall"
FOREIGN_MANAGER = "manager of another center"
MANAGER_WITHOUT_OTP = "manager of the hall without second factor"
PLATFORM_ADMIN = "platform admin"

ROLES = (ANONYMOUS, CITIZEN, OFFICER, OPERATOR, FREE_OPERATOR, FOREIGN_OPERATOR, MANAGER, FOREIGN_MANAGER,
         MANAGER_WITHOUT_OTP, PLATFORM_ADMIN)
# Anyone who works at a counter reaches their own center's screen.
COUNTER_STAFF = frozenset({OPERATOR, FREE_OPERATOR, FOREIGN_OPERATOR, MANAGER, FOREIGN_MANAGER})
# Only the hall's own people reach the hall's counters and tickets.
HALL_STAFF = frozenset({OPERATOR, FREE_OPERATOR, MANAGER})
HALL_DASHBOARD = frozenset({MANAGER, PLATFORM_ADMIN})
# A center's screens: each manager pairs their own center's; only the hall's manager its devices.
CENTER_MANAGERS = frozenset({MANAGER, FOREIGN_MANAGER})
HALL_MANAGER = frozenset({MANAGER})


@dataclass(frozen=True)
class Case:
    """Who may reach one URL, with what each request carries (`post`: the body, None when
    POST is not served; `query`: added to the address)."""

    allowed: frozenset[str]
    get: bool = True
    post: str | None = None
    query: str = ""


# Bodies, filled in by World.body: the hall's counter 5, a ticket called at counter 3, an action.
OPEN_HALL_COUNTER, PAUSE, START_HALL_TICKET, NOTHING = "open", "pause", "start", "nothing"
ADD_KIOSK = "add kiosk"

MATRIX: dict[str, Case] = {
    "counter": Case(COUNTER_STAFF),
    "counter_open": Case(HALL_STAFF, get=False, post=OPEN_HALL_COUNTER),
    "counter_state": Case(COUNTER_STAFF, get=False, post=PAUSE),
    "counter_call": Case(COUNTER_STAFF, get=False, post=NOTHING),
    "counter_ticket": Case(HALL_STAFF, get=False, post=START_HALL_TICKET),
    # The operator whose counter has the ticket sees the page; the hall's other staff are sent
    # back to their screen; another centre's staff get a 404.
    "counter_transfer": Case(HALL_STAFF),
    "dashboard": Case(HALL_DASHBOARD, query="?center=kabul"),
    "dashboard_csv": Case(HALL_DASHBOARD, query="?center=kabul"),
    "devices": Case(CENTER_MANAGERS),
    "device_add": Case(CENTER_MANAGERS, get=False, post=ADD_KIOSK),
    "device_code": Case(HALL_MANAGER, get=False, post=NOTHING),
    "device_revoke": Case(HALL_MANAGER, get=False, post=NOTHING),
}


def _patterns(patterns: list[Any]) -> Iterator[URLPattern]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns)
        else:
            yield entry


# Each URL with its namespace.
NAMESPACED_PATTERNS = [("centers", pattern) for pattern in _patterns(staff_urls.urlpatterns)]
URL_PATTERNS = [pattern for _namespace, pattern in NAMESPACED_PATTERNS]
URL_NAMES = [pattern.name or f"<unnamed: {pattern.pattern}>" for pattern in URL_PATTERNS]


def test_every_staff_url_is_in_the_matrix() -> None:
    missing = [name for name in URL_NAMES if name not in MATRIX]
    assert not missing, f"Staff URLs missing from MATRIX in {__name__}; add each with who may reach it: {missing}"
    assert not set(MATRIX) - set(URL_NAMES), "MATRIX names URLs that no longer exist"
    assert len(set(URL_NAMES)) == len(URL_NAMES)


def test_the_check_notices_a_url_left_out() -> None:
    from django.urls import path

    extra = path("center/secret/", lambda request: HttpResponse("x"), name="center_secret")
    names = [pattern.name for pattern in _patterns([*staff_urls.urlpatterns, extra])]
    assert [name for name in names if name not in MATRIX] == ["center_secret"]


# --- the world ------------------------------------------------------------------------------------------

@dataclass
class World:
    hall: Hall
    ticket: Ticket
    device: Device
    clients: dict[str, Client] = field(default_factory=dict)

    def url(self, name: str) -> str:
        namespace, pattern = next((namespace, pattern) for namespace, pattern in NAMESPACED_PATTERNS
                                  if pattern.name == name)
        kwargs: dict[str, Any] = {}
        for key in pattern.pattern.converters:  # type: ignore[union-attr]
            if key == "public_id":
                kwargs[key] = self.device.public_id if name.startswith("device_") else self.ticket.public_id
            else:
                pytest.fail(f"{name}: no value for the URL argument {key!r}; teach World.url to fill it")
        return reverse(f"{namespace}:{name}", kwargs=kwargs) + MATRIX[name].query

    def body(self, kind: str | None) -> dict[str, Any]:
        bodies: dict[str, dict[str, Any]] = {
            OPEN_HALL_COUNTER: {"counter": self.hall.counter(5).pk},
            PAUSE: {"action": "pause"},
            START_HALL_TICKET: {"action": "start"},
            ADD_KIOSK: {"kind": "kiosk", "name": "Kiosk by the door"},
        }
        return bodies.get(kind or "", {})


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(hall: Hall, manager: User) -> World:
    hall.open(3)
    ticket_issue(center=hall.center, service=hall.passport)
    ticket = ticket_call_next(counter=hall.counter(3))
    assert ticket is not None
    herat = make_center(code="HRT", slug="herat", name="Herat")
    herat_counter = counter_upsert(center=herat, number=1)

    def staff(username: str, role: Role, **where: Any) -> User:
        return staff_user_create(username=username, password=PASSWORD, role=role, **where)

    foreign_operator = staff("operator.hrt", Role.OPERATOR, center=herat)
    counter_open(counter=herat_counter, operator=foreign_operator)
    agency = catalog_services.agency_upsert(code="MOF", slug="finance",
                                            name={"en": "Finance", "fa": "مالیه", "ps": "مالیه"})
    citizen, _created = citizen_get_or_create(phone_number="+93700111222")
    people = {
        CITIZEN: citizen,
        OFFICER: staff("officer.mof", Role.OFFICER, agency=agency),
        OPERATOR: hall.operator(3),
        FREE_OPERATOR: hall.operator(4),
        FOREIGN_OPERATOR: foreign_operator,
        MANAGER: manager,
        FOREIGN_MANAGER: staff("manager.hrt", Role.CENTER_MANAGER, center=herat),
        PLATFORM_ADMIN: staff("platform.admin", Role.PLATFORM_ADMIN),
    }
    device = device_add(center=hall.center, kind="kiosk", name="Kiosk 1", actor=manager).device
    result = World(hall=hall, ticket=ticket, device=device)
    result.clients[ANONYMOUS] = Client()
    for role, user in people.items():
        result.clients[role] = verified_client(user) if user.needs_second_factor else _signed_in(user)
    result.clients[MANAGER_WITHOUT_OTP] = _signed_in(staff("manager2.kbl", Role.CENTER_MANAGER, center=hall.center))
    assert set(result.clients) == set(ROLES)
    return result


def _state() -> tuple[Any, ...]:
    """Everything a counter page could change."""
    return (
        list(Counter.objects.order_by("pk").values_list("pk", "state", "operator_id")),
        list(Ticket.objects.order_by("pk").values_list("pk", "status", "counter_id", "recalls", "service_id")),
        TicketVisit.objects.count(),
        Rating.objects.count(),
        list(Device.objects.order_by("pk").values_list("pk", "generation", "pairing_code_digest", "revoked_at")),
    )


# --- outcomes -----------------------------------------------------------------------------------------

def _to(response: HttpResponse, *names: str) -> bool:
    return response.status_code == 302 and response["Location"].startswith(tuple(reverse(n) for n in names))


def _judge(role: str, allowed: bool, served: bool, response: HttpResponse) -> bool:
    status = response.status_code
    if not served:
        return (status in (404, 405) or _to(response, "accounts:staff_login", "accounts:staff_second_factor")
                or _not_allowed(role, response))
    if allowed:
        return status == 200 or (status == 302 and response["Location"].startswith("/")
                                 and not _to(response, "accounts:staff_login", "accounts:login",
                                             "accounts:staff_second_factor"))
    if role == ANONYMOUS:
        return _to(response, "accounts:staff_login")
    if role == MANAGER_WITHOUT_OTP:
        return status == 404 or _to(response, "accounts:staff_second_factor") or _not_allowed(role, response)
    return status == 404 or _not_allowed(role, response)


def _not_allowed(role: str, response: HttpResponse) -> bool:
    """Staff on a page not for their role get the gate's "not allowed" page (403, with the way
    to their own work); a citizen never learns that a staff page exists."""
    return (response.status_code == 403 and role not in (ANONYMOUS, CITIZEN)
            and b"Go to my own page" in response.content)


def test_the_judge_refuses_what_it_should() -> None:
    shown, missing = HttpResponse(status=200), HttpResponse(status=404)
    assert not _judge(FOREIGN_OPERATOR, allowed=False, served=True, response=shown)
    assert not _judge(ANONYMOUS, allowed=False, served=True, response=missing)
    assert _judge(CITIZEN, allowed=False, served=True, response=missing)
    assert not _judge(MANAGER, allowed=True, served=True, response=missing)
    to_sign_in = HttpResponse(status=302)
    to_sign_in["Location"] = reverse("accounts:staff_login") + "?next=/en/center/counter/"
    assert not _judge(OPERATOR, allowed=True, served=True, response=to_sign_in)
    assert _judge(ANONYMOUS, allowed=False, served=True, response=to_sign_in)


@pytest.mark.parametrize("language", ["en", "fa", "ps"])
def test_an_officer_on_the_counter_screen_is_told_it_is_not_theirs_and_where_to_go(
        hall: Hall, language: str) -> None:
    officer = staff_user_create(username="officer.moi", password=PASSWORD, role=Role.OFFICER,
                                agency=hall.passport.agency, full_name="Officer")
    client = verified_client(officer)
    for name in ("centers:counter", "centers:dashboard", "centers:devices"):
        with translation.override(language):
            address = reverse(name)
        answer = client.get(address)
        page = answer.content.decode()
        assert answer.status_code == 403, name
        assert f'href="/{language}/office/"' in page  # their own work: the back office inbox
        if language == "en":
            assert "This page is not part of your work" in page and "Agency officer" in page
        else:
            assert 'dir="rtl"' in page
            assert not re.search(r"not part of your work|signed in as|It is for|Go to my own page", page)
    if language == "en":
        assert "It is for the operators and managers of a service center." in \
            client.get("/en/center/counter/").content.decode()


def test_a_citizen_still_learns_nothing_of_staff_pages(hall: Hall, client: Client) -> None:
    citizen, _created = citizen_get_or_create(phone_number="+93700555666")
    client.force_login(citizen)
    for name in ("centers:counter", "centers:dashboard", "centers:devices"):
        assert client.get(reverse(name)).status_code == 404, name


@pytest.mark.parametrize("name", URL_NAMES)
def test_permission_matrix(name: str, world: World) -> None:
    case = MATRIX.get(name)
    if case is None:
        pytest.fail(f"The URL {name!r} is not in the permission matrix: add it to MATRIX.")
    failures = []
    url = world.url(name)
    for role, method in itertools.product(ROLES, ("GET", "POST")):
        served = case.get if method == "GET" else case.post is not None
        allowed = role in case.allowed
        where = f"{method} {url} [{name}] as {role}"
        with transaction.atomic():
            before = _state()
            client = world.clients[role]
            response: Any
            try:
                response = client.get(url) if method == "GET" else client.post(url, world.body(case.post))
            except Exception as error:
                failures.append(f"{where}: raised {type(error).__name__}: {error}")
                transaction.set_rollback(True)
                continue
            after = _state()
            transaction.set_rollback(True)
        if not _judge(role, allowed, served, response):
            seen = f"{response.status_code} → {response.get('Location', '')}"
            failures.append(f"{where}: expected {'allowed' if allowed and served else 'refused'}, got {seen}")
        elif not (allowed and served) and after != before:
            failures.append(f"{where}: refused, yet something changed")
        elif allowed and method == "GET" and after != before:
            failures.append(f"{where}: a GET changed something")
    assert not failures, f"{len(failures)} unexpected outcome(s) for {name}:\n" + "\n".join(failures)
