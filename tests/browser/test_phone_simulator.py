"""The staff phone simulator in Chromium, as a platform administrator tries the channels of
people without a browser: the USSD menu and an SMS status check, in Dari and Pashto, on a
360-pixel phone; axe-core finds no serious fault. Screenshots go to docs/screenshots/ with
KHEDMAT_SCREENSHOTS=1 (make screenshots)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.test import override_settings

from .test_accessibility import BLOCKING_IMPACTS, describe
from .test_applications_journey import STAFF_PASSWORD, totp_code

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

# A demonstration applicant with files (the demonstration citizen starts with none: demo/applications.yaml).
CITIZEN_PHONE = "+93700000006"
SCREENSHOTS_WANTED = os.environ.get("KHEDMAT_SCREENSHOTS") == "1"


def _shot(page: Page, name: str, tmp_path: Path) -> Path:
    folder = Path(settings.BASE_DIR, "docs", "screenshots") if SCREENSHOTS_WANTED else tmp_path
    path = folder / name
    page.screenshot(path=str(path), full_page=True)
    return path


def _sign_in(page: Page, site: str) -> None:
    page.goto(f"{site}/en/account/staff/sign-in/")
    page.get_by_label("Username").fill("platform.admin")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").fill(totp_code("platform.admin"))
    page.get_by_role("button", name="Sign in").click()


@override_settings(SMS_SIMULATOR_ENABLED=True)
def test_the_ussd_menu_and_an_sms_status_check_in_dari_and_pashto(browser: Browser, demo_site: str,
                                                                  tmp_path: Path) -> None:
    from axe_playwright_python.sync_playwright import Axe

    from khedmat.applications.models import Application

    reference = Application.objects.filter(applicant__phone_number=CITIZEN_PHONE).exclude(
        state="draft").order_by("-submitted_at").values_list("reference", flat=True).first()
    assert reference, "the demonstration citizen has no application"
    axe = Axe()
    faults: list[str] = []
    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 760})
    page = context.new_page()
    _sign_in(page, demo_site)
    from khedmat.accounts.models import User

    for language, choice, my_applications in (("fa", "2", "درخواست"), ("ps", "3", "غوښتن")):
        # The citizen reads this language: the answers by SMS come in it.
        User.objects.filter(phone_number=CITIZEN_PHONE).update(preferred_language=language)
        page.goto(f"{demo_site}/{language}/staff/phone/?mode=ussd&phone={CITIZEN_PHONE}")
        page.locator("button[name=action][value=dial]").click()
        screen = page.locator(".phone__screen")
        assert "دری" in screen.inner_text() and "پښتو" in screen.inner_text()
        page.locator("#sim-choice").fill(choice)
        page.locator("button[name=action][value=send]").click()
        assert my_applications in screen.inner_text()
        page.locator("#sim-choice").fill("1")  # my applications
        page.locator("button[name=action][value=send]").click()
        assert reference in screen.inner_text()
        faults += [describe(page.url, v) for v in axe.run(page).response["violations"]
                   if v["impact"] in BLOCKING_IMPACTS]
        _shot(page, f"ussd-{language}-360.png", tmp_path)

        page.goto(f"{demo_site}/{language}/staff/phone/?mode=sms&phone={CITIZEN_PHONE}")
        keyword = "وضعیت" if language == "fa" else "حالت"
        page.locator("#sim-text").fill(f"{keyword} {reference.lower()}")
        page.locator(".phone__keys button[type=submit]").click()
        thread = page.locator(".phone__thread").inner_text()
        assert reference in thread.split(keyword)[-1]  # the platform's answer names the file
        assert re.search(r"[۰-۹]", thread), "the answer writes numbers in Eastern digits"
        faults += [describe(page.url, v) for v in axe.run(page).response["violations"]
                   if v["impact"] in BLOCKING_IMPACTS]
        _shot(page, f"sms-{language}-360.png", tmp_path)
    context.close()
    assert not faults, "Serious or critical accessibility violations:\n" + "\n".join(faults)
