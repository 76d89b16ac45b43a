"""Accounts test fixtures: staff made through the real services, codes read from the SMS outbox."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from khedmat.accounts import services
from khedmat.accounts.models import Role, User
from khedmat.catalog.models import Agency
from khedmat.catalog.services import agency_upsert
from khedmat.centers.models import Center
from khedmat.centers.services import center_upsert
from khedmat.notifications.selectors import sms_last_to

PASSWORD = "correct horse battery staple"
DEMO_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's "12345678901234567890"


def code_from_sms(phone_number: str) -> str:
    message = sms_last_to(phone_number=phone_number)
    assert message is not None, "no SMS was sent"
    match = re.search(r"\b([0-9]{6})\b", message.body)
    assert match, message.body
    return match.group(1)


def current_totp(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return str(totp(device.bin_key, device.step, device.t0, device.digits, device.drift)).zfill(device.digits)


@pytest.fixture
def agency(db: None) -> Agency:
    return agency_upsert(code="MOI", slug="moi", name={"en": "Ministry of Interior", "fa": "وزارت داخله",
                                                       "ps": "د کورنیو چارو وزارت"})


@pytest.fixture
def center(db: None) -> Center:
    names = {"en": "Kabul center", "fa": "مرکز کابل", "ps": "د کابل مرکز"}
    return center_upsert(code="KBL", slug="kabul", name=names, city=names, address=names,
                         opens_at=time(8), closes_at=time(16))


@pytest.fixture
def agency_admin(agency: Agency) -> User:
    return services.staff_user_create(username="admin.moi", password=PASSWORD, role=Role.AGENCY_ADMIN,
                                      agency=agency, full_name="Admin of MOI", totp_key=DEMO_KEY)


@pytest.fixture
def officer(agency: Agency) -> User:
    return services.staff_user_create(username="officer.moi", password=PASSWORD, role=Role.OFFICER,
                                      agency=agency, full_name="Officer of MOI", totp_key=DEMO_KEY)


@pytest.fixture
def operator(center: Center) -> User:
    return services.staff_user_create(username="operator.kbl", password=PASSWORD, role=Role.OPERATOR,
                                      center=center, full_name="Operator in Kabul")


@pytest.fixture
def other_client() -> Client:
    return Client(REMOTE_ADDR="10.0.0.2")


SIGN_IN = "/en/account/staff/sign-in/"
SECOND_FACTOR = "/en/account/staff/second-factor/"
ENROL = "/en/account/staff/second-factor/set-up/"
RECOVERY_SIGN_IN = "/en/account/staff/sign-in/recovery/"
RECOVERY_CODES = "/en/account/staff/recovery-codes/"


def wrong_totp(device: TOTPDevice) -> str:
    return "000000" if current_totp(device) != "000000" else "111111"


def let_time_pass(device: TOTPDevice) -> None:
    """As if the next 30-second step had come: the current code may be used again
    (django-otp refuses a code already used, which a test signing in twice would meet)."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)


def client_at(address: str) -> Client:
    """A browser at this address."""
    return Client(REMOTE_ADDR=address)


def give_password(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post(SIGN_IN, {"username": username, "password": password})


def sign_in_fully(client: Client, user: User, device: TOTPDevice) -> None:
    """Password then the authenticator's code; asserts it worked."""
    give_password(client, user.username)
    let_time_pass(device)
    response = client.post(SECOND_FACTOR, {"code": current_totp(device)})
    assert response.status_code == 302 and client.session.get("_auth_user_id") == str(user.pk), response


@pytest.fixture
def recovery_codes(officer: User) -> list[str]:
    """The officer's recovery codes, as shown to them (12345-67890)."""
    return services.staff_recovery_codes_make(user=officer)
