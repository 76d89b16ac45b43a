"""The 30 KB budget: a page with its stylesheet, scripts and images, gzip-compressed.

Uses the measuring function of bench/page_weight.py (`make bench` weighs every public URL);
sizes do not depend on timing, so this is an ordinary test.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client


def load_bench() -> ModuleType:
    path = Path(settings.BASE_DIR, "bench", "page_weight.py")
    spec = importlib.util.spec_from_file_location("bench_page_weight", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


page_weight = load_bench()


@pytest.fixture
def demo_catalog(db: None) -> None:
    call_command("seed_demo", quiet=True)


def test_public_urls_cover_every_kind_of_page_in_three_languages(demo_catalog: None) -> None:
    urls = page_weight.public_urls()
    for language in ("en", "fa", "ps"):
        assert f"/{language}/" in urls
        assert f"/{language}/services/" in urls
        assert f"/{language}/services/?q=passport" in urls
        assert f"/{language}/services/agencies/" in urls
        assert f"/{language}/services/passport/" in urls
        assert f"/{language}/account/sign-in/" in urls
        assert f"/{language}/complaints/new/" in urls
        assert any(url.startswith(f"/{language}/services/categories/") for url in urls)
        assert any(url.startswith(f"/{language}/services/agencies/") and url != f"/{language}/services/agencies/"
                   for url in urls)
    assert "/healthz" in urls
    assert len(urls) == len(set(urls))


@pytest.mark.parametrize("language", ["en", "fa", "ps"])
def test_main_pages_are_within_the_budget(client: Client, demo_catalog: None, language: str) -> None:
    paths = ["", "services/", "services/?q=passport", "services/agencies/", "services/passport/"]
    weights = [page_weight.measure_page(client, f"/{language}/{path}") for path in paths]
    for weight in weights:
        assert weight.assets, f"{weight.url} links no stylesheet"
    print(page_weight.format_table(weights))
    over = [(weight.url, weight.total) for weight in weights if weight.total > page_weight.BUDGET_BYTES]
    assert not over, f"over the {page_weight.BUDGET_BYTES:,}-byte budget: {over}"


def test_the_measure_counts_html_and_linked_files_compressed(client: Client, demo_catalog: None) -> None:
    weight = page_weight.measure_page(client, "/en/")
    assert "/static/css/site.css" in weight.assets
    css = Path(settings.BASE_DIR, "khedmat/core/static/css/site.css").read_bytes()
    assert page_weight.gzip_size(css) < len(css)
    assert weight.assets_gz >= page_weight.gzip_size(css)
    assert weight.total == weight.html_gz + weight.assets_gz


@pytest.mark.parametrize("language", ["en", "fa", "ps"])
def test_complaint_pages_are_within_the_budget(client: Client, demo_catalog: None, language: str) -> None:
    """The form (with every service and centre to choose from) and an answered complaint's page."""
    from django.db.models import F

    from khedmat.complaints.models import Complaint

    answered = Complaint.objects.order_by(F("answered_at").desc(nulls_last=True), "id").first()
    assert answered is not None and answered.answer
    paths = ["complaints/new/", "complaints/new/?service=passport", "complaints/find/",
             f"complaints/{answered.public_id}/"]
    weights = [page_weight.measure_page(client, f"/{language}/{path}") for path in paths]
    print(page_weight.format_table(weights))
    over = [(weight.url, weight.total) for weight in weights if weight.total > page_weight.BUDGET_BYTES]
    assert not over, f"over the {page_weight.BUDGET_BYTES:,}-byte budget: {over}"
