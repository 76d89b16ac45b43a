"""Complaints by the channels of people without a browser, and by an operator for someone, in
Chromium: a USSD complaint in Dari and an SMS complaint in Pashto through the staff phone
simulator, and the operator's three pages in Dari at 360 pixels; axe-core finds no serious
fault, no page is wider than the phone. Screenshots go to docs/screenshots/ with
KHEDMAT_SCREENSHOTS=1."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.test import override_settings

from .test_accessibility import BLOCKING_IMPACTS, describe
from .test_applications_journey import STAFF_PASSWORD
from .test_phone_simulator import _shot, _sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

WALK_IN = "+93700777888"


def _faults(page: Page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    return [describe(page.url, v) for v in Axe().run(page).response["violations"] if v["impact"] in BLOCKING_IMPACTS]


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width} px wide"


@override_settings(SMS_SIMULATOR_ENABLED=True)
def test_a_complaint_by_ussd_in_dari_and_by_sms_in_pashto(browser: Browser, demo_site: str, tmp_path: Path) -> None:
    from khedmat.complaints.models import Complaint

    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 760})
    page = context.new_page()
    _sign_in(page, demo_site)
    page.goto(f"{demo_site}/fa/staff/phone/?mode=ussd&phone={WALK_IN}")
    page.locator("button[name=action][value=dial]").click()
    screen = page.locator(".phone__screen")
    for choice in ("2", "6", "2", "1", "3", "کارمند کلکین از من پول اضافه خواست"):
        page.locator("#sim-choice").fill(choice)
        page.locator("button[name=action][value=send]").click()
    assert "بلی" in screen.inner_text()
    faults = _faults(page)
    _shot(page, "ussd-complaint-fa-360.png", tmp_path)
    page.locator("#sim-choice").fill("1")
    page.locator("button[name=action][value=send]").click()
    complaint = Complaint.objects.get(phone=WALK_IN, channel="ussd")
    assert complaint.reference in screen.inner_text() and complaint.category == "payment"

    page.goto(f"{demo_site}/ps/staff/phone/?mode=sms&phone={WALK_IN}")
    page.locator("#sim-text").fill(f"ګیله {complaint.reference.lower()}")
    page.locator(".phone__keys button[type=submit]").click()
    thread = page.locator(".phone__thread").inner_text()
    assert complaint.reference in thread.split("ګیله")[-1] and re.search(r"[۰-۹]", thread)
    faults += _faults(page)
    _fits(page)
    _shot(page, "sms-complaint-ps-360.png", tmp_path)
    context.close()
    assert not faults, "Serious or critical accessibility violations:\n" + "\n".join(faults)


def test_an_operator_files_a_complaint_for_someone_in_dari(browser: Browser, demo_site: str, tmp_path: Path) -> None:
    from khedmat.complaints.models import Complaint
    from khedmat.notifications.models import Message

    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 760})
    page = context.new_page()
    page.goto(f"{demo_site}/fa/account/staff/sign-in/")
    page.fill("input[name=username]", "operator.kbl")
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.locator("form button[type=submit]").click()
    page.goto(f"{demo_site}/fa/center/complaints/new/")
    faults = _faults(page)
    _fits(page)
    _shot(page, "assisted-complaint-fa-360.png", tmp_path)
    page.fill("input[name=phone_number]", "۰۷۰۰ ۷۷۷ ۸۸۸")
    page.check("input[name=about][value=staff]")
    page.select_option("select[name=category]", "conduct")
    page.fill("textarea[name=description]", "کارمند کلکین ۳ بر مادرم داد زد و او را بیرون کرد.")
    page.locator("form.form button[type=submit]").click()
    faults += _faults(page)
    _fits(page)
    sms = Message.objects.filter(to=WALK_IN, template="complaint.consent_code_requested").latest("id")
    code = re.search(r"(\d{6})", sms.body)
    assert code is not None
    page.fill("input[name=code]", code.group(1))
    page.locator("form.form button[type=submit]").click()
    complaint = Complaint.objects.get(phone=WALK_IN, channel="center")
    assert complaint.reference in page.inner_text("main")
    faults += _faults(page)
    _fits(page)
    context.close()
    assert not faults, "Serious or critical accessibility violations:\n" + "\n".join(faults)
