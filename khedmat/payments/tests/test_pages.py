"""What the applicant sees: the fee before applying, "Pay now" after, the demo provider's
page, the receipt PDF; and who may see an order."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from pypdf import PdfReader

from khedmat.accounts.models import User
from khedmat.applications.models import Application
from khedmat.catalog.models import Service
from khedmat.payments.models import Payment, PaymentOrder

from .conftest import submit

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_service_page_and_the_form_show_the_official_fee(passport: Service, citizen: User) -> None:
    page = Client().get("/en/services/passport/").content.decode()
    assert "5 years" in page and "5,000 AFN" in page and "8,000 AFN" in page
    form = signed_in(citizen).get("/en/apply/passport/").content.decode()
    assert "Official fee" in form and "5,000 AFN" in form and "8,000 AFN" in form


def test_after_sending_the_applicant_is_asked_to_pay_and_pays_on_the_demo_page(passport: Service,
                                                                               citizen: User) -> None:
    application = submit(passport, citizen)
    order = PaymentOrder.objects.get(application=application)
    client = signed_in(citizen)
    detail = client.get(application.get_absolute_url()).content.decode()
    assert "Pay now" in detail and "5,000 AFN" in detail and order.reference in detail
    order_page = client.get(order.get_absolute_url()).content.decode()
    assert "Demonstration payment" in order_page and "Passport issuance and renewal — 5 years" in order_page
    pay_url = re.search(r'href="([^"]*payments/demo/[^"]*)"', order_page)
    assert pay_url is not None
    demo = client.get(pay_url.group(1).replace("&amp;", "&")).content.decode()
    transaction = re.search(r'name="transaction" value="([^"]+)"', demo)
    assert transaction is not None
    data = {"reference": order.reference, "transaction": transaction.group(1)}
    response = client.post("/en/payments/demo/", data)
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    client.post("/en/payments/demo/", data)  # pressed twice: one payment
    assert Payment.objects.filter(order=order).count() == 1
    assert Application.objects.get(pk=application.pk).state == "submitted"
    paid = client.get(application.get_absolute_url()).content.decode()
    assert "Fee paid" in paid and "Pay now" not in paid and "receipt.pdf" in paid


def test_the_demo_page_finds_an_order_by_a_typed_reference(passport: Service, citizen: User) -> None:
    order = PaymentOrder.objects.get(application=submit(passport, citizen))
    typed = order.reference.lower().replace("-", " ")
    page = Client().get("/en/payments/demo/", {"reference": typed}).content.decode()
    assert "5,000 AFN" in page and "Pay 5,000 AFN" in page
    missing = Client().get("/en/payments/demo/", {"reference": "PAY-XX-1405-000001-0"}).content.decode()
    assert "No payment order has this reference." in missing


def test_the_demo_provider_is_off_unless_enabled(passport: Service, citizen: User, settings: object) -> None:
    settings.PAYMENT_DEMO_ENABLED = False  # type: ignore[attr-defined]
    settings.DEBUG = False  # type: ignore[attr-defined]
    assert Client().get("/en/payments/demo/").status_code == 404
    order = PaymentOrder.objects.get(application=submit(passport, citizen))
    assert "Demonstration payment" not in signed_in(citizen).get(order.get_absolute_url()).content.decode()


def test_an_order_is_the_applicants_own(passport: Service, citizen: User, other_citizen: User,
                                        foreign_officer_client: Client) -> None:
    order = PaymentOrder.objects.get(application=submit(passport, citizen))
    assert signed_in(other_citizen).get(order.get_absolute_url()).status_code == 404
    assert foreign_officer_client.get(order.get_absolute_url()).status_code == 404
    assert Client().get(order.get_absolute_url()).status_code == 302  # to sign in


def test_the_receipt_pdf_names_the_reference_the_fee_line_and_the_amount(passport: Service, citizen: User) -> None:
    from khedmat.payments.services import payment_demo_record

    application = submit(passport, citizen)
    payment_demo_record(application=application, transaction_id="r1")
    order = PaymentOrder.objects.get(application=application)
    response = signed_in(citizen).get(f"/en/payments/{order.public_id}/receipt.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert order.reference in text and "5,000 AFN" in text
    assert "Passport issuance and renewal — 5 years" in text
    assert text.count(order.reference) == 3  # English, Dari and Pashto blocks
    # The Dari and Pashto amounts in Eastern digits (right-to-left extraction may reverse the run).
    assert text.count("۵٬۰۰۰") + text.count("۰۰۰٬۵") >= 4
    # The Dari and Pashto titles, shaped right to left, extract as the words they are.
    lines = [line.replace("\u200b", "").strip() for line in text.splitlines()]
    assert "رسید پرداخت" in lines and "د تادیې رسید" in lines, lines


def test_no_receipt_before_payment(passport: Service, citizen: User) -> None:
    order = PaymentOrder.objects.get(application=submit(passport, citizen))
    assert signed_in(citizen).get(f"/en/payments/{order.public_id}/receipt.pdf").status_code == 404
