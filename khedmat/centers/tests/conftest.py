"""Shared fixtures for the centers: a hall with queue groups, counters, operators and an
appointment schedule, all made through the real services.

`hall` (a Hall) is the Kabul center offering passports (queue group P) and driving licences
(queue group D); counter 1 is a women's desk, counter 2 a priority desk (both serve
everything), counters 3…20 general ones serving both. Counters start closed: tests open
them with `open_counter`. Operators `operator1`…: one per counter number, same center.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.db import connection

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.applications.tests.test_concurrency import SQLiteFile
from khedmat.catalog import services as catalog_services
from khedmat.catalog.models import Service
from khedmat.centers.models import AppointmentSchedule, Center, Counter, PriorityGroup, QueueGroup
from khedmat.centers.queue import counter_open
from khedmat.centers.services import center_offer_services, center_upsert, counter_upsert

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


def make_center(code: str = "KBL", slug: str = "kabul", name: str = "Kabul") -> Center:
    return center_upsert(code=code, slug=slug, name={"en": name, "fa": name, "ps": name},
                         city={"en": name, "fa": name, "ps": name}, address={"en": "-", "fa": "-", "ps": "-"},
                         opens_at=datetime.time(8), closes_at=datetime.time(16))


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
