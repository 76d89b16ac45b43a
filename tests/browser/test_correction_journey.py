"""Sent back for correction, on a 360-pixel phone in Dari and Pashto: the file page says what
to correct, the correction form offers only the questions named (the rest read-only), and
nothing overflows. Screenshots: docs/screenshots/correction-{fa,ps}-360.png (issue 10)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.test import Client

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

SCREENSHOTS_WANTED = os.environ.get("KHEDMAT_SCREENSHOTS") == "1"
DOCS_SCREENSHOTS = Path(settings.BASE_DIR, "docs", "screenshots")
CITIZEN_PHONE = "+93700000001"  # the demonstration citizen (demo/users.yaml)


@pytest.mark.parametrize("language", ["fa", "ps"])
def test_the_correction_form_on_a_phone(browser: Browser, demo_site: str, tmp_path: Path, language: str) -> None:
    from playwright.sync_api import expect

    from khedmat.accounts.models import User
    from khedmat.applications.services import (
        application_draft_save,
        application_submit,
        application_transition,
        correction_request,
    )
    from khedmat.catalog.models import Service
    from khedmat.payments.services import payment_demo_record

    screenshots = DOCS_SCREENSHOTS if SCREENSHOTS_WANTED else tmp_path
    citizen = User.objects.get(phone_number=CITIZEN_PHONE)
    officer = User.objects.get(username="officer.moi")
    passport = Service.objects.get(slug="passport")
    draft = application_draft_save(applicant=citizen, service=passport, data={
        "full_name": "زرغونه احمدزی", "father_name": "محمد نبی", "date_of_birth": "1990-03-21",
        "validity_years": "5"})
    application = application_submit(application=draft, idempotency_key=f"shot-{language}", actor=citizen)
    if application.state == "awaiting_payment":
        application = payment_demo_record(application=application, transaction_id=f"shot-{language}")
    application = application_transition(application=application, actor=officer, transition="start_review",
                                         expected_state="submitted")
    correction_request(application=application, actor=officer, fields=["date_of_birth"],
                       message="تاریخ تولد با تذکره برابر نیست؛ لطفاً آن را مطابق تذکره بنویسید.",
                       expected_state="in_review")

    signed_in = Client()
    signed_in.force_login(citizen)
    context = browser.new_context(viewport={"width": 360, "height": 780})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": signed_in.cookies[
        settings.SESSION_COOKIE_NAME].value, "url": demo_site}])
    page = context.new_page()
    page.goto(f"{demo_site}/{language}/applications/{application.public_id}/")
    expect(page.locator("#correction")).to_be_visible()
    page.screenshot(path=screenshots / f"correction-detail-{language}-360.png", full_page=True)
    page.locator("#correction a.button").click()
    form = page.locator("form.form--application")
    expect(form.locator('input[name="f-date_of_birth-year"]')).to_be_visible()
    assert form.locator('input[name="f-full_name"]').count() == 0  # only the question named
    expect(page.locator("dl.answers")).to_contain_text("زرغونه احمدزی")  # the others, read-only
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=screenshots / f"correction-{language}-360.png", full_page=True)
    context.close()
