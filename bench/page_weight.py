"""Measure what every public page costs on a slow mobile link: its HTML plus the stylesheets,
scripts and images it links, each gzip-compressed (level 6), against a budget of 30 KB a page.

    .venv/bin/python bench/page_weight.py          # or: make bench

Runs against a scratch SQLite database (var/bench.sqlite3) that it migrates and seeds itself,
with the settings in DJANGO_SETTINGS_MODULE (default config.settings.local). Prints one row a
page, then the heaviest page; exits with 1 if any page is over the budget. Sizes do not depend
on timing, so tests/test_page_weight.py checks the same budget in the suite.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpResponseBase
    from django.test import Client

BASE_DIR = Path(__file__).resolve().parent.parent
BUDGET_BYTES = 30 * 1024
LANGUAGES = ("en", "fa", "ps")
SEARCH_QUERY = "passport"


@dataclass(frozen=True)
class PageWeight:
    url: str
    html_gz: int
    assets_gz: int
    assets: tuple[str, ...]

    @property
    def total(self) -> int:
        return self.html_gz + self.assets_gz

    @property
    def within_budget(self) -> bool:
        return self.total <= BUDGET_BYTES


class LinkedAssets(HTMLParser):
    """The files a browser fetches to show a page: stylesheets, icons, scripts and images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        rel = (attributes.get("rel") or "").lower().split()
        if tag == "link" and ("stylesheet" in rel or "icon" in rel):
            self._add(attributes.get("href"))
        elif tag in ("script", "img"):
            self._add(attributes.get("src"))

    def _add(self, url: str | None) -> None:
        if url and not url.startswith("data:") and url not in self.urls:
            self.urls.append(url)


def gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def _body(response: HttpResponseBase) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content  # type: ignore[attr-defined,no-any-return]


def asset_bytes(client: Client, url: str) -> bytes:
    """A linked file as served: from the static source folders, else through the application."""
    from django.conf import settings
    from django.contrib.staticfiles import finders

    if url.startswith(settings.STATIC_URL):
        found = finders.find(url.removeprefix(settings.STATIC_URL).split("?")[0])
        if isinstance(found, str):
            return Path(found).read_bytes()
    response = client.get(url, secure=True)
    if response.status_code != 200:
        raise LookupError(f"{url} answered {response.status_code}")
    return _body(response)


def measure_page(client: Client, url: str) -> PageWeight:
    """Fetch one page and weigh it with everything it links, each file compressed on its own."""
    response = client.get(url, secure=True)
    if response.status_code != 200:
        raise LookupError(f"{url} answered {response.status_code}")
    body = _body(response)
    assets: tuple[str, ...] = ()
    if response["Content-Type"].startswith("text/html"):
        parser = LinkedAssets()
        parser.feed(body.decode(response.charset or "utf-8"))
        assets = tuple(parser.urls)
    return PageWeight(url=url, html_gz=gzip_size(body), assets=assets,
                      assets_gz=sum(gzip_size(asset_bytes(client, asset)) for asset in assets))


def public_urls(languages: Iterable[str] = LANGUAGES) -> list[str]:
    """Every page a visitor can reach without signing in, in each language, and /healthz."""
    from django.urls import reverse
    from django.utils import translation

    from khedmat.catalog import selectors
    from khedmat.centers import selectors as center_selectors

    urls = []
    for language in languages:
        with translation.override(language):
            services = reverse("catalog:services")
            urls += [reverse("catalog:home"), services, f"{services}?q={SEARCH_QUERY}"]
            urls += [category.get_absolute_url() for category in selectors.category_list()]
            urls.append(reverse("catalog:agencies"))
            urls += [agency.get_absolute_url() for agency in selectors.agency_list()]
            urls += [service.get_absolute_url() for service in selectors.service_list()]
            urls.append(reverse("accounts:login"))
            urls.append(reverse("centers:appointment_start"))
            urls.append(reverse("documents:verify"))
            urls.append(reverse("centers:device_pair"))
            urls += [reverse("complaints:new"), reverse("complaints:find")]
            # The kiosk itself answers only a paired screen (others are sent to the join page).
            for center in center_selectors.center_list():
                urls += [reverse(f"centers:{name}", kwargs={"slug": center.slug}) for name in ("board", "join")]
    urls.append(reverse("healthz"))
    return urls


def format_table(weights: list[PageWeight]) -> str:
    width = max(len(weight.url) for weight in weights)
    lines = [f"{'URL':<{width}}  {'HTML gz':>8}  {'assets gz':>9}  {'total':>7}",
             "-" * (width + 32)]
    lines += [f"{w.url:<{width}}  {w.html_gz:>8,}  {w.assets_gz:>9,}  {w.total:>7,}"
              + ("" if w.within_budget else "  OVER BUDGET") for w in weights]
    heaviest = max(weights, key=lambda weight: weight.total)
    over = [weight for weight in weights if not weight.within_budget]
    lines += ["", f"{len(weights)} pages; heaviest {heaviest.url}: {heaviest.total:,} bytes "
                  f"(budget {BUDGET_BYTES:,} bytes, gzip level 6)",
              "Every page is within the budget." if not over else f"{len(over)} page(s) over the budget."]
    return "\n".join(lines)


def set_up_django(database_url: str) -> None:
    """Configure Django against a scratch database, migrated and seeded with the demonstration data."""
    import django

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DATABASE_URL"] = database_url
    django.setup()

    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()  # lets the test client in as "testserver"
    call_command("compile_translations", verbosity=0)
    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", quiet=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database-url", default=f"sqlite:///{BASE_DIR / 'var' / 'bench.sqlite3'}",
                        help="scratch database to migrate and seed (default: var/bench.sqlite3)")
    args = parser.parse_args(argv)
    (BASE_DIR / "var").mkdir(exist_ok=True)
    set_up_django(args.database_url)

    from django.test import Client

    client = Client()
    weights = [measure_page(client, url) for url in public_urls()]
    print(format_table(weights))
    return 0 if all(weight.within_budget for weight in weights) else 1


if __name__ == "__main__":
    sys.exit(main())
