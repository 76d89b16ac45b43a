"""Fixtures for the notifications tests: people in each of the three languages, a passport
service that owes a fee, a hall with counters, and gateways that do what they are told."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import citizen_get_or_create, staff_user_create
from khedmat.catalog import services as catalog_services
from khedmat.catalog.models import Agency, Service
from khedmat.catalog.tests.factories import verified_client  # noqa: F401 (for the tests here)
from khedmat.centers.tests.conftest import Hall, build_hall
from khedmat.notifications.sms.contrib import scripted

PASSWORD = "pass-for-tests-1"
PASSPORT_ANSWERS = {
    "full_name": "Ahmad Zia", "father_name": "Mohammad Nabi", "date_of_birth": "1990-03-21",
    "validity_years": "5",
}


@pytest.fixture(autouse=True)
def _scripted_log() -> Iterator[None]:
    scripted.SENT.clear()
    yield
    scripted.SENT.clear()


@pytest.fixture
def gateways(settings: Any) -> Callable[..., None]:
    """Configure the gateways for this test: gateways(("a", "accept"), ("b", "down", {...}))."""
    def configure(*entries: tuple[Any, ...]) -> None:
        settings.SMS_GATEWAYS = [
            {"name": entry[0], "plugin": "scripted", "priority": index + 1, "outcome": entry[1],
             **(entry[2] if len(entry) > 2 else {})}
            for index, entry in enumerate(entries)
        ]
    return configure


@pytest.fixture
def moi(db: None) -> Agency:
    catalog_services.category_upsert(slug="identity-and-travel",
                                     name={"en": "Identity and travel", "fa": "هویت و سفر", "ps": "هویت او سفر"})
    return catalog_services.agency_upsert(
        code="MOI", slug="interior",
        name={"en": "Ministry of Interior Affairs", "fa": "وزارت امور داخله", "ps": "د کورنیو چارو وزارت"})


@pytest.fixture
def passport(moi: Agency) -> Service:
    text = Path(settings.BASE_DIR, "demo/services/moi-psp.yaml").read_text(encoding="utf-8")
    return catalog_services.service_import_yaml(agency=moi, text=text).service


def citizen_in(language: str, phone: str) -> User:
    user, _created = citizen_get_or_create(phone_number=phone, language=language)
    return user


@pytest.fixture
def dari_citizen(db: None) -> User:
    return citizen_in("fa", "+93700111001")


@pytest.fixture
def pashto_citizen(db: None) -> User:
    return citizen_in("ps", "+93700111002")


@pytest.fixture
def english_citizen(db: None) -> User:
    return citizen_in("en", "+93700111003")


@pytest.fixture
def officer(moi: Agency) -> User:
    return staff_user_create(username="officer.test", password=PASSWORD, role=Role.OFFICER, agency=moi)


@pytest.fixture
def approver(moi: Agency) -> User:
    return staff_user_create(username="approver.test", password=PASSWORD, role=Role.APPROVER, agency=moi)


@pytest.fixture
def platform_admin(db: None) -> User:
    return staff_user_create(username="platform.test", password=PASSWORD, role=Role.PLATFORM_ADMIN)


@pytest.fixture
def hall(db: None) -> Hall:
    return build_hall(counter_count=4)
