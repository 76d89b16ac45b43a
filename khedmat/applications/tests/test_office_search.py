"""The inbox's search box and the service's own states in the state filter (issue 10, officers)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from khedmat.accounts.models import User
from khedmat.accounts.services import citizen_get_or_create, citizen_update_profile
from khedmat.applications.models import Application
from khedmat.applications.search import search_terms, search_text_for
from khedmat.catalog import services as catalog_services
from khedmat.catalog.models import Agency, Service
from khedmat.core.search import search_key

from .office_helpers import foreign_passport, submitted, verified_client

INBOX = "/en/office/"
REFERENCE = re.compile(r"[A-Z]{2,5}-[A-Z]{2,5}-\d{4}-\d{6}")
# A file listed in the inbox (not the search box, which repeats what was typed).
LISTED = re.compile(r'class="reference" href="[^"]+"><bdi>([A-Z]{2,5}-[A-Z]{2,5}-\d{4}-\d{6})</bdi>')


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def _found(client, query: str, **params: str) -> list[str]:  # type: ignore[no-untyped-def]
    response = client.get(INBOX, {"q": query, **params})
    assert response.status_code == 200, query
    return sorted(set(LISTED.findall(response.content.decode())))


def _person(phone: str, name: str, tazkira: str = "") -> User:
    user, _created = citizen_get_or_create(phone_number=phone)
    return citizen_update_profile(user=user, full_name=name, tazkira_number=tazkira)


@pytest.fixture
def people(passport: Service) -> dict[str, Application]:
    """Files of four people: a Dari name typed with Persian letters, one with Arabic letters, a Latin name."""
    return {
        "ali": submitted(passport, _person("+93700100200", "علی رضا کریمی", "1400-0101-12345")),
        "arabic": submitted(passport, _person("+93799888777", "كريم يوسفي")),
        "latin": submitted(passport, _person("+93781234567", "Ahmad Zia Karimi")),
        "nameless": submitted(passport, citizen_get_or_create(phone_number="+93705555555")[0]),
    }


def test_search_key_folds_letter_forms_digits_and_case() -> None:
    assert search_key("علي  رضا") == search_key("علی رضا") == "علی رضا"
    assert search_key("كابل") == search_key("کابل")
    assert search_key("۱۴۰۰-٠١٠١") == "1400-0101"
    assert search_key("AHMAD Zíá") == "ahmad zia"
    assert search_key("عَلِی\u200cرضا") == "علیرضا"


@pytest.mark.parametrize(("query", "who"), [
    ("علي", "ali"),  # Arabic yeh finds a name stored with the Persian one
    ("على رضا", "ali"),
    ("يوسفي", "arabic"),  # and the other way round: Arabic letters stored, Persian typed
    ("کریم یوسفی", "arabic"),
    ("AHMAD zia", "latin"),
    ("zia karimi", "latin"),
    ("0700 100 200", "ali"),  # the mobile number in every common form
    ("+93 700 100 200", "ali"),
    ("93700100200", "ali"),
    ("0093700100200", "ali"),
    ("۰۷۰۰۱۰۰۲۰۰", "ali"),  # Eastern digits
    ("+۹۳۷۰۰۱۰۰۲۰۰", "ali"),
    ("700100200", "ali"),
    ("1400-0101-12345", "ali"),  # the Tazkira number, with or without dashes, in any digits
    ("۱۴۰۰-۰۱۰۱-۱۲۳۴۵", "ali"),
    ("1400010112345", "ali"),
    ("0705555555", "nameless"),
])
def test_an_officer_finds_a_file_by_name_phone_or_tazkira(people: dict[str, Application], officer: User,
                                                          query: str, who: str) -> None:
    assert _found(verified_client(officer), query) == [people[who].reference]


@pytest.mark.parametrize(("query", "who"), [
    # A name typed in Latin letters finds it in Dari letters too, and the other way round; coarse
    # on purpose (Karim and Karimi share a skeleton): the officer looks at the few found.
    ("Karimi", {"ali", "latin", "arabic"}),
    ("کریمی", {"ali", "latin", "arabic"}),
    ("Reza Karimi", {"ali"}),
    ("Yusufi", {"arabic"}), ("Yousufi Karim", {"arabic"}),  # stored as كريم يوسفي (Arabic letters)
    ("احمد کریمی", {"latin"}),  # stored as Ahmad Zia Karimi
    ("Hakimi", set()),
])
def test_a_name_is_found_in_either_script(people: dict[str, Application], officer: User, query: str,
                                          who: set[str]) -> None:
    assert set(_found(verified_client(officer), query)) == {people[name].reference for name in who}


def test_a_reference_is_found_however_it_is_typed(people: dict[str, Application], officer: User) -> None:
    client = verified_client(officer)
    reference = str(people["latin"].reference)
    assert _found(client, reference) == [reference]
    assert _found(client, reference.lower()) == [reference]
    number = reference.rsplit("-", 1)[1]
    eastern = number.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert _found(client, eastern) == [reference]
    year_and_number = reference.split("-", 2)[2]  # 1405-000003, as read off a receipt
    assert _found(client, year_and_number) == [reference]
    assert _found(client, year_and_number.replace("-", " ")) == [reference]


def test_search_never_shows_another_agencys_file(people: dict[str, Application], officer: User,
                                                 other_agency: Agency) -> None:
    foreign = submitted(foreign_passport(other_agency), _person("+93700100200", "علی رضا کریمی"))
    client = verified_client(officer)
    found = _found(client, "0700100200")
    assert found == [people["ali"].reference] and foreign.reference not in found
    assert foreign.reference not in _found(client, foreign.reference or "")


def test_search_keeps_the_other_filters_and_the_keyset_pages(passport: Service, officer: User,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("khedmat.applications.views_office.PAGE_SIZE", 3)
    mariam = _person("+93700222333", "Mariam Sadat")
    files = [submitted(passport, mariam) for _n in range(7)]
    submitted(passport, _person("+93700444555", "Someone Else"))
    client = verified_client(officer)
    html = client.get(INBOX, {"q": "mariam"}).content.decode()
    walked: list[str] = []
    while True:
        walked.extend(dict.fromkeys(LISTED.findall(html)))
        match = re.search(r'<a href="([^"]+)" rel="next">', html)
        if not match:
            break
        url = match.group(1).replace("&amp;", "&")
        assert "q=mariam" in url and "after=" in url
        html = client.get(url).content.decode()
    expected = list(Application.objects.filter(pk__in=[f.pk for f in files]).order_by("due_date", "id")
                    .values_list("reference", flat=True))
    assert walked == expected


@pytest.mark.parametrize("query", [
    "x" * 100_000, "ا" * 5000, "%", "_", "%%%", "\\", "' OR 1=1 --", "\x00", "²³", "۰", "  ", "a",
])
def test_hostile_searches_are_answered_without_error(people: dict[str, Application], officer: User,
                                                     query: str) -> None:
    response = verified_client(officer).get(INBOX, {"q": query})
    if query == "\x00":  # refused as a whole by the middleware, as every NUL in a query string
        assert response.status_code == 400
        return
    assert response.status_code == 200
    found = set(LISTED.findall(response.content.decode()))
    if query in ("%%%", "' OR 1=1 --"):
        assert found == set()  # no wildcard reaches the database, and nothing matches everything
    if query in ("%", "_", "\\", "a", "۰", "x" * 100_000, "ا" * 5000):
        # Too short or too long to search by: said so, and the inbox lists what it did before.
        assert "not understood" in response.content.decode()


def test_a_search_too_short_or_too_long_is_reported_in_words(people: dict[str, Application], officer: User) -> None:
    client = verified_client(officer)
    page = client.get(INBOX, {"q": "x" * 5000}).content.decode()
    assert "Some filters were not understood" in page and "Search with at most 100 characters" in page
    page = client.get(INBOX, {"q": "ي"}).content.decode()
    assert "Type at least two letters or digits" in page


def test_search_terms_read_numbers_and_words() -> None:
    assert search_terms("0700 123 456").words == ("0700123456",)
    assert search_terms("+93 (700) 123-456").words == ("0700123456",)
    assert search_terms("1400-0101-12345").words == ("1400010112345",)
    assert search_terms("Ali  Reza").words == ("ali", "reza")
    assert search_terms("a").words == ()
    assert len(search_terms(" ".join(["word"] * 50)).words) == 1
    assert len(search_terms("x" * 10_000).words[0]) <= 100


def test_a_file_keeps_what_it_is_found_by(people: dict[str, Application]) -> None:
    ali = Application.objects.select_related("applicant").get(pk=people["ali"].pk)
    assert ali.search_text == search_text_for(ali)
    assert "0700100200" in ali.search_text and "93700100200" in ali.search_text
    assert "1400010112345" in ali.search_text and "علی رضا کریمی" in ali.search_text


def test_the_search_query_stays_one_query_with_the_index_condition(people: dict[str, Application],
                                                                    officer: User) -> None:
    client = verified_client(officer)
    client.get(INBOX)
    with CaptureQueriesContext(connection) as context:
        client.get(INBOX, {"q": "karimi"})
    searching = [q["sql"] for q in context.captured_queries if "LIKE" in q["sql"].upper()]
    assert len(searching) == 1
    assert '"search_text"::text LIKE' in searching[0] or '"search_text" LIKE' in searching[0]
    assert '"agency_id" =' in searching[0]


# --- the state filter lists the chosen service's states --------------------------------------

@pytest.fixture
def driving(moi: Agency) -> Service:
    catalog_services.category_upsert(slug="transport", name={"en": "Transport", "fa": "ترانسپورت", "ps": "ټرانسپورت"})
    text = Path(settings.BASE_DIR, "demo/services/moi-drl.yaml").read_text(encoding="utf-8")
    return catalog_services.service_import_yaml(agency=moi, text=text).service


def _state_options(html: str) -> list[str]:
    select = re.search(r'<select name="state"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def test_the_state_filter_lists_only_the_chosen_services_states(passport: Service, driving: Service,
                                                                 officer: User) -> None:
    client = verified_client(officer)
    every = _state_options(client.get(INBOX).content.decode())
    assert "test_scheduled" in every and "needs_information" in every
    passport_states = _state_options(client.get(INBOX, {"service": passport.pk}).content.decode())
    assert "test_scheduled" not in passport_states and "needs_information" in passport_states
    driving_states = _state_options(client.get(INBOX, {"service": driving.pk}).content.decode())
    assert "test_scheduled" in driving_states and "needs_information" not in driving_states


def test_a_state_left_from_the_previous_service_is_dropped_not_an_error(passport: Service, driving: Service,
                                                                        officer: User, citizen: User) -> None:
    application = submitted(passport, citizen)
    client = verified_client(officer)
    page = client.get(INBOX, {"service": str(passport.pk), "state": "test_scheduled"}).content.decode()
    assert "not understood" not in page and str(application.reference) in page
    # Another agency's service or nonsense: shown as not understood, the page still works.
    for bad in ("999999", "99999999999999999999999", "۱", "x"):
        assert client.get(INBOX, {"service": bad}).status_code == 200


def test_a_name_or_tazkira_changed_later_finds_the_file_by_the_new_one(passport: Service, officer: User) -> None:
    person = _person("+93700777888", "Old Name")
    application = submitted(passport, person)
    client = verified_client(officer)
    assert _found(client, "old name") == [application.reference]
    citizen_update_profile(user=person, full_name="شبنم یوسفی", tazkira_number="1401-0202-54321")
    assert _found(client, "old name") == []
    assert _found(client, "يوسفي") == [application.reference]
    assert _found(client, "۱۴۰۱۰۲۰۲۵۴۳۲۱") == [application.reference]


def test_a_file_filed_by_a_mother_for_her_son_is_found_by_the_sons_name_and_tazkira(
        passport: Service, people: dict[str, Application], officer: User) -> None:
    """The inbox finds a file by the person it is for, not only by the account holder who filed it."""
    from khedmat.applications.services import application_draft_save, application_submit

    mother = _person("+93702020202", "مریم احمدی")
    draft = application_draft_save(applicant=mother, service=passport, data=people["ali"].data, applicant_info={
        "applicant_relationship": "child", "applicant_name": "يوسف احمدي", "applicant_tazkira": "1399-0202-54321"})
    son_file = application_submit(application=draft, idempotency_key="mother-for-son", actor=mother)
    client = verified_client(officer)
    for query in ("یوسف احمدی", "يوسف احمدي", "1399-0202-54321", "۱۳۹۹۰۲۰۲۵۴۳۲۱", "مریم", "0702020202"):
        assert _found(client, query) == [son_file.reference], query
    assert son_file.reference in _found(client, "یوسف")  # with Karim Yusufi's file
