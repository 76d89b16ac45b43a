"""One public address: served on a port other than 8000, the QR code printed on a document
opens this server's verify page, and an appointment's SMS links to the same server.

The site runs on pytest-django's live server (an ephemeral port); only PUBLIC_BASE_URL is set,
as `make run` sets it from PORT, and DOCUMENTS_VERIFY_BASE_URL is left empty (its default).
The certificate's PDF is rendered to PNG (pdftoppm), the QR code read from the picture
(zxing-cpp) and the decoded address opened over HTTP, as a phone's camera would.
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from pytest_django.live_server_helper import LiveServer

from khedmat.accounts.models import User
from khedmat.catalog.models import Service
from khedmat.centers.selectors import appointment_days, appointment_slot_times
from khedmat.centers.services import appointment_book
from khedmat.centers.tests.conftest import Hall
from khedmat.documents.models import IssuedDocument
from khedmat.documents.selectors import document_pdf
from khedmat.documents.tests.helpers import approved
from khedmat.notifications.models import Message
from tests.availability import unavailable

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(live_server: LiveServer, settings: Any) -> str:
    settings.PUBLIC_BASE_URL = live_server.url
    settings.DOCUMENTS_VERIFY_BASE_URL = ""
    assert urlsplit(live_server.url).port != 8000
    return str(live_server.url)


def test_the_qr_code_of_a_document_opens_this_servers_verify_page(
        site: str, passport: Service, english_citizen: User, officer: User, approver: User,
        tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        unavailable("pdftoppm is not installed", install="apt-get install poppler-utils")
    import zxingcpp
    from PIL import Image

    document = IssuedDocument.objects.get(application=approved(passport, english_citizen, officer, approver))
    pdf_path = tmp_path / "document.pdf"
    pdf_path.write_bytes(document_pdf(document))
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf_path),
                    str(tmp_path / "page")], check=True)
    [code] = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))
    assert code.text.startswith(f"{site}/verify/?p=")
    with urllib.request.urlopen(code.text, timeout=30) as response:  # noqa: S310 (our own test server)
        page = response.read().decode()
        assert response.status == 200
    assert document.number in page
    assert "Valid" in page


def test_an_appointments_sms_links_to_the_same_server(site: str, hall: Hall) -> None:
    schedule = hall.schedule()
    day = next(day for day in appointment_days(schedule=schedule) if day > datetime.date.today())
    first = appointment_slot_times(schedule=schedule, day=day)[0]
    appointment = appointment_book(center=hall.center, service=hall.passport, starts_at=first,
                                   phone="0700 222 333", idempotency_key="book-1", language="en")
    [booked] = Message.objects.filter(template="appointment.booked")
    host = site.split("://", 1)[1]
    link = f"{host}/en/appointments/{appointment.public_id}/"
    assert link in booked.body
    with urllib.request.urlopen(f"http://{link}", timeout=30) as response:
        assert response.status == 200
        assert "Appointment code" in response.read().decode()


def test_the_verify_address_follows_the_public_address_unless_deliberately_set(settings: Any) -> None:
    from khedmat.documents.services import verification_base_url

    settings.PUBLIC_BASE_URL, settings.DOCUMENTS_VERIFY_BASE_URL = "https://khedmat.example.af/", ""
    assert verification_base_url() == "https://khedmat.example.af"
    settings.DOCUMENTS_VERIFY_BASE_URL = "https://verify.example.af"  # a separate verification host
    assert verification_base_url() == "https://verify.example.af"
