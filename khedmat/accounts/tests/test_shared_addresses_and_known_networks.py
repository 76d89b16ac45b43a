"""Counters that must not lock out the innocent: citizens behind one address (a carrier's
NAT, a centre's network), and an officer whose predictable username a stranger fills with
wrong passwords."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from khedmat.accounts.models import KnownNetwork, User
from khedmat.notifications.models import Message

from .conftest import (
    PASSWORD,
    RECOVERY_SIGN_IN,
    SECOND_FACTOR,
    client_at,
    code_from_sms,
    current_totp,
    give_password,
    let_time_pass,
    sign_in_fully,
)

pytestmark = pytest.mark.django_db
NAT = "100.64.7.9"


def citizen_signs_in(client: Client, phone: str) -> int:
    assert client.post("/en/account/sign-in/", {"phone_number": phone}).status_code == 302
    return client.post("/en/account/sign-in/code/", {"code": code_from_sms(phone)}).status_code


def test_thirty_citizens_behind_one_address_all_sign_in() -> None:
    for n in range(30):
        client = client_at(NAT)
        phone = f"+9370012{n:04d}"
        # Some mistype the code once: a mistake of each is no reason to stop the others.
        if n % 3 == 0:
            client.post("/en/account/sign-in/", {"phone_number": phone})
            client.post("/en/account/sign-in/code/", {"code": "000000" if code_from_sms(phone) != "000000"
                                                      else "111111"})
            assert client.post("/en/account/sign-in/code/", {"code": code_from_sms(phone)}).status_code == 302
        else:
            assert citizen_signs_in(client, phone) == 302, n
        assert "_auth_user_id" in client.session
    assert User.objects.filter(role="citizen").count() == 30


def test_one_address_spraying_wrong_codes_is_stopped() -> None:
    attacker = client_at("198.51.100.66")
    phones = [f"+9370055{n:04d}" for n in range(40)]
    statuses = []
    for phone in phones:
        attacker.post("/en/account/sign-in/", {"phone_number": phone})
        statuses.append(attacker.post("/en/account/sign-in/code/", {"code": "000000"}).status_code)
    assert statuses[:30] == [200] * 30 and set(statuses[30:]) == {429}
    # The numbers' owners, elsewhere, are not held up.
    assert citizen_signs_in(client_at("192.0.2.10"), phones[-1]) == 302


@override_settings(THROTTLE_CODE_SEND_PER_IP=(5, 3600))
def test_sending_codes_to_very_many_numbers_from_one_address_is_stopped() -> None:
    pumper = client_at("198.51.100.67")
    statuses = [pumper.post("/en/account/sign-in/", {"phone_number": f"+9370077{n:04d}"}).status_code
                for n in range(7)]
    assert statuses == [302] * 5 + [429] * 2
    assert Message.objects.count() == 5


@override_settings(THROTTLE_TRUSTED_NETWORKS=[("10.20.0.0/16", 10)], THROTTLE_LOGIN_PER_IP=(3, 900))
def test_a_service_centres_network_gets_a_larger_limit() -> None:
    centre, outside = client_at("10.20.1.5"), client_at("198.51.100.68")
    for client in (centre, outside):
        statuses = [client.post("/en/account/staff/sign-in/", {"username": f"nobody{n}", "password": "x"}).status_code
                    for n in range(5)]
        if client is centre:
            assert statuses == [200] * 5
        else:
            assert statuses == [200, 200, 200, 429, 429]


def test_a_stranger_cannot_lock_an_officer_out_of_their_usual_network(officer: User,
                                                                       recovery_codes: list[str]) -> None:
    device = TOTPDevice.objects.get(user=officer)
    sign_in_fully(client_at("10.1.2.3"), officer, device)  # the officer's office, some day before
    assert list(KnownNetwork.objects.filter(user=officer).values_list("network", flat=True)) == ["10.1.2.0/24"]

    attacker = client_at("203.0.113.9")
    for _ in range(5):
        give_password(attacker, "officer.moi", "guess")
    locked = give_password(attacker, "officer.moi")  # even the right password, from there
    assert locked.status_code == 429
    assert "Too many wrong passwords for this account" in locked.content.decode()

    # The officer, at the office (another address of the same network), signs in as always.
    office = client_at("10.1.2.77")
    sign_in_fully(office, officer, device)

    # From a network never used before: the password alone is refused...
    travelling = client_at("198.51.100.20")
    response = give_password(travelling, "officer.moi")
    assert response.status_code == 429
    assert RECOVERY_SIGN_IN in response.content.decode()
    # ...but the password with a recovery code signs in, and that network is now known.
    response = travelling.post(RECOVERY_SIGN_IN, {"username": "officer.moi", "password": PASSWORD,
                                                  "recovery_code": recovery_codes[0]})
    assert response["Location"] == "/en/office/"
    assert travelling.session["_auth_user_id"] == str(officer.pk)
    assert travelling.get("/en/office/").status_code == 200, "the recovery code is the second factor"
    assert KnownNetwork.objects.filter(user=officer, network="198.51.100.0/24").exists()


def test_the_recovery_door_gives_a_password_guesser_nothing(officer: User, recovery_codes: list[str]) -> None:
    attacker = client_at("203.0.113.10")
    for guess in ("0000000000", "1111111111", "2222222222"):
        response = attacker.post(RECOVERY_SIGN_IN, {"username": "officer.moi", "password": PASSWORD,
                                                    "recovery_code": guess})
        assert "The username, password or recovery code is not right." in response.content.decode()
    assert "_auth_user_id" not in attacker.session
    officer.refresh_from_db()
    assert officer.second_factor_failures == 0, "a stranger's wrong codes do not lock the officer's second factor"
    # A right code with a wrong password: refused alike, and the code is not spent.
    response = attacker.post(RECOVERY_SIGN_IN, {"username": "officer.moi", "password": "guess",
                                                "recovery_code": recovery_codes[0]})
    assert "The username, password or recovery code is not right." in response.content.decode()
    response = client_at("10.9.9.9").post(RECOVERY_SIGN_IN, {"username": "officer.moi", "password": PASSWORD,
                                                             "recovery_code": recovery_codes[0]})
    assert response.status_code == 302


@override_settings(STAFF_KNOWN_NETWORKS_MAX=2)
def test_only_the_latest_networks_are_remembered(officer: User) -> None:
    device = TOTPDevice.objects.get(user=officer)
    for address in ("10.1.1.1", "10.2.2.2", "10.3.3.3", "10.2.2.9"):
        sign_in_fully(client_at(address), officer, device)
    networks = KnownNetwork.objects.filter(user=officer).order_by("-last_used_at")
    assert [known.network for known in networks] == ["10.2.2.0/24", "10.3.3.0/24"]


def test_an_ipv6_network_is_its_64(officer: User) -> None:
    device = TOTPDevice.objects.get(user=officer)
    sign_in_fully(client_at("2001:db8:1:2::10"), officer, device)
    assert KnownNetwork.objects.get(user=officer).network == "2001:db8:1:2::/64"


def test_citizens_networks_are_not_remembered() -> None:
    citizen_signs_in(client_at(NAT), "+93700123456")
    assert not KnownNetwork.objects.exists()


def test_the_second_factor_is_still_owed_from_a_known_network(officer: User) -> None:
    device = TOTPDevice.objects.get(user=officer)
    sign_in_fully(client_at("10.1.2.3"), officer, device)
    client = client_at("10.1.2.4")
    assert give_password(client, "officer.moi")["Location"] == SECOND_FACTOR
    assert "_auth_user_id" not in client.session
    let_time_pass(device)
    assert client.post(SECOND_FACTOR, {"code": current_totp(device)})["Location"] == "/en/office/"
