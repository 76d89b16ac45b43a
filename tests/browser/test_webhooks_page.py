"""An agency administrator on a 360 px phone, in Dari, subscribes a receiver, copies the
secret (shown once), sends a test event and reads it in the delivery log; the pages fit the
phone and have no serious accessibility fault (issue 13, webhooks)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from .test_accessibility import BLOCKING_IMPACTS, describe
from .test_applications_journey import STAFF_PASSWORD, totp_code

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def test_an_administrator_subscribes_and_sends_a_test_event_on_a_phone(browser: Browser, demo_site: str,
                                                                        tmp_path: Path) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    from khedmat.api.models import WebhookDelivery
    from khedmat.api.tests.receiver import receiver

    screenshots = Path(settings.BASE_DIR, "docs", "screenshots") if os.environ.get("KHEDMAT_SCREENSHOTS") == "1" \
        else tmp_path
    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 780})
    page = context.new_page()
    page.goto(f"{demo_site}/en/account/staff/sign-in/")
    page.get_by_label("Username").fill("admin.moi")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").fill(totp_code("admin.moi"))
    page.get_by_role("button", name="Sign in").click()

    with receiver() as hook:
        page.goto(f"{demo_site}/fa/office/api-keys/")
        page.get_by_role("link", name="وب‌هوک‌ها").click()
        page.get_by_label("آدرسی که رویدادها را می‌گیرد (https://…)").fill(hook.url)
        page.get_by_label("یک دوسیه فرستاده شد").check()
        page.get_by_label("یک سند صادر شد").check()
        page.get_by_role("button", name="ثبت کنید").click()
        expect(page.locator(".webhooks__secret")).to_contain_text("whsec_")
        for shown in (page,):
            width = shown.evaluate("document.documentElement.scrollWidth")
            assert width <= shown.evaluate("window.innerWidth"), f"{shown.url} is {width} px wide"
        page.get_by_role("link", name="باز کردن وب‌هوک").click()
        page.get_by_role("button", name="فرستادن رویداد آزمایشی").click()
        expect(page.locator(".webhook-log")).to_contain_text("رویداد آزمایشی")
        assert [item.json()["type"] for item in hook.received] == ["webhook.test"]
    assert WebhookDelivery.objects.get().status == "delivered"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{page.url} is {width} px wide"
    faults = [describe(page.url, violation) for violation in Axe().run(page).response["violations"]
              if violation["impact"] in BLOCKING_IMPACTS]
    assert not faults, "\n".join(faults)
    page.screenshot(path=screenshots / "webhooks-fa-360.png", full_page=True)
    context.close()
