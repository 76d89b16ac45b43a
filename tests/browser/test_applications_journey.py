"""One application from start to decision, in the browser, as the people involved see it.

A citizen applies for a passport in Dari on a phone-sized screen (a Solar Hijri date, a
scanned Tazkira), the Ministry's officer asks for more information, the citizen answers
with text and a new file, the officer recommends approval, a second person approves, and
the citizen sees the decision and who opened their file (by role and office, not by name).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import translation

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page

pytestmark = pytest.mark.browser

# The journey's screenshots land in docs/screenshots/ when asked for
# (KHEDMAT_SCREENSHOTS=1, as `make screenshots` does), otherwise beside the test's temporary files.
SCREENSHOTS_WANTED = os.environ.get("KHEDMAT_SCREENSHOTS") == "1"
DOCS_SCREENSHOTS = Path(settings.BASE_DIR, "docs", "screenshots")
CITIZEN_PHONE = "+93700000001"  # the demonstration citizen (demo/users.yaml)
STAFF_PASSWORD = "demo-pass-2026"
STAFF_NAMES = ("Mariam Sultani", "Abdul Rahim Wardak")  # officer.moi, approver.moi: never shown to the citizen
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
REFERENCE = re.compile(r"MOI-PSP-\d{4}-\d{6}")


def fa(text: str) -> str:
    """`text` as the Dari pages show it (the catalog's translation, or the English if none)."""
    with translation.override("fa"):
        return translation.gettext(text)


def sms_code() -> str:
    from khedmat.notifications.selectors import sms_last_to

    sms = sms_last_to(phone_number=CITIZEN_PHONE)
    assert sms is not None, "no SMS was sent to the citizen"
    match = re.search(r"\b(\d{6})\b", sms.body)
    assert match, sms.body
    return match.group(1)


def totp_code(username: str) -> str:
    """The code the staff member's authenticator app shows now (as `manage.py totp_code`)."""
    from django_otp.oath import TOTP

    from khedmat.accounts import selectors
    from khedmat.accounts.models import User

    device = selectors.totp_device_confirmed(user=User.objects.get(username=username))
    assert device is not None, f"{username} has no authenticator"
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


def staff_signs_in(browser: Browser, site: str, username: str) -> tuple[BrowserContext, Page]:
    """A staff member opens the back office in English and signs in: password, then TOTP."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{site}/en/office/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").fill(totp_code(username))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{site}/en/office/")
    return context, page


def action_form(page: Page, step: str) -> Locator:
    """The form of one workflow step on the file page (a step with a reason is a fieldset)."""
    return page.locator("form.office-action").filter(has=page.get_by_role("button", name=step, exact=True))


def test_apply_in_dari_answer_a_request_and_get_a_two_person_approval(
        browser: Browser, demo_site: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from khedmat.applications.models import Application

    SCREENSHOTS = DOCS_SCREENSHOTS if SCREENSHOTS_WANTED else tmp_path / "screenshots"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tazkira = tmp_path / "tazkira.pdf"
    tazkira.write_bytes(PDF)
    birth_certificate = tmp_path / "birth-certificate.pdf"
    birth_certificate.write_bytes(PDF)

    # --- The citizen, on a phone, in Dari: sign in by SMS on the way to the form.
    citizen_context = browser.new_context(viewport={"width": 360, "height": 780})
    citizen = citizen_context.new_page()
    citizen.goto(f"{demo_site}/fa/services/passport/")
    citizen.get_by_role("link", name=fa("Apply online")).click()
    citizen.get_by_label(fa("Mobile number")).fill("0700 000 001")
    citizen.get_by_role("button", name=fa("Send me a code")).click()
    citizen.get_by_label(fa("Code from the SMS")).fill(sms_code())
    citizen.get_by_role("button", name=fa("Sign in"), exact=True).click()
    expect(citizen).to_have_url(f"{demo_site}/fa/apply/passport/")
    expect(citizen.get_by_role("heading", level=1)).to_have_text("صدور و تمدید پاسپورت")

    # The form, in the service's Dari words; the birth date in the Solar Hijri calendar
    # (1 Hamal 1369 is 21 March 1990), the year typed in Eastern Arabic-Indic digits.
    citizen.get_by_label("نام کامل").fill("زرغونه احمدزی")
    citizen.get_by_label("نام پدر").fill("محمد نبی")
    birth = citizen.get_by_role("group", name="تاریخ تولد")
    birth.get_by_label(fa("Day"), exact=True).fill("1")
    birth.get_by_label(fa("Month"), exact=True).select_option(label="حمل (۱)")
    birth.get_by_label(fa("Year"), exact=True).fill("۱۳۶۹")
    citizen.get_by_role("group", name="مدت اعتبار").get_by_label("۵ سال").check()
    citizen.get_by_role("group", name="مرکزی که پاسپورت را از آن تحویل می‌گیرید").get_by_label(
        "مرکز خدمات کابل").check()
    citizen.get_by_label("کاپی تذکره").set_input_files(tazkira)
    citizen.screenshot(path=SCREENSHOTS / "apply-form-fa-360.png", full_page=True)
    citizen.get_by_role("button", name=fa("Submit the application")).click()

    expect(citizen.get_by_role("heading", level=1)).to_have_text(fa("Your application is sent"))
    reference = citizen.get_by_text(REFERENCE).first.inner_text().strip()
    application = Application.objects.get(reference=reference)
    assert application.data["date_of_birth"] == "1990-03-21", application.data
    assert application.documents.get().original_name == "tazkira.pdf"
    file_url = citizen.url.replace("/submitted/", "/")

    # --- The fee is paid through the demo payment provider, which moves the file on.
    expect(citizen.locator(".payment-box")).to_contain_text(application.payment_order.reference)
    with override_settings(PAYMENT_DEMO_ENABLED=True):
        citizen.locator(".payment-box").get_by_role("link").click()
        citizen.locator(".payment-way a.button").first.click()
        citizen.locator("form[method=post] button[type=submit]").click()
    application.refresh_from_db()
    assert application.state == "submitted", application.state

    # --- The officer opens the file, starts the review and asks for more information.
    officer_context, officer = staff_signs_in(browser, demo_site, "officer.moi")
    officer.get_by_role("link", name=reference, exact=True).click()
    expect(officer.get_by_role("heading", level=1)).to_have_text(reference)
    action_form(officer, "Start review").get_by_role("button", name="Start review").click()
    asking = action_form(officer, "Ask for more information")
    asking.get_by_label("Explanation").fill(
        "The Tazkira scan is hard to read. Please also send your birth certificate.")
    asking.get_by_role("button", name="Ask for more information").click()
    expect(officer.locator(".facts")).to_contain_text("More information needed")
    officer.screenshot(path=SCREENSHOTS / "office-file-en-1280.png", full_page=True)

    # --- The citizen reads the question on their file and answers with text and a new file.
    citizen.goto(file_url)
    expect(citizen.locator(".facts")).to_contain_text("معلومات بیشتر لازم است")
    expect(citizen.get_by_text("The Tazkira scan is hard to read.").first).to_be_visible()
    citizen.get_by_label(fa("Your answer")).fill("شهادت‌نامهٔ تولد را فرستادم.")
    citizen.get_by_text(fa("Attach files")).click()
    citizen.get_by_label(fa("Another document")).set_input_files(birth_certificate)
    citizen.get_by_role("button", name="ارسال معلومات").click()
    expect(citizen.get_by_text(fa("Your answer is sent to the agency."))).to_be_visible()
    expect(citizen.locator(".facts")).to_contain_text("در حال بررسی")

    # --- The officer sees the answer and recommends approval, but cannot approve.
    officer.reload()
    expect(officer.get_by_text("شهادت‌نامهٔ تولد را فرستادم.")).to_be_visible()
    expect(officer.get_by_role("link", name="birth-certificate.pdf")).to_be_visible()
    action_form(officer, "Recommend approval").get_by_role("button", name="Recommend approval").click()
    expect(officer.locator(".facts")).to_contain_text("Awaiting approval")
    expect(officer.get_by_role("button", name="Approve", exact=True)).to_have_count(0)
    # Even a hand-made request for the approval step is refused, and changes nothing.
    token = officer.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    refused = officer.request.post(f"{officer.url}act/", form={
        "csrfmiddlewaretoken": token, "transition": "approve", "approve-expected_state": "awaiting_approval"})
    assert refused.status == 400, refused.status
    assert "Nothing was changed" in refused.text() and "This step is not possible now." in refused.text()
    officer_context.close()

    # --- A second person, the approver, approves.
    approver_context, approver = staff_signs_in(browser, demo_site, "approver.moi")
    approver.get_by_role("link", name=reference, exact=True).click()
    approving = action_form(approver, "Approve")
    expect(approving).to_contain_text("Needs a second person")
    approving.get_by_role("button", name="Approve").click()
    expect(approver.locator(".facts")).to_contain_text("Approved")
    approver_context.close()
    application.refresh_from_db()
    assert application.state == "approved" and not application.is_final  # then printed, handed over

    # --- The citizen sees the decision, and who opened the file: a role and an office, no name.
    citizen.goto(file_url)
    expect(citizen.locator(".facts")).to_contain_text("تأیید شد")
    # Where she will collect the passport: the center she chose, its address and hours.
    expect(citizen.locator(".collection-box")).to_contain_text("مرکز خدمات کابل")
    access_log = citizen.locator(".access-log")
    by_the_officer = (access_log.get_by_role("row").filter(has_text=fa("opened your file"))
                      .filter(has_text=fa("Agency officer")))
    expect(by_the_officer.first).to_contain_text("وزارت امور داخله")
    for name in STAFF_NAMES:
        expect(citizen.locator("body")).not_to_contain_text(name)
    citizen.screenshot(path=SCREENSHOTS / "application-fa-360.png", full_page=True)
    citizen_context.close()
