"""An agency administrator on a 360 px phone, in Dari, makes an API key, copies it (shown
once), revokes it; the page fits the phone and has no serious accessibility fault (issue 13)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .test_accessibility import BLOCKING_IMPACTS, describe
from .test_applications_journey import STAFF_PASSWORD, totp_code

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def test_an_administrator_makes_and_revokes_a_key_on_a_phone(browser: Browser, demo_site: str) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    from khedmat.api.models import ApiKey

    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 780})
    page = context.new_page()
    page.goto(f"{demo_site}/en/account/staff/sign-in/")
    page.get_by_label("Username").fill("admin.moi")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").fill(totp_code("admin.moi"))
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{demo_site}/fa/office/api-keys/")
    page.get_by_label("نام سیستم").fill("Registry")
    page.get_by_label("خواندن دوسیه‌ها").check()
    page.get_by_role("button", name="کلید را بسازید").click()
    expect(page.locator(".api-keys__token")).to_contain_text("ak_")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{page.url} is {width} px wide"
    faults = [describe(page.url, violation) for violation in Axe().run(page).response["violations"]
              if violation["impact"] in BLOCKING_IMPACTS]
    assert not faults, "\n".join(faults)

    page.get_by_role("button", name="لغو کردن").first.click()
    assert ApiKey.objects.filter(name="Registry", revoked_at__isnull=False).count() == 1
    context.close()
