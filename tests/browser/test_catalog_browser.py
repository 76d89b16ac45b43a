"""A citizen's journey through the catalog on a phone with JavaScript off: search, open a
service, switch to Dari, and get a mirrored page with the fee in Eastern Arabic-Indic digits."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

EASTERN_DIGIT = re.compile("[۰-۹]")
WESTERN_DIGIT = re.compile("[0-9]")


def test_find_a_service_and_read_it_in_dari_without_javascript(browser: Browser, demo_site: str) -> None:
    from playwright.sync_api import expect

    width = 1280
    context = browser.new_context(java_script_enabled=False, viewport={"width": width, "height": 900})
    page = context.new_page()

    page.goto(f"{demo_site}/en/")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.get_by_label("Search for a service").fill("passport")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/en/services/\?q=passport$"))

    page.get_by_role("link", name="Passport issuance and renewal").click()
    expect(page).to_have_url(f"{demo_site}/en/services/passport/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Passport issuance and renewal")
    brand = page.locator(".brand").bounding_box()
    assert brand is not None and brand["x"] < width / 2, brand  # left to right: the brand starts at the left

    page.get_by_role("link", name="دری").click()
    expect(page).to_have_url(f"{demo_site}/fa/services/passport/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "fa-AF")
    expect(page.get_by_role("heading", level=1)).to_have_text("صدور و تمدید پاسپورت")

    # The layout mirrors: the brand now sits at the right edge of the page.
    brand = page.locator(".brand").bounding_box()
    assert brand is not None and brand["x"] > width / 2, brand

    fee = page.locator(".facts dd").first.inner_text()
    assert EASTERN_DIGIT.search(fee) and not WESTERN_DIGIT.search(fee), fee
    context.close()
