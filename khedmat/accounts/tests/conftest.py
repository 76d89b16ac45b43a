"""Accounts test fixtures: staff made through the real services, codes read from the SMS outbox."""

from __future__ import annotations

import re
from datetime import time

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
