"""What the public catalog's pages read (docs/performance.md): statement counts of the pages
every visitor opens, and a published definition parsed once per process, not on every load."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from khedmat.catalog.models import Service, ServiceVersion
from khedmat.catalog.tests.test_views import passport  # noqa: F401 - the fixture
from khedmat.core.formatting import format_number


@pytest.mark.parametrize(("path", "most"), [
    ("/en/", 3),  # centres, categories, agencies
    ("/en/services/passport/", 2),  # the service with its version and agency, the centres offering it
    ("/fa/services/", 2),  # the services, the categories with their counts
])
def test_public_pages_read_a_fixed_number_of_statements(client: Client, passport: Service,  # noqa: F811
                                                        path: str, most: int) -> None:
    """Rendered afresh (the kept body dropped): a kept one reads nothing (test_fragments.py)."""
    client.get(path)
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    assert len(captured) <= most, [query["sql"] for query in captured.captured_queries]


def test_a_published_definition_is_parsed_once_per_process(passport: Service,  # noqa: F811
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    first = ServiceVersion.objects.get(service=passport).definition
    parsed: list[str] = []
    real_loads = json.loads

    def counting_loads(text: str, *args: Any, **kwargs: Any) -> Any:
        parsed.append(text)
        return real_loads(text, *args, **kwargs)

    monkeypatch.setattr(json, "loads", counting_loads)
    again = ServiceVersion.objects.get(service=passport).definition
    listed = [service.current_version.definition for service in Service.objects.select_related("current_version")
              if service.current_version is not None]
    assert parsed == []
    assert again == first and again is first and listed[0] is first


def test_a_changed_text_is_parsed_again(passport: Service) -> None:  # noqa: F811
    """The cache is keyed by the text itself: a different text is never given another's value."""
    version = ServiceVersion.objects.get(service=passport)
    changed = {**version.definition, "code": "PSX"}
    ServiceVersion.objects.filter(pk=version.pk).update(definition=changed)
    assert ServiceVersion.objects.get(pk=version.pk).definition["code"] == "PSX"


def test_numbers_written_from_memory_are_written_as_before() -> None:
    assert format_number(1500, "en") == "1,500" == format_number(1500, "en")
    assert format_number(1500, "fa") == "۱٬۵۰۰"
    assert format_number(1.5, "en") == "1.5" and format_number(2, "ps") == "۲"
