"""A lost phone, end to end: the agency administrator resets the officer's second factor,
the officer sets up a new authenticator from the link on a phone, in Dari, keeps the
recovery codes, and later signs in with one of them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from .test_accessibility import BLOCKING_IMPACTS, describe
from .test_applications_journey import STAFF_PASSWORD, staff_signs_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser


def pending_totp(username: str) -> str:
    """The code the officer's new authenticator app shows now (the one being set up)."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__username=username, confirmed=False)
    return str(TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()).zfill(6)


def axe_faults(page: Page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [describe(page.url, violation) for violation in results.response["violations"]
            if violation["impact"] in BLOCKING_IMPACTS]


def test_a_lost_phone_reset_enrolment_by_link_and_a_recovery_code(browser: Browser, demo_site: str) -> None:
    from playwright.sync_api import expect

    # The administrator, in the admin: the officer's account, its second factor, a reset with a reason.
    context, page = staff_signs_in(browser, demo_site, "admin.moi")
    page.goto(f"{demo_site}/admin/accounts/user/?q=officer.moi")
    page.get_by_role("link", name="officer.moi").click()
    page.get_by_role("link", name="Manage the second factor").click()
    page.get_by_label("Reason").fill("lost phone")
    page.get_by_role("button", name="Reset the second factor and issue a set-up code").click()
    link = re.search(r"https?://\S+/account/staff/set-up/\d{12}/", page.locator("#issued-code").inner_text())
    assert link, page.locator("#issued-code").inner_text()
    context.close()

    # The officer, on a phone, in Dari: the link, the password, the code filled in, the QR code.
    phone = browser.new_context(viewport={"width": 360, "height": 780}, bypass_csp=True)
    page = phone.new_page()
    page.goto(demo_site + link.group(0)[link.group(0).index("/", 8):])
    page.get_by_label("نام کاربری").fill("officer.moi")
    page.get_by_label("رمز عبور").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="ادامه").click()
    expect(page).to_have_url(f"{demo_site}/fa/account/staff/second-factor/set-up/")
    faults = axe_faults(page)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("img.qr")).to_be_visible()
    faults += axe_faults(page)
    page.locator("#id_code").fill(pending_totp("officer.moi"))
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(f"{demo_site}/fa/account/staff/recovery-codes/")
    faults += axe_faults(page)
    codes = page.locator("code.secret").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"\d{5}-\d{5}", code) for code in codes), codes
    page.locator("a.button").click()
    expect(page).to_have_url(f"{demo_site}/fa/office/")
    phone.close()

    # Another day, without the phone: password, then a recovery code in place of the app's code.
    later = browser.new_context(viewport={"width": 360, "height": 780}, bypass_csp=True)
    page = later.new_page()
    page.goto(f"{demo_site}/fa/account/staff/sign-in/")
    page.get_by_label("نام کاربری").fill("officer.moi")
    page.get_by_label("رمز عبور").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="ادامه").click()
    page.locator("#id_code").fill(codes[0])
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(f"{demo_site}/fa/office/")
    page.goto(f"{demo_site}/fa/account/staff/sign-in/recovery/")
    faults += axe_faults(page)
    later.close()
    assert not faults, "Serious or critical accessibility violations:\n" + "\n".join(faults)
