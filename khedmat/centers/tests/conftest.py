"""Shared fixtures for the centers: a hall with queue groups, counters, operators and an
appointment schedule, all made through the real services.

`hall` (a Hall) is the Kabul center offering passports (queue group P) and driving licences
(queue group D); counter 1 is a women's desk, counter 2 a priority desk (both serve
everything), counters 3…20 general ones serving both. Counters start closed: tests open
them with `open_counter`. Operators `operator1`…: one per counter number, same center.

The test centers open every day around the clock, so that no test depends on the weekday
or the hour it runs at; tests of opening hours set the hours they need (`center_set_hours`)
and the time (`clock` in test_appointments, or `frozen_at` here).

`kiosk` is a browser paired as a kiosk of the hall (through the manager's pairing code and
the pairing page, as a real screen is), `tablet_at(number)` one paired as the rating tablet
of a counter.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.applications.tests.test_concurrency import SQLiteFile
from khedmat.catalog import services as catalog_services
from khedmat.catalog.models import Service
from khedmat.centers.devices import device_add
from khedmat.centers.models import AppointmentSchedule, Center, Counter, Device, PriorityGroup, QueueGroup
from khedmat.centers.services import center_offer_services, center_upsert, counter_open, counter_upsert

PASSWORD = "pass-for-tests-1"
CITIZEN_PHONE = "+93700111222"


def make_service(code: str, slug: str) -> Service:
    """A published service of the Ministry of Interior (the passport definition, renamed)."""
    definition = yaml.safe_load(Path(settings.BASE_DIR, "demo/services/moi-psp.yaml").read_text(encoding="utf-8"))
    definition.update(code=code, slug=slug)
    catalog_services.category_upsert(slug="identity-and-travel",
                                     name={"en": "Identity", "fa": "هویت", "ps": "هویت"})
    agency = catalog_services.agency_upsert(code="MOI", slug="interior",
                                            name={"en": "Interior", "fa": "داخله", "ps": "کورنۍ چارې"})
    return catalog_services.service_publish(agency=agency, definition=definition).service


ALL_WEEK = range(7)
SATURDAY_TO_WEDNESDAY = (5, 6, 0, 1, 2)


def make_center(code: str = "KBL", slug: str = "kabul", name: str = "Kabul") -> Center:
    """A center open every day around the clock (00:00 to midnight)."""
    return center_upsert(code=code, slug=slug, name={"en": name, "fa": name, "ps": name},
                         city={"en": name, "fa": name, "ps": name}, address={"en": "-", "fa": "-", "ps": "-"},
                         opens_at=datetime.time(0), closes_at=datetime.time(0), open_weekdays=ALL_WEEK)


@dataclass
class Hall:
    center: Center
    passport: Service
    licence: Service
    passports: QueueGroup  # letter P
    licences: QueueGroup  # letter D
    counters: list[Counter]  # counters[0] is number 1 (women's desk), [1] number 2 (priority)
    operators: dict[int, User] = field(default_factory=dict)

    @property
    def women_counter(self) -> Counter:
        return self.counters[0]

    @property
    def priority_counter(self) -> Counter:
        return self.counters[1]

    def counter(self, number: int) -> Counter:
        return self.counters[number - 1]

    def operator(self, number: int) -> User:
        """The operator for counter `number` (made on first use)."""
        if number not in self.operators:
            self.operators[number] = staff_user_create(
                username=f"operator{number}.{self.center.code.lower()}", password=PASSWORD, role=Role.OPERATOR,
                center=self.center, full_name=f"Operator {number}")
        return self.operators[number]

    def open(self, number: int) -> Counter:
        """Sign counter `number`'s operator in there: the counter is open and calls tickets."""
        return counter_open(counter=self.counter(number), operator=self.operator(number))

    def schedule(self, service: Service | None = None, **fields: object) -> AppointmentSchedule:
        """An appointment schedule for `service` (passports by default): 08:00–12:00, 15-minute
        slots of 2 places, 14 days ahead, unless `fields` say otherwise."""
        values: dict[str, object] = {"starts_at": datetime.time(8), "ends_at": datetime.time(12),
                                     "slot_minutes": 15, "capacity": 2, "days_ahead": 14, **fields}
        schedule, _created = AppointmentSchedule.objects.update_or_create(
            center=self.center, service=service or self.passport, defaults=values)
        return schedule


