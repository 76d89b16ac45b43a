"""Each attack of issue 9's "bad input", performed: look-alike digits ("²", "①"), days out of
every range, a future date of birth, a bare word as ?next=, a device page that does not
exist. Each was a server error (or a certificate signed with nonsense); each now gets a
clear answer in the user's language and changes nothing.

The demonstration data is the scene (every role has an account there). The walker in
test_hostile_requests.py sends generated values everywhere; these are the known attacks,
kept as named tests so that a regression says which one came back.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import time
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from khedmat.accounts.models import User
from khedmat.applications.models import Application
from khedmat.applications.services import application_transition
from khedmat.centers.devices import device_add
from khedmat.centers.models import Center, Device
from khedmat.core.calendar import to_solar_hijri
from khedmat.core.formatting import format_date
from khedmat.documents.models import IssuedDocument
from khedmat.notifications.models import InboundMessage
from khedmat.notifications.services import receipt_signature
from khedmat.notifications.sms.contrib.http_json import signature as http_json_signature
from khedmat.payments.models import PaymentCallbackLog, PaymentOrder

LOOK_ALIKES = ["²", "①", "Ⅻ", "𝟗", "1²", "٣²", "9" * 40]
FAR_DAYS = ["0001-01-01", "9999-12-31", "1403-01-01", "1821-03-20", "2222-03-21", "0000-00-00", "²⁰²⁶-01-01"]


@pytest.fixture
def demo(db: None) -> None:
    call_command("seed_demo", quiet=True)


def signed_in(username: str) -> Client:
    """A demonstration account's client, past its second factor where the role has one."""
    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


# --- look-alike digits --------------------------------------------------------------------------

def test_a_kiosk_url_with_a_look_alike_service_number_shows_the_kiosk(demo: None) -> None:
    """At a paired kiosk of the centre (any other browser is sent to the remote join)."""
    center = Center.objects.get(slug="kabul")
    manager = User.objects.get(username="manager.kbl")
    client = Client()
    issued = device_add(center=center, kind=Device.Kind.KIOSK, name="Kiosk for look-alikes", counter=None,
                        actor=manager)
    paired = client.post(reverse("centers:device_pair"), {"code": issued.code})
    assert paired.status_code == 302
    for value in LOOK_ALIKES:
        response = client.get("/en/centers/kabul/kiosk/", {"service": value})
        assert response.status_code == 200, value
        assert 'name="token"' not in response.content.decode()  # the list of services, no ticket form
        response = client.post("/en/centers/kabul/kiosk/", {"service": value, "token": "x" * 30})
        assert response.status_code == 302 and response["Location"] == "/en/centers/kabul/kiosk/", value


def test_the_counter_form_refuses_a_look_alike_counter_number(demo: None) -> None:
    operator = signed_in("operator.kbl")
    for value in LOOK_ALIKES:
        response = operator.post("/en/center/counter/open/", {"counter": value}, follow=True)
        assert response.status_code == 200, value
        assert "Choose the counter you sit at." in response.content.decode(), value


