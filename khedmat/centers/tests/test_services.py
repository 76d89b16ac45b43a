"""Opening centers and counters, and choosing the services they offer."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import ValidationError

from khedmat.catalog import services as catalog_services
from khedmat.catalog.models import Service
from khedmat.catalog.tests.factories import AgencyFactory, CategoryFactory, passport_definition
from khedmat.centers.models import Center, Counter
from khedmat.centers.services import center_offer_services, center_upsert, counter_upsert

NAMES = {"en": "Kabul Service Center", "fa": "مرکز خدمات کابل", "ps": "د کابل د خدماتو مرکز"}


@pytest.fixture
def center(db: None) -> Center:
    return center_upsert(code="KBL", slug="kabul", name=NAMES, city=NAMES, address=NAMES,
                         opens_at=time(8), closes_at=time(16))


@pytest.fixture
def two_services(db: None) -> list[Service]:
    CategoryFactory.create(slug="identity-and-travel")
    agency = AgencyFactory.create(code="MOI", slug="interior")
    return [
        catalog_services.service_publish(agency=agency, definition=passport_definition()).service,
        catalog_services.service_publish(agency=agency, definition=passport_definition(
            code="NCR", slug="no-criminal-record-certificate")).service,
    ]


def test_center_upsert_updates_the_center_with_the_same_code(center: Center) -> None:
    again = center_upsert(code="KBL", slug="kabul", name={**NAMES, "en": "Kabul Center"}, city=NAMES,
                          address=NAMES, opens_at=time(7, 30), closes_at=time(15))
    assert again.pk == center.pk
    assert Center.objects.get().name_en == "Kabul Center"
    assert again.opens_at == time(7, 30)


def test_a_center_must_open_before_it_closes(db: None) -> None:
    with pytest.raises(ValidationError):
        center_upsert(code="KBL", slug="kabul", name=NAMES, city=NAMES, address=NAMES,
                      opens_at=time(16), closes_at=time(8))


def test_counter_upsert_is_keyed_on_its_number(center: Center, two_services: list[Service]) -> None:
    center_offer_services(center=center, services=two_services)
    counter_upsert(center=center, number=1, designation=Counter.Designation.WOMEN, services=two_services)
    counter = counter_upsert(center=center, number=1, designation=Counter.Designation.PRIORITY,
                             services=two_services[:1])
    assert Counter.objects.count() == 1
    assert counter.designation == Counter.Designation.PRIORITY
    assert list(counter.services.all()) == two_services[:1]


def test_a_counter_cannot_serve_what_its_center_does_not_offer(center: Center,
                                                                two_services: list[Service]) -> None:
    center_offer_services(center=center, services=two_services[:1])
    with pytest.raises(ValidationError, match="no-criminal-record-certificate"):
        counter_upsert(center=center, number=1, services=two_services)
    assert not Counter.objects.exists()


def test_withdrawing_a_service_from_a_center_withdraws_it_from_its_counters(
        center: Center, two_services: list[Service]) -> None:
    center_offer_services(center=center, services=two_services)
    counter = counter_upsert(center=center, number=1, services=two_services)
    center_offer_services(center=center, services=two_services[1:])
    assert list(center.services.all()) == two_services[1:]
    assert list(counter.services.all()) == two_services[1:]


def test_an_unknown_designation_is_refused(center: Center) -> None:
    with pytest.raises(ValidationError):
        counter_upsert(center=center, number=1, designation="vip")
