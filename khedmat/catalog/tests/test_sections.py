"""Sections other apps add to the catalog's pages (catalog/sections.py): the catalog shows
what is registered, in order, and stands on its own when nothing is."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from khedmat.catalog import sections
from khedmat.catalog.models import Service

from .test_views import passport  # noqa: F401  (the fixture)


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, sections.Section]]:
    """An empty registry for the test, the real one restored afterwards."""
    empty: dict[str, dict[str, sections.Section]] = {page: {} for page in sections.PAGES}
    monkeypatch.setattr(sections, "_sections", empty)
    return empty


def test_the_centers_add_their_sections_to_both_pages() -> None:
    assert "centers/catalog/home_centers.html" in sections._sections[sections.HOME]
    assert "centers/catalog/service_centers.html" in sections._sections[sections.SERVICE]


def test_without_sections_the_pages_stand_on_their_own(client: Client, passport: Service,  # noqa: F811
                                                       registry: dict[str, Any]) -> None:
    home = client.get("/en/")
    service = client.get("/en/services/passport/")
    assert home.status_code == service.status_code == 200
    assert "Kabul Service Center" not in home.content.decode()
    assert "Where to go" not in service.content.decode()
    assert "Definition version" in service.content.decode()


def test_a_section_gets_the_service_and_is_drawn_with_its_context(client: Client, passport: Service,  # noqa: F811
                                                                   registry: dict[str, Any]) -> None:
    seen: list[Service] = []

    def provider(*, service: Service) -> dict[str, Any]:
        seen.append(service)
        return {"centers": []}

    sections.register(page=sections.SERVICE, template_name="centers/catalog/service_centers.html",
                      provider=provider)
    sections.register(page=sections.SERVICE, template_name="centers/catalog/service_centers.html",
                      provider=provider)  # registering again replaces it
    page = client.get("/en/services/passport/").content.decode()
    assert seen == [passport]
    assert page.count("Where to go") == 1
    assert "This service is not offered at a service center." in page


def test_an_unknown_page_is_refused(registry: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="No catalog page"):
        sections.register(page="category", template_name="x.html", provider=dict)
