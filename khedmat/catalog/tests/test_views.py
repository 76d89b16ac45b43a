"""The public catalog as a citizen browses it, in English, Dari and Pashto."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from khedmat.catalog import services
from khedmat.catalog.models import Service
from khedmat.centers.models import Center

PASSPORT_YAML = Path(settings.BASE_DIR, "demo/services/moi-psp.yaml").read_text(encoding="utf-8")


@pytest.fixture
def passport(db: None) -> Service:
    services.category_upsert(slug="identity-and-travel",
                             name={"en": "Identity and travel", "fa": "هویت و سفر", "ps": "هویت او سفر"})
    agency = services.agency_upsert(
        code="MOI", slug="interior",
        name={"en": "Ministry of Interior Affairs", "fa": "وزارت امور داخله", "ps": "د کورنیو چارو وزارت"},
    )
    version = services.service_import_yaml(agency=agency, text=PASSPORT_YAML)
    center = Center.objects.create(
        code="KBL", slug="kabul", name_en="Kabul Service Center", name_fa="مرکز خدمات کابل",
        name_ps="د کابل د خدماتو مرکز", city_en="Kabul", city_fa="کابل", city_ps="کابل",
        address_en="Darulaman Road", address_fa="سرک دارالامان", address_ps="د دارالامان سړک",
        opens_at=datetime.time(8), closes_at=datetime.time(16),
    )
    center.services.add(version.service)
    return version.service


def test_root_redirects_to_a_language(client: Client, db: None) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] in ("/en/", "/fa/", "/ps/")


@pytest.mark.parametrize(("language", "direction", "html_lang"), [("en", "ltr", "en"), ("fa", "rtl", "fa-AF"),
                                                                  ("ps", "rtl", "ps-AF")])
def test_pages_declare_language_and_direction(client: Client, passport: Service, language: str, direction: str,
                                              html_lang: str) -> None:
    for path in ("", "services/", "services/passport/", "services/agencies/",
                 "services/categories/identity-and-travel/", "services/agencies/interior/"):
        response = client.get(f"/{language}/{path}")
        assert response.status_code == 200, path
        assert f'<html lang="{html_lang}" dir="{direction}">' in response.content.decode()


def test_home_lists_categories_agencies_and_centers(client: Client, passport: Service) -> None:
    page = client.get("/en/").content.decode()
    assert "Identity and travel" in page
    assert "Ministry of Interior Affairs" in page
    assert "Kabul Service Center" in page


@pytest.mark.parametrize("query", ["passport", "PASSPORT renewal", "پاسپورت", "پاسپورټ", "MOI PSP",
                                   "صدور و تمديد"])  # the last with an Arabic yeh, as many keyboards type it
def test_search_finds_a_service_by_name_in_any_language(client: Client, passport: Service, query: str) -> None:
    response = client.get("/en/services/", {"q": query})
    assert 'href="/en/services/passport/"' in response.content.decode()


def test_search_with_no_match_says_so(client: Client, passport: Service) -> None:
    page = client.get("/en/services/", {"q": "camel licence"}).content.decode()
    assert "No service matches" in page
    assert "/en/services/passport/" not in page


def test_service_page_states_everything_a_citizen_needs(client: Client, passport: Service) -> None:
    page = client.get("/en/services/passport/").content.decode()
    assert "Passport issuance and renewal" in page
    assert "Ministry of Interior Affairs" in page
    assert "Any citizen of Afghanistan who holds a Tazkira" in page  # who may apply
    assert "Copy of the Tazkira" in page  # documents
    assert "5,000 AFN to 8,000 AFN" in page  # fee by option
    assert "10 years" in page and "8,000 AFN" in page
    assert "10 working days" in page  # time standard
    assert "Online" in page and "At a service center" in page  # channels
    assert "Kabul Service Center" in page  # where it is offered


def test_service_page_in_dari_uses_eastern_digits_and_solar_hijri(client: Client, passport: Service) -> None:
    page = client.get("/fa/services/passport/").content.decode()
    assert "صدور و تمدید پاسپورت" in page
    assert "۵٬۰۰۰" in page and "۸٬۰۰۰" in page
    assert "5,000" not in page


def test_language_links_point_to_the_same_page(client: Client, passport: Service) -> None:
    page = client.get("/en/services/passport/").content.decode()
    assert 'href="/fa/services/passport/"' in page
    assert 'href="/ps/services/passport/"' in page


def test_unknown_service_category_and_agency_are_404(client: Client, passport: Service) -> None:
    for path in ("/en/services/nothing/", "/en/services/categories/nothing/", "/en/services/agencies/nothing/"):
        assert client.get(path).status_code == 404


def test_inactive_service_is_not_listed(client: Client, passport: Service) -> None:
    Service.objects.filter(pk=passport.pk).update(is_active=False)
    assert client.get("/en/services/passport/").status_code == 404
    assert "/en/services/passport/" not in client.get("/en/services/").content.decode()


def test_catalog_pages_use_a_fixed_number_of_queries(client: Client, passport: Service,
                                                     django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    for path in ("/en/", "/en/services/", "/en/services/passport/", "/en/services/agencies/"):
        with django_assert_max_num_queries(6):
            client.get(path)


def test_publishing_a_version_is_on_the_audit_trail(passport: Service) -> None:
    from khedmat.audit.models import AuditEvent

    event = AuditEvent.objects.get(action="catalog.service_published", target_id=str(passport.pk))
    assert event.data == {"agency": "MOI", "code": "PSP", "version": 1}
