"""Assisted filing tells the fee: an operator files a passport for a walk-in citizen; the done
page, the printable slip and one SMS give the amount, the payment reference and where to pay."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.applications.models import Application
from khedmat.applications.tests.test_assisted import WALK_IN, _center, _client, _consent_key, _fill, _send_code, _start
from khedmat.catalog.models import Service
from khedmat.core.formatting import format_amount
from khedmat.notifications.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(passport: Service) -> User:
    center = _center("KBL", "Kabul Center", [passport])
    return staff_user_create(username="operator.kbl", password="pass-for-tests-1", role=Role.OPERATOR,
                             center=center, full_name="Nadia Rahimi")


def _file(client: Client, passport: Service) -> tuple[Application, str, dict[str, str]]:
    application = _start(client, passport)  # the citizen reads Dari
    _fill(client, application)
    key = _consent_key(client, application)
    code = _send_code(client, application)
    url = reverse("applications:assisted_consent_by_code", kwargs={"public_id": application.public_id})
    response = client.post(url, {"code": code, "idempotency_key": key})
    assert response.status_code == 302
    application.refresh_from_db()
    return application, url, {"code": code, "idempotency_key": key}


def test_the_done_page_the_slip_and_one_sms_tell_the_fee_and_where_to_pay(passport: Service,
                                                                          operator: User) -> None:
    client = _client(operator)
    application, url, post = _file(client, passport)
    order = application.payment_order  # type: ignore[attr-defined]
    assert application.state == "awaiting_payment" and order.amount == 5000

    done_url = reverse("applications:assisted_done", kwargs={"public_id": application.public_id})
    for language in ("en", "fa"):
        page = client.get(done_url.replace("/en/", f"/{language}/", 1), HTTP_ACCEPT_LANGUAGE=language)
        body = page.content.decode()
        assert page.status_code == 200
        with translation.override(language):
            assert format_amount(5000, language) in body  # "5,000 AFN" / "۵٬۰۰۰ افغانی", the one helper's way
        assert order.reference in body and str(application.reference) in body
        assert reverse("applications:assisted_slip", kwargs={"public_id": application.public_id})[3:] in body
    assert "mobile-money" in client.get(done_url).content.decode()

    slip = client.get(reverse("applications:assisted_slip", kwargs={"public_id": application.public_id}))
    text = slip.content.decode()
    assert slip.status_code == 200
    assert order.reference in text and str(application.reference) in text and "5,000" in text
    assert "@media print" not in text and "slip-page" in text  # laid out by site.css's print rules

    # One SMS in Dari with the fee and the payment reference, not the generic "received".
    [sms] = Message.objects.filter(to=WALK_IN, template="application.assisted_receipt")
    with translation.override("fa"):
        assert format_amount(5000, "fa") in sms.body
    assert order.reference in sms.body and "Kabul Center" in sms.body
    assert not Message.objects.filter(to=WALK_IN, template__startswith="application.submitted").exists()

    # Reloading the done page and the slip, and the consent POST retried, send nothing more.
    client.get(done_url)
    client.get(reverse("applications:assisted_slip", kwargs={"public_id": application.public_id}))
    assert client.post(url, post).status_code == 302
    assert Message.objects.filter(to=WALK_IN).exclude(template="application.consent_code_requested").count() == 1


def test_another_operator_or_a_citizen_cannot_open_the_slip(passport: Service, operator: User,
                                                            citizen: User) -> None:
    application, _url, _post = _file(_client(operator), passport)
    slip_url = reverse("applications:assisted_slip", kwargs={"public_id": application.public_id})
    other_center = _center("HRT", "Herat Center", [passport])
    stranger = staff_user_create(username="operator.hrt", password="pass-for-tests-1", role=Role.OPERATOR,
                                 center=other_center)
    assert _client(stranger).get(slip_url).status_code == 404
    assert _client(citizen).get(slip_url).status_code in (403, 404)
    assert _client(operator).get(slip_url.replace(str(application.public_id),
                                                  "00000000-0000-4000-8000-000000000000")).status_code == 404


def test_a_draft_has_no_slip_yet(passport: Service, operator: User) -> None:
    client = _client(operator)
    application = _start(client, passport)
    response = client.get(reverse("applications:assisted_slip", kwargs={"public_id": application.public_id}))
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:assisted_form", kwargs={"public_id": application.public_id})
