"""In a browser: the applicant sees "Pay now", pays on the demonstration provider's page, and
downloads the receipt, whose text names the payment reference and the amount."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.test import Client

from khedmat.accounts.models import User
from khedmat.applications.models import Application
from khedmat.catalog.models import Service
from khedmat.payments.models import PaymentOrder

from .conftest import submit

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from pytest_django.live_server_helper import LiveServer

pytestmark = pytest.mark.browser


def test_the_applicant_pays_on_the_demo_page_and_gets_the_receipt(
        browser: Browser, live_server: LiveServer, transactional_db: None,
        passport: Service, citizen: User) -> None:
    from playwright.sync_api import expect
    from pypdf import PdfReader

    application = submit(passport, citizen)
    order = PaymentOrder.objects.get(application=application)
    signed_in = Client()
    signed_in.force_login(citizen)
    context = browser.new_context(viewport={"width": 360, "height": 780}, accept_downloads=True)
    context.add_cookies([{"name": "sessionid", "value": signed_in.cookies["sessionid"].value,
                          "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}{application.get_absolute_url()}")
    box = page.locator(".payment-box")
    expect(box).to_contain_text("5,000 AFN")
    expect(box).to_contain_text(order.reference)
    box.get_by_role("link", name="Pay now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay the fee")
    page.get_by_role("link", name="Pay now").click()
    page.get_by_role("button", name="Pay 5,000 AFN").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fee paid")
    assert Application.objects.get(pk=application.pk).state == "submitted"
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the receipt (PDF)").click()
    content = Path(download_info.value.path()).read_bytes()
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert order.reference in text and re.search(r"Amount paid: 5,000 AFN", text)
    context.close()
