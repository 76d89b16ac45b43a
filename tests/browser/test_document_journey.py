"""A document from application to verification, as the people involved see it.

A citizen applies for a passport (her name in Dari), pays the fee on the demonstration
provider's page, the Ministry approves (officer and approver, through the services), she
downloads her certificate; its first page is rendered to PNG (pdftoppm), the QR code is read
from the picture (zxing-cpp) and opened in a browser, as a phone's camera would: "Valid".
The agency revokes it, and the same code then reads "Revoked", with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.availability import unavailable
from tests.browser.test_applications_journey import PDF, sms_code

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

HOLDER = "زرغونه احمدزی"
# Where the rendered first page is copied when asked for (to look at it), e.g.
# KHEDMAT_DOCUMENT_PNG=/tmp/document.png
DOCUMENT_PNG = os.environ.get("KHEDMAT_DOCUMENT_PNG", "")


def test_apply_pay_get_the_document_and_verify_its_qr_code(
        browser: Browser, demo_site: str, tmp_path: Path, settings: Any) -> None:
    from playwright.sync_api import expect

    from khedmat.accounts.models import User
    from khedmat.applications.models import Application
    from khedmat.applications.services import application_transition
    from khedmat.documents.services import document_revoke

    if shutil.which("pdftoppm") is None:
        unavailable("pdftoppm is not installed", install="apt-get install poppler-utils")
    import zxingcpp
    from PIL import Image

    settings.PUBLIC_BASE_URL = demo_site  # the QR code points at this test's server
    settings.PAYMENT_DEMO_ENABLED = True  # the demonstration provider's page, as `make run` has it
    tazkira = tmp_path / "tazkira.pdf"
    tazkira.write_bytes(PDF)

    # --- The citizen applies, on a phone.
    context = browser.new_context(viewport={"width": 360, "height": 780}, accept_downloads=True)
    citizen = context.new_page()
    citizen.goto(f"{demo_site}/en/apply/passport/")
    citizen.get_by_label("Mobile number").fill("0700 000 001")
    citizen.get_by_role("button", name="Send me a code").click()
    citizen.get_by_label("Code from the SMS").fill(sms_code())
    citizen.get_by_role("button", name="Sign in", exact=True).click()
    expect(citizen).to_have_url(f"{demo_site}/en/apply/passport/")
    citizen.get_by_label("Full name").fill(HOLDER)
    citizen.get_by_label("Father's name").fill("محمد نبی")
    birth = citizen.get_by_role("group", name="Date of birth")
    birth.get_by_label("Day", exact=True).fill("1")
    birth.get_by_label("Month", exact=True).select_option(index=1)
    birth.get_by_label("Year", exact=True).fill("1369")
    citizen.get_by_role("group", name="Validity").get_by_label("10 years").check()
    citizen.get_by_role("group", name="Center where you will collect the passport").get_by_label(
        "Kabul Service Center").check()
    citizen.get_by_label("Copy of the Tazkira").set_input_files(tazkira)
    citizen.get_by_role("button", name="Submit the application").click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text("Your application is sent")
    reference = citizen.get_by_text(re.compile(r"MOI-PSP-\d{4}-\d{6}")).first.inner_text().strip()
    application = Application.objects.get(reference=reference)
    file_url = f"{demo_site}{application.get_absolute_url()}"

    # --- She pays the fee on the demonstration provider's page.
    order = application.payment_order  # type: ignore[attr-defined]
    citizen.goto(f"{demo_site}/en/payments/demo/?reference={order.reference}")
    citizen.get_by_role("button", name=re.compile(r"^Pay ")).click()
    application.refresh_from_db()
    assert application.state == "submitted", application.state

    # --- The Ministry reviews and approves: two people.
    officer = User.objects.get(username="officer.moi")
    approver = User.objects.get(username="approver.moi")
    for actor, step in ((officer, "start_review"), (officer, "recommend"), (approver, "approve")):
        application = application_transition(application=application, actor=actor, transition=step,
                                             expected_state=application.state)
    assert application.state == "approved"

    # --- Her file offers the document; she downloads it.
    citizen.goto(file_url)
    with citizen.expect_download() as download_info:
        citizen.get_by_role("link", name="Download your document").click()
    pdf_path = tmp_path / "document.pdf"
    download_info.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")

    # --- Its first page, as a picture; the QR code read from the picture, as a phone would.
    subprocess.run(["pdftoppm", "-r", "110", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf_path),
                    str(tmp_path / "page")], check=True)
    page_png = tmp_path / "page.png"
    if DOCUMENT_PNG:
        shutil.copy(page_png, DOCUMENT_PNG)
    codes = zxingcpp.read_barcodes(Image.open(page_png))
    assert len(codes) == 1, "one QR code on the page"
    url = codes[0].text
    assert url.startswith(f"{demo_site}/verify/?p=AK1."), url

    # --- Anyone who scans it: the camera opens the link.
    checker_context = browser.new_context(viewport={"width": 360, "height": 780}, locale="en-US")
    checker = checker_context.new_page()
    checker.goto(url)
    expect(checker).to_have_url(re.compile(r"/en/verify/\?p=AK1\."))
    expect(checker.get_by_role("heading", name="Valid", exact=True)).to_be_visible()
    facts = checker.locator(".facts")
    expect(facts).to_contain_text(HOLDER)
    expect(facts).to_contain_text(application.issued_documents.get().number)

    # --- The agency revokes it: the same code says so at once.
    document_revoke(document=application.issued_documents.get(),
                    actor=officer, reason="Issued in error")
    checker.reload()
    expect(checker.get_by_role("heading", name="Revoked", exact=True)).to_be_visible()
    expect(checker.get_by_text("Issued in error")).to_be_visible()

    # --- A code altered by one character is called what it is.
    altered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")  # the signature's last characters
    checker.goto(altered)
    expect(checker.get_by_role("heading", name="Not genuine: forged or altered")).to_be_visible()
    expect(checker.locator("body")).not_to_contain_text(HOLDER)
    checker_context.close()
    context.close()
