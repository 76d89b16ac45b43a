"""Too many attempts: a clear message, HTTP 429, and nothing sent or checked."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from khedmat.accounts.models import User
from khedmat.notifications.models import Message

from .conftest import PASSWORD, code_from_sms, current_totp

pytestmark = pytest.mark.django_db
PHONE = "+93700123456"


def test_a_fourth_code_in_a_quarter_hour_is_not_sent(client: Client) -> None:
    for _ in range(3):
        assert client.post("/en/account/sign-in/", {"phone_number": "0700 123 456"}).status_code == 302
    response = client.post("/en/account/sign-in/", {"phone_number": "0700 123 456"})
    assert response.status_code == 429
    assert "Too many attempts. Try again in 15 minutes." in response.content.decode()
    assert Message.objects.filter(to=PHONE).count() == 3


def test_resending_counts_too(client: Client) -> None:
    client.post("/en/account/sign-in/", {"phone_number": "0700 123 456"})
    client.post("/en/account/sign-in/code/resend/")
    client.post("/en/account/sign-in/code/resend/")
    response = client.post("/en/account/sign-in/code/resend/")
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert Message.objects.filter(to=PHONE).count() == 3


def test_after_five_wrong_codes_not_even_the_right_one_is_checked(client: Client) -> None:
    client.post("/en/account/sign-in/", {"phone_number": "0700 123 456"})
    code = code_from_sms(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert client.post("/en/account/sign-in/code/", {"code": wrong}).status_code == 200
    response = client.post("/en/account/sign-in/code/", {"code": code})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_after_five_wrong_passwords_the_right_one_is_not_checked(client: Client, operator: User) -> None:
    for _ in range(5):
        client.post("/en/account/staff/sign-in/", {"username": "operator.kbl", "password": "guess"})
    response = client.post("/en/account/staff/sign-in/", {"username": "OPERATOR.kbl", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many wrong passwords for this account. Try again in 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_totp_codes_are_counted(client: Client, agency_admin: User) -> None:
    client.post("/en/account/staff/sign-in/", {"username": "admin.moi", "password": PASSWORD})
    device = TOTPDevice.objects.get(user=agency_admin)
    wrong = "000000" if current_totp(device) != "000000" else "111111"
    for _ in range(4):
        assert client.post("/en/account/staff/second-factor/", {"code": wrong}).status_code == 200
    assert client.post("/en/account/staff/second-factor/", {"code": wrong}).status_code == 429
    response = client.post("/en/account/staff/second-factor/", {"code": current_totp(device)})
    assert response.status_code == 429
    assert "Too many wrong codes for this account. Try again in 15 minutes." in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(THROTTLE_LOGIN_PER_IP=(3, 600))
def test_one_address_trying_many_accounts_is_stopped(client: Client, operator: User) -> None:
    for name in ("a", "b", "c"):
        client.post("/en/account/staff/sign-in/", {"username": name, "password": "guess"})
    response = client.post("/en/account/staff/sign-in/", {"username": "operator.kbl", "password": PASSWORD})
    assert response.status_code == 429
    assert "Try again in 10 minutes." in response.content.decode()


def test_other_addresses_and_accounts_are_not_held_up(client: Client, other_client: Client, operator: User) -> None:
    for _ in range(5):
        client.post("/en/account/staff/sign-in/", {"username": "someone.else", "password": "guess"})
    response = other_client.post("/en/account/staff/sign-in/", {"username": "operator.kbl", "password": PASSWORD})
    assert response.status_code == 302


def test_the_throttle_message_is_on_a_right_to_left_page_in_dari(client: Client) -> None:
    for _ in range(3):
        client.post("/fa/account/sign-in/", {"phone_number": "0700 123 456"})
    response = client.post("/fa/account/sign-in/", {"phone_number": "0700 123 456"})
    assert response.status_code == 429
    html = response.content.decode()
    assert 'dir="rtl"' in html
    assert 'role="alert"' in html
