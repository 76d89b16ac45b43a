"""Recovery codes: made at enrolment, shown once, kept hashed, each good for one sign-in in
place of the authenticator's code; the owner makes new ones with their password."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken

from khedmat.accounts.models import User
from khedmat.audit.models import AuditEvent

from .conftest import PASSWORD, RECOVERY_CODES, SECOND_FACTOR, give_password, sign_in_fully

pytestmark = pytest.mark.django_db


def codes_on(html: str) -> list[str]:
    return re.findall(r'<code class="secret" dir="ltr">([0-9]{5}-[0-9]{5})</code>', html)


def test_a_recovery_code_works_once_in_place_of_the_authenticators_code(client: Client, other_client: Client,
                                                                        officer: User,
                                                                        recovery_codes: list[str]) -> None:
    assert len(recovery_codes) == 10 and len(set(recovery_codes)) == 10
    give_password(client, "officer.moi")
    response = client.post(SECOND_FACTOR, {"code": recovery_codes[3]}, follow=True)
    assert response.redirect_chain[0][0] == "/en/office/"
    assert "You used a recovery code. 9 are left." in response.content.decode()
    assert client.session["_auth_user_id"] == str(officer.pk)

    give_password(other_client, "officer.moi")
    response = other_client.post(SECOND_FACTOR, {"code": recovery_codes[3]})
    assert response.status_code == 200 and "That code is not right" in response.content.decode()
    assert "_auth_user_id" not in other_client.session
    event = AuditEvent.objects.filter(action="accounts.recovery_code_used").get()
    assert event.data == {"left": 9, "route": "second_factor"}


def test_recovery_codes_are_kept_only_as_keyed_hashes(officer: User, recovery_codes: list[str]) -> None:
    stored = set(StaticToken.objects.filter(device__user=officer).values_list("token", flat=True))
    assert len(stored) == 10
    for code in recovery_codes:
        assert code.replace("-", "") not in stored and code not in stored


def test_persian_digits_and_spaces_are_read_too(client: Client, officer: User, recovery_codes: list[str]) -> None:
    persian = recovery_codes[0].translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")).replace("-", " ")
    give_password(client, "officer.moi")
    assert client.post(SECOND_FACTOR, {"code": persian})["Location"] == "/en/office/"


def test_the_owner_makes_new_codes_with_their_password_and_the_old_ones_stop_working(
        client: Client, other_client: Client, officer: User, recovery_codes: list[str]) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    sign_in_fully(client, officer, TOTPDevice.objects.get(user=officer))
    page = client.get("/en/account/").content.decode()
    assert "You have 10 recovery codes left." in page

    response = client.post("/en/account/staff/recovery-codes/new/", {"password": "not it"})
    assert "That is not your password." in response.content.decode()
    assert StaticToken.objects.filter(device__user=officer).count() == 10
    assert not AuditEvent.objects.filter(action="accounts.recovery_codes_made", actor=officer).count() > 1

    response = client.post("/en/account/staff/recovery-codes/new/", {"password": PASSWORD})
    assert response["Location"] == RECOVERY_CODES
    new_codes = codes_on(client.get(RECOVERY_CODES).content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(recovery_codes)
    assert client.get(RECOVERY_CODES)["Location"] == "/en/account/", "shown once"
    assert client.get("/en/office/").status_code == 200, "the owner's own session goes on"

    give_password(other_client, "officer.moi")
    assert other_client.post(SECOND_FACTOR, {"code": recovery_codes[0]}).status_code == 200
    assert "_auth_user_id" not in other_client.session
    assert other_client.post(SECOND_FACTOR, {"code": new_codes[0]})["Location"] == "/en/office/"
    assert AuditEvent.objects.filter(action="accounts.recovery_codes_made", actor=officer).count() == 2


def test_a_session_without_the_second_factor_cannot_make_codes(client: Client, officer: User) -> None:
    client.force_login(officer)  # a password-only session, however it came about
    response = client.post("/en/account/staff/recovery-codes/new/", {"password": PASSWORD})
    assert response["Location"] == SECOND_FACTOR
    assert not StaticToken.objects.filter(device__user=officer).exists()


def test_wrong_recovery_codes_count_towards_the_lock(client: Client, officer: User,
                                                    recovery_codes: list[str]) -> None:
    give_password(client, "officer.moi")
    statuses = [client.post(SECOND_FACTOR, {"code": f"{n:010d}"}).status_code for n in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    assert client.post(SECOND_FACTOR, {"code": recovery_codes[0]}).status_code == 429
    assert StaticToken.objects.filter(device__user=officer).count() == 10


def test_codes_made_before_the_secret_key_was_rotated_still_work(client: Client, officer: User,
                                                                 recovery_codes: list[str], settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    give_password(client, "officer.moi")
    assert client.post(SECOND_FACTOR, {"code": recovery_codes[0]})["Location"] == "/en/office/"


def test_an_open_session_is_no_way_to_guess_the_password(client: Client, officer: User,
                                                        recovery_codes: list[str]) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    sign_in_fully(client, officer, TOTPDevice.objects.get(user=officer))
    for guess in range(5):
        client.post("/en/account/staff/recovery-codes/new/", {"password": f"guess {guess}"})
    response = client.post("/en/account/staff/recovery-codes/new/", {"password": PASSWORD})
    assert response.status_code == 429
    assert StaticToken.objects.filter(device__user=officer).count() == 10, "no new codes"
