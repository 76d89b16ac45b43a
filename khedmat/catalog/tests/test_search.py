"""The catalog search forgives typos, spellings and scripts, in English, Dari and Pashto.

A table of what people type; it runs on whichever database the suite runs on (SQLite and
PostgreSQL give the same answers: the matching runs in Python, catalog/search.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.test import Client

from khedmat.catalog import search, selectors, services

DEMO = Path(settings.BASE_DIR, "demo")
LOADED = ["moi-psp", "moi-drl", "moci-bzl", "km-trl", "moph-phl", "nsia-etz", "nsia-brc", "sc-mrc"]
LICENCES = {"driving-licence", "business-licence", "trade-licence", "pharmacy-licence"}


@pytest.fixture
def catalog(db: None) -> None:
    """Eight services of the demonstration catalog, with their real agencies and categories."""
    for category in yaml.safe_load((DEMO / "categories.yaml").read_text(encoding="utf-8")):
        services.category_upsert(slug=category["slug"], name=category["name"])
    agencies = {agency["code"]: services.agency_upsert(code=agency["code"], slug=agency["slug"], name=agency["name"])
                for agency in yaml.safe_load((DEMO / "agencies.yaml").read_text(encoding="utf-8"))}
    for name in LOADED:
        text = (DEMO / "services" / f"{name}.yaml").read_text(encoding="utf-8")
        services.service_import_yaml(agency=agencies[yaml.safe_load(text)["agency"]], text=text)


def found(query: str) -> list[str]:
    return [service.slug for service in selectors.service_list(query=query)]


# (what a person types, the service that must come first, or a set that must all be found)
MISSPELLINGS: list[tuple[str, str | set[str]]] = [
    # English: slips of the keyboard, British and American spellings.
    ("pasport", "passport"),
    ("paasport", "passport"),
    ("passprot", "passport"),
    ("PASSPORT renewel", "passport"),
    ("license", LICENCES),
    ("licence", LICENCES),
    ("driving lisence", "driving-licence"),
    ("drivng license", "driving-licence"),
    ("farmacy licence", "pharmacy-licence"),
    ("tazkera", "e-tazkira"),
    ("birth certifcate", "birth-certificate"),
    ("marrige certificate", "marriage-certificate"),
    # Dari: Arabic letters from an Arabic keyboard, a letter missed, the Pashto spelling.
    ("پاسپورت", "passport"),
    ("پاسپرت", "passport"),
    ("پاس پورت", "passport"),
    ("لایسنس", "driving-licence"),
    ("لیسنس", "driving-licence"),
    ("تذكره", "e-tazkira"),
    ("تذکره الکترونیکي", "e-tazkira"),
    ("جواز دواخانه", "pharmacy-licence"),
    ("نکاحخط", "marriage-certificate"),
    ("تصديق تولد", "birth-certificate"),
    # Pashto: its own letters, or the Dari letters typed for them.
    ("پاسپورټ", "passport"),
    ("د پاسپورټ تمدید", "passport"),
    ("د موټر چلولو جواز", "driving-licence"),
    ("د موتر چلولو جواز", "driving-licence"),
    ("برېښنايي تذکره", "e-tazkira"),
    ("د زیږون تصدیق", "birth-certificate"),
    ("درملتون", "pharmacy-licence"),
    ("درملتن", "pharmacy-licence"),
]


def test_search_forgives_typos_spellings_and_scripts(catalog: None) -> None:
    """The whole table in one test (the catalog takes a second to publish), every miss named."""
    misses = [miss for miss in (check(query, expected) for query, expected in MISSPELLINGS) if miss]
    assert not misses, "\n".join(misses)


def check(query: str, expected: str | set[str]) -> str:
    """What is wrong with the answer to `query` ("" when it is right)."""
    slugs = found(query)
    right = expected <= set(slugs) if isinstance(expected, set) else bool(slugs) and slugs[0] == expected
    return "" if right else f"{query!r}: expected {expected}, found {slugs}"


def test_search_still_refuses_what_nothing_is_like(catalog: None) -> None:
    wrongly = {query: found(query) for query in ["camel", "qqqq", "passport camel", "xyz", "license passport",
                                                 "پاسپورت جواز", "tax", "۱۲۳۴"]}
    assert not {query: slugs for query, slugs in wrongly.items() if slugs}
    assert found("pasport") == ["passport"]
    assert "passport" not in found("license")


def test_the_search_page_lists_the_best_match_first_in_every_language(client: Client, catalog: None) -> None:
    for language in ("en", "fa", "ps"):
        page = client.get(f"/{language}/services/", {"q": "drivng lisence"}).content.decode()
        first = page.index(f'href="/{language}/services/driving-licence/"')
        assert all(page.find(f'href="/{language}/services/{slug}/"') in (-1,) or
                   page.find(f'href="/{language}/services/{slug}/"') > first for slug in LICENCES - {"driving-licence"})


def test_search_within_a_category_or_agency_keeps_its_bounds(catalog: None) -> None:
    transport = services.category_upsert(slug="transport", name={"en": "Transport", "fa": "ت", "ps": "ټ"})
    assert [service.slug for service in selectors.service_list(category=transport, query="lisence")] == [
        "driving-licence"]


def test_the_search_reads_a_fixed_number_of_queries(catalog: None, django_assert_max_num_queries: object) -> None:
    with django_assert_max_num_queries(2):  # type: ignore[operator]
        assert found("pasport")


@pytest.mark.parametrize(("typed", "stored"), [("ي", "ی"), ("ك", "ک"), ("ټ", "ت"), ("ې", "ی"), ("ګ", "گ"), ("۱۲", "12"),
                                                 ("٣", "3"), ("تذكرةٌ", "تذکره"), ("شهادت\u200cنامه", "شهادت نامه")])
def test_letter_variants_diacritics_zwnj_and_digits_fold_to_one(typed: str, stored: str) -> None:
    assert search.query_words(typed) == search.query_words(stored)
