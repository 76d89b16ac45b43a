"""Guessing the second factor: wrong codes are counted per account in the database, across
right passwords, and lock the second factor for longer and longer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from khedmat.accounts import services
from khedmat.accounts.models import User
from khedmat.audit.models import AuditEvent

from .conftest import SECOND_FACTOR, current_totp, give_password, let_time_pass, wrong_totp

pytestmark = pytest.mark.django_db


def lock_expires(user: User) -> None:
    """As if the lock's time had passed."""
    User.objects.filter(pk=user.pk).update(second_factor_locked_until=timezone.now() - timedelta(seconds=1))


def test_a_right_password_does_not_give_a_guesser_fresh_tries(client: Client, officer: User) -> None:
    device = TOTPDevice.objects.get(user=officer)
    wrong = wrong_totp(device)
    # The attack: the password, four wrong codes, the password again (which used to wipe the count)...
    for round_ in range(3):
        assert give_password(client, "officer.moi").status_code == 302
        for guess in range(4):
            response = client.post(SECOND_FACTOR, {"code": wrong})
            if round_ * 4 + guess + 1 >= 5:
                break
            assert response.status_code == 200
        else:
            continue
        break
    assert response.status_code == 429
    officer.refresh_from_db()
    assert officer.second_factor_failures == 5
    # Even the right code is not checked now, nor after the password once more, nor in another process.
    cache.clear()
    give_password(client, "officer.moi")
    response = client.post(SECOND_FACTOR, {"code": current_totp(device)})
    assert response.status_code == 429
    assert "Too many wrong codes for this account. Try again in 15 minutes." in response.content.decode()
    assert "someone knows your password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_grows_with_each_run_of_wrong_codes(client: Client, officer: User) -> None:
    device = TOTPDevice.objects.get(user=officer)
    wrong = wrong_totp(device)
    waits = []
    for _ in range(4):
        give_password(client, "officer.moi")
        for _ in range(5):
            response = client.post(SECOND_FACTOR, {"code": wrong})
        assert response.status_code == 429
        officer.refresh_from_db()
        assert officer.second_factor_locked_until is not None
        waits.append(round((officer.second_factor_locked_until - timezone.now()).total_seconds() / 60))
        lock_expires(officer)
        cache.clear()  # the per-address counter is not what stops this guesser
    assert waits == [15, 30, 60, 120]
    assert "Try again in 2 hours." in response.content.decode()
    locks = AuditEvent.objects.filter(action="accounts.second_factor_locked", target_id=str(officer.pk))
    assert [event.data["minutes"] for event in locks.order_by("id")] == [15, 30, 60, 120]


def test_the_lock_page_says_when_to_try_again_even_before_a_code_is_typed(client: Client, officer: User) -> None:
    User.objects.filter(pk=officer.pk).update(second_factor_locked_until=timezone.now() + timedelta(minutes=42))
    give_password(client, "officer.moi")
    page = client.get(SECOND_FACTOR)
    assert page.status_code == 429
    assert "Try again in 42 minutes." in page.content.decode()


def test_after_the_lock_a_right_code_signs_in_and_the_owner_hears_of_the_wrong_ones(client: Client,
                                                                                    officer: User) -> None:
    device = TOTPDevice.objects.get(user=officer)
    give_password(client, "officer.moi")
    for _ in range(5):
        client.post(SECOND_FACTOR, {"code": wrong_totp(device)})
    lock_expires(officer)
    let_time_pass(device)
    response = client.post(SECOND_FACTOR, {"code": current_totp(device)}, follow=True)
    assert response.redirect_chain[0][0] == "/en/office/"
    assert "5 wrong codes were entered for your account since your last sign-in" in response.content.decode()
    officer.refresh_from_db()
    assert (officer.second_factor_failures, officer.second_factor_locked_until) == (0, None)


def test_a_mistake_or_two_is_not_a_lock_out(client: Client, officer: User) -> None:
    device = TOTPDevice.objects.get(user=officer)
    give_password(client, "officer.moi")
    for _ in range(2):
        assert client.post(SECOND_FACTOR, {"code": wrong_totp(device)}).status_code == 200
    assert client.post(SECOND_FACTOR, {"code": current_totp(device)})["Location"] == "/en/office/"


def test_the_lock_grows_from_fifteen_minutes_to_a_day_at_most() -> None:
    assert [services.second_factor_lock_minutes(n) for n in (1, 4, 5, 9, 10, 15, 20, 45, 500)] == \
        [0, 0, 15, 0, 30, 60, 120, 1440, 1440]