def build_hall(counter_count: int = 20) -> Hall:
    passport, licence = make_service("PSP", "passport"), make_service("DRL", "driving-licence")
    center = make_center()
    center_offer_services(center=center, services=[passport, licence])
    passports = QueueGroup.objects.create(center=center, letter="P", name_en="Passports", name_fa="پاسپورت",
                                          name_ps="پاسپورټ")
    passports.services.add(passport)
    licences = QueueGroup.objects.create(center=center, letter="D", name_en="Driving", name_fa="رانندگی",
                                         name_ps="موټر چلول")
    licences.services.add(licence)
    designations = {1: Counter.Designation.WOMEN, 2: Counter.Designation.PRIORITY}
    counters = [counter_upsert(center=center, number=n, services=[passport, licence],
                               designation=designations.get(n, Counter.Designation.GENERAL))
                for n in range(1, counter_count + 1)]
    return Hall(center=center, passport=passport, licence=licence, passports=passports, licences=licences,
                counters=counters)


@pytest.fixture
def hall(db: None) -> Hall:
    return build_hall()


@pytest.fixture
def elderly(db: None) -> PriorityGroup:
    """The elderly priority group (made by migration 0004), 15 minutes' head start."""
    return PriorityGroup.objects.get(code="elderly")


@pytest.fixture
def operator(hall: Hall) -> User:
    """The operator of counter 3 (a general counter)."""
    return hall.operator(3)


@pytest.fixture
def open_counter(hall: Hall) -> Counter:
    """General counter 3, opened by its operator."""
    return hall.open(3)


@pytest.fixture
def manager(hall: Hall) -> User:
    return staff_user_create(username="manager.kbl", password=PASSWORD, role=Role.CENTER_MANAGER,
                             center=hall.center, full_name="Center Manager",
                             totp_key="3132333435363738393031323334353637383930")


@pytest.fixture
def other_center_operator(db: None) -> User:
    center = make_center(code="HRT", slug="herat", name="Herat")
    return staff_user_create(username="operator.hrt", password=PASSWORD, role=Role.OPERATOR, center=center)


@pytest.fixture
def sqlite_file(tmp_path: Path) -> SQLiteFile:
    """For the SQLite variants of the concurrency tests (see applications' test_concurrency)."""
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant; on PostgreSQL the tests above cover this")
    return SQLiteFile(tmp_path / "centers.sqlite3")


@pytest.fixture
def frozen_at(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime.datetime], datetime.datetime]:
    """Stop the clock at a moment (aware, or naive Kabul time): frozen_at(datetime(2026, 12, 10, 9))."""

    def freeze(moment: datetime.datetime) -> datetime.datetime:
        aware = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
        monkeypatch.setattr("django.utils.timezone.now", lambda: aware)
        return aware

    return freeze


def pair(client: Client, code: str) -> Client:
    """Type a pairing code on the pairing page, as the screen does; the client is then the device."""
    response = client.post(reverse("centers:device_pair"), {"code": code})
    assert response.status_code == 302, response.content.decode()[:500]
    client.get(response["Location"])  # where the screen goes next ("This screen is now paired")
    return client


def paired_client(center: Center, manager: User, *, kind: str = Device.Kind.KIOSK,
                  counter: Counter | None = None, name: str = "Kiosk by the entrance") -> tuple[Client, Device]:
    """A new browser paired as a device of the center through the manager's code."""
    issued = device_add(center=center, kind=kind, name=name, counter=counter, actor=manager)
    client = pair(Client(), issued.code)
    issued.device.refresh_from_db()
    return client, issued.device


@pytest.fixture
def kiosk_device(hall: Hall, manager: User) -> tuple[Client, Device]:
    return paired_client(hall.center, manager)


@pytest.fixture
def kiosk(kiosk_device: tuple[Client, Device]) -> Client:
    """A browser paired as the hall's kiosk (no session, only the device's cookie)."""
    return kiosk_device[0]


@pytest.fixture
def tablet_at(hall: Hall, manager: User) -> Callable[[int], Client]:
    """tablet_at(3): a browser paired as the rating tablet of counter 3."""

    def make(number: int) -> Client:
        client, _device = paired_client(hall.center, manager, kind=Device.Kind.RATING_TABLET,
                                        counter=hall.counter(number), name=f"Tablet at counter {number}")
        return client

    return make