def test_a_signed_bank_callback_with_a_look_alike_timestamp_is_refused_as_stale(
        demo: None, client: Client, settings: Any) -> None:
    """Signed with the operator's real secret: only the timestamp is nonsense."""
    settings.PAYMENT_CALLBACK_SECRETS = {"azizi-bank": "test-shared-secret"}
    order = PaymentOrder.objects.filter(status=PaymentOrder.Status.PENDING).first()
    assert order is not None
    body = json.dumps({"reference": order.reference, "amount": order.amount, "currency": "AFN",
                       "transaction_id": "TX-2", "status": "paid"}).encode()
    for stamp in LOOK_ALIKES:
        digest = hmac.new(b"test-shared-secret", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        response = client.post("/payments/callback/azizi-bank/", data=body, content_type="application/json",
                               headers={"X-Khedmat-Timestamp": stamp, "X-Khedmat-Signature": f"sha256={digest}"})
        assert response.status_code == 400, stamp
    assert PaymentCallbackLog.objects.filter(outcome=PaymentCallbackLog.Outcome.STALE).count() == len(LOOK_ALIKES)
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PENDING


def test_an_sms_receipt_for_a_look_alike_message_number_is_refused(demo: None, client: Client) -> None:
    for message_id in LOOK_ALIKES:
        response = client.get("/sms/receipts/console/", {"m": message_id, "sig": "0" * 32, "type": "1"})
        assert response.status_code == 403, message_id


def test_a_signed_sms_receipt_with_a_look_alike_timestamp_is_not_a_receipt(demo: None, client: Client,
                                                                           settings: Any) -> None:
    """The HTTP JSON gateway signs its receipts with a timestamp, as the banks do."""
    settings.SMS_GATEWAYS = [{"name": "json", "plugin": "http_json", "priority": 1, "url": "http://127.0.0.1:9/",
                              "token": "t", "secret": "gateway-secret"}]
    body = json.dumps({"status": "delivered"}).encode()
    url = f"/sms/receipts/json/?m=1&sig={receipt_signature(gateway='json', message_id=1)}"
    for stamp in LOOK_ALIKES:
        response = client.post(url, data=body, content_type="application/json", headers={
            "X-Khedmat-Timestamp": stamp, "X-Khedmat-Signature": http_json_signature("gateway-secret", stamp, body)})
        assert response.status_code == 400, stamp
        assert response.content == b"not a receipt\n", stamp


# --- days out of every range ----------------------------------------------------------------------

def test_the_dashboard_for_a_day_out_of_range_shows_today(demo: None) -> None:
    manager = signed_in("manager.kbl")
    today = format_date(timezone.localdate(), with_gregorian=True)
    # The dashboard's day is typed in the Solar Hijri calendar (docs/decisions/0020): 1403-01-01
    # is 1 Hamal 1403 there, a day it reads; every other far day is refused.
    assert "The day: 1 Hamal 1403 (2024-03-20)" in manager.get("/en/center/dashboard/",
                                                               {"day": "1403-01-01"}).content.decode()
    for day in [day for day in FAR_DAYS if day != "1403-01-01"]:
        response = manager.get("/en/center/dashboard/", {"day": day})
        assert response.status_code == 200, day
        assert f"The day: {today}" in response.content.decode(), day
        csv = manager.get("/en/center/dashboard/csv/", {"day": day})
        assert csv.status_code == 200, day
        assert timezone.localdate().isoformat() in csv["Content-Disposition"], day


def test_the_reconciliation_for_a_day_out_of_range_shows_today(demo: None) -> None:
    admin = signed_in("admin.moi")
    for day in FAR_DAYS:
        response = admin.get("/en/office/payments/", {"day": day})
        assert response.status_code == 200, day
        assert response.context["day"] == timezone.localdate(), day


@pytest.mark.parametrize("day", FAR_DAYS)
def test_the_reconciliation_command_refuses_a_day_out_of_range(db: None, day: str) -> None:
    with pytest.raises(CommandError, match="Give the day as YYYY-MM-DD, between 1821-03-21 and 2222-03-20"):
        call_command("payments_reconcile", "--day", day, stdout=StringIO())


def test_the_office_inbox_with_a_cursor_beyond_the_database_shows_the_first_page(demo: None) -> None:
    officer = signed_in("officer.moi")
    for cursor in ("2026-01-01." + "9" * 30, "9999-12-31.²", "0001-01-01.1", "²"):
        assert officer.get("/en/office/", {"after": cursor}).status_code == 200


# --- a date of birth in the future --------------------------------------------------------------

def _passport_post(born: datetime.date) -> dict[str, str]:
    solar = to_solar_hijri(born)
    return {"f-full_name": "Zarghuna Ahmadzai", "f-father_name": "Mohammad Nabi", "f-validity_years": "5",
            "f-collection_center": "KBL",
            "f-date_of_birth-day": str(solar.day), "f-date_of_birth-month": str(solar.month),
            "f-date_of_birth-year": str(solar.year), "action": "submit", "submission_token": "t" * 32}


def test_a_date_of_birth_in_the_future_is_refused_in_the_applicants_language(demo: None) -> None:
    """It was accepted, and signed into a certificate. The passport's definition now limits it
    (x-maximum: today) and the form says so, with today in Solar Hijri."""
    citizen = signed_in("+93700000001")
    before = set(Application.objects.exclude(state=Application.DRAFT).values_list("pk", flat=True))
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    for language in ("fa", "ps", "en"):
        response = citizen.post(f"/{language}/apply/passport/", _passport_post(tomorrow))
        assert response.status_code == 200, language
        with translation.override(language):
            message = gettext("Enter a date on or before %(date)s.") % {
                "date": format_date(timezone.localdate(), language=language)}
        assert escape(message) in response.content.decode(), language
    assert set(Application.objects.exclude(state=Application.DRAFT).values_list("pk", flat=True)) == before


def test_a_date_of_birth_of_today_is_accepted(demo: None) -> None:
    """(Saved as a draft: the passport also wants a scan of the Tazkira before it is sent.)"""
    citizen = signed_in("+93700000001")
    response = citizen.post("/en/apply/passport/", {**_passport_post(timezone.localdate()), "action": "save"})
    assert response.status_code == 302
    draft = Application.objects.filter(applicant__username="+93700000001", state=Application.DRAFT).latest("pk")
    assert draft.data["date_of_birth"] == timezone.localdate().isoformat()


# --- a bare word where a page is expected ---------------------------------------------------------

def test_sign_in_pages_go_on_only_to_a_page_of_this_site(demo: None) -> None:
    citizen, officer = signed_in("+93700000001"), signed_in("officer.moi")
    for next_page in ("²", "home", "accounts:profile", "//evil.example/", "https://evil.example/", "/\\evil.example",
                      "javascript:alert(1)", " /en/applications/"):
        response = citizen.get("/en/account/sign-in/", {"next": next_page})
        assert response.status_code == 302, next_page
        assert response["Location"] == "/en/account/", next_page
        response = officer.get("/en/account/staff/sign-in/", {"next": next_page})
        assert response.status_code in (200, 302), next_page
        assert "evil" not in response.get("Location", ""), next_page
    assert citizen.get("/en/account/sign-in/", {"next": "/en/applications/"})["Location"] == "/en/applications/"
    assert citizen.get("/en/account/sign-in/", {"next": "/en/\x00"}).status_code == 400  # no address holds a NUL


def test_an_office_form_sent_back_to_a_bare_word_goes_to_the_file(demo: None) -> None:
    officer = signed_in("officer.moi")
    application = Application.objects.filter(agency__code="MOI").exclude(state=Application.DRAFT).first()
    assert application is not None
    url = f"/en/office/applications/{application.public_id}/claim/"
    response = officer.post(url, {"next": "²"})
    assert response.status_code == 302
    assert response["Location"] == f"/en/office/applications/{application.public_id}/"


# --- a device page for a device that does not exist ----------------------------------------------

def test_the_admin_never_shows_a_totp_secret_and_a_missing_device_is_no_error(demo: None) -> None:
    """django-otp's device pages read the device before anything else (an unknown one was a
    server error) and show its secret: both end with the secret hidden."""
    admin = signed_in("platform.admin")
    device = TOTPDevice.objects.get(user__username="officer.moi")
    for page in ("config", "qrcode"):
        for pk in (device.pk, 0):
            response = admin.get(f"/admin/otp_totp/totpdevice/{pk}/{page}/", follow=True)
            assert response.status_code in (200, 403, 404), (pk, page)
            assert device.key not in response.content.decode(), (pk, page)
            assert "otpauth://" not in response.content.decode(), (pk, page)
    assert settings.OTP_ADMIN_HIDE_SENSITIVE_DATA


def test_the_first_and_last_days_the_platform_reads_have_their_neighbours(demo: None) -> None:
    """The previous-day link of the first day and the next-day link of the last exist (that
    subtraction was the overflow)."""
    manager, admin = signed_in("manager.kbl"), signed_in("admin.moi")
    for day in ("1821-03-21", "2222-03-20"):
        assert manager.get("/en/center/dashboard/", {"day": day}).status_code == 200
        assert admin.get("/en/office/payments/", {"day": day}).status_code == 200


# --- NUL characters (PostgreSQL refuses them in any text it stores or compares) ---------------------

def test_an_address_with_a_nul_is_refused_with_a_page_in_the_readers_language(demo: None) -> None:
    admin = signed_in("platform.admin")
    for client, url in ((Client(), "/en/services/?q=pass%00port"), (Client(), "/fa/services/?q=%00"),
                        (admin, "/en/center/dashboard/?center=kabul%00"), (admin, "/en/center/dashboard/csv/?%00=1"),
                        (Client(), "/ps/centers/kabul/kiosk/?service=%00")):
        response = client.get(url)
        assert response.status_code == 400, url
        language = url.split("/")[1]
        with translation.override(language):
            assert escape(gettext("This address cannot be read")) in response.content.decode(), url
        assert f'lang="{language}' in response.content.decode(), url
    assert Client().get("/en/services/?q=passport").status_code == 200


def test_application_answers_drop_nul_characters(demo: None) -> None:
    citizen = signed_in("+93700000001")
    post = {**_passport_post(datetime.date(1990, 3, 21)), "action": "save", "f-full_name": "Zarghuna\x00 Ahmadzai",
            "f-father_name": "\x00"}
    response = citizen.post("/en/apply/passport/", post)
    assert response.status_code == 302
    draft = Application.objects.filter(applicant__username="+93700000001", state=Application.DRAFT).latest("pk")
    assert draft.data["full_name"] == "Zarghuna Ahmadzai"
    assert "\x00" not in json.dumps(draft.data)


def test_an_inbound_text_with_a_nul_is_answered(demo: None, client: Client, settings: Any) -> None:
    """A gateway passes on what the phone sent; Kannel's UCS-2 texts are bytes with zeros in them."""
    settings.SMS_GATEWAYS = [{"name": "roshan", "plugin": "kannel", "priority": 1, "url": "http://127.0.0.1:9/",
                              "username": "u", "password": "p"}]
    settings.SMS_INBOUND_SECRET = "inbound-secret-for-tests"
    help_in_ucs2 = "HELP".encode("utf-16-be")  # 00 48 00 45 …: zeros the address must carry
    query = "&".join(["from=%2B93790000001", "coding=2", "id=x1", "key=inbound-secret-for-tests",
                      "text=" + "".join(f"%{byte:02X}" for byte in help_in_ucs2)])
    assert client.get(f"/sms/inbound/roshan/?{query}").status_code == 200
    nul_text = "text=HE%00LP&from=%2B93790000002&charset=UTF-8&id=x2&key=inbound-secret-for-tests"
    assert client.get(f"/sms/inbound/roshan/?{nul_text}").status_code == 200
    assert sorted(InboundMessage.objects.values_list("text", flat=True)) == ["HELP", "HELP"]


def _signed(client: Client, raw: bytes, secret: bytes = b"test-shared-secret") -> Any:
    stamp = str(int(time.time()))
    digest = hmac.new(secret, stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return client.post("/payments/callback/azizi-bank/", data=raw, content_type="application/json",
                       headers={"X-Khedmat-Timestamp": stamp, "X-Khedmat-Signature": f"sha256={digest}"})


def test_a_signed_bank_callback_with_a_nul_or_an_amount_beyond_the_database_is_malformed(
        demo: None, client: Client, settings: Any) -> None:
    """Signed by the operator (or by whoever holds its secret): still no server error."""
    settings.PAYMENT_CALLBACK_SECRETS = {"azizi-bank": "test-shared-secret"}
    order = PaymentOrder.objects.filter(status=PaymentOrder.Status.PENDING).first()
    assert order is not None
    good = {"reference": order.reference, "amount": order.amount, "currency": "AFN", "transaction_id": "TX-1",
            "status": "paid"}
    for changes in ({"reference": order.reference + "\x00"}, {"transaction_id": "TX\x00"}, {"amount": 10**30},
                    {"currency": "AFN\x00"}, {"currency": "AFGHANI"}):
        response = _signed(client, json.dumps({**good, **changes}).encode())
        assert response.status_code == 400 and response.json() == {"error": "malformed"}, changes
    assert _signed(client, b'{"reference": "\x00 raw"}').status_code == 400
    assert PaymentCallbackLog.objects.filter(outcome=PaymentCallbackLog.Outcome.MALFORMED).count() == 6
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PENDING


def test_a_ussd_dialogue_with_nul_characters_is_answered(demo: None, client: Client, settings: Any) -> None:
    settings.USSD_SHARED_SECRET = "aggregator-key"
    for form in ({"sessionId": "s-\x00", "phoneNumber": "+93700000001", "serviceCode": "*565#", "text": ""},
                 {"sessionId": "s-2", "phoneNumber": "+93700000001", "serviceCode": "*565#\x00", "text": "1\x00"}):
        response = client.post("/ussd/?key=aggregator-key", form)
        assert response.status_code == 200, form
        assert response.content.decode().startswith(("CON ", "END ")), form


def test_a_revocation_reason_with_a_nul_is_stored_without_it(demo: None) -> None:
    recommended = Application.objects.get(state="awaiting_approval", service__slug="passport")
    application_transition(application=recommended, actor=User.objects.get(username="approver.moi"),
                           transition="approve", expected_state="awaiting_approval")
    document = IssuedDocument.objects.get(application=recommended)
    response = signed_in("admin.moi").post(f"/en/office/documents/{document.public_id}/revoke/",
                                           {"reason": "Issued\x00 by mistake.\r\n"})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.revocation.reason == "Issued by mistake."


# --- an admin action naming rows that cannot exist ---------------------------------------------------

def test_an_admin_action_naming_rows_that_cannot_exist_changes_nothing(demo: None) -> None:
    """Django filters `pk__in=` the values as posted: "" or "²" raised ValueError, a number past
    a bigint a database error. Every model admin's changelist now drops them first (the list
    is shown again, nothing deleted)."""
    manager, platform = signed_in("manager.kbl"), signed_in("platform.admin")
    for client, url, model in ((manager, "/admin/centers/queuegroup/", "centers.QueueGroup"),
                               (platform, "/admin/core/holiday/", "core.Holiday"),
                               (platform, "/admin/otp_totp/totpdevice/", "otp_totp.TOTPDevice"),
                               (platform, "/admin/catalog/agency/", "catalog.Agency")):
        rows = apps.get_model(model).objects.count()
        for selected in ("", "²", "9" * 30, "-" + "9" * 30, "\x00", "1e3"):
            response = client.post(url, {"action": "delete_selected", "_selected_action": selected,
                                         "post": "yes"}, follow=True)
            assert response.status_code == 200, (url, selected)
        assert apps.get_model(model).objects.count() == rows, url
