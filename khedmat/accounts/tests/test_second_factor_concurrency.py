"""Guesses sent all at once are counted as one after another (PostgreSQL row locks)."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from khedmat.accounts import services
from khedmat.accounts.models import User
from khedmat.applications.tests.test_concurrency import in_parallel, needs_postgresql

from .conftest import SECOND_FACTOR, client_at, give_password, wrong_totp


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twelve_guesses_at_once_get_no_more_tries_than_one_after_another(officer: User) -> None:
    wrong = wrong_totp(TOTPDevice.objects.get(user=officer))
    clients: list[Client] = [client_at(f"198.51.100.{n + 1}") for n in range(12)]
    for client in clients:
        give_password(client, "officer.moi")
    results = in_parallel(lambda index: clients[index].post(SECOND_FACTOR, {"code": wrong}), 12)
    assert all(not isinstance(result, Exception) for result in results), results
    statuses = sorted(result.status_code for result in results)
    assert statuses == [200] * 4 + [429] * 8, "four wrong codes refused, the fifth locks, the rest wait"
    officer.refresh_from_db()
    assert officer.second_factor_failures == 5 and officer.second_factor_locked_until is not None


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_recovery_code_used_twice_at_once_signs_in_once(officer: User) -> None:
    code = services.staff_recovery_codes_make(user=officer)[0].replace("-", "")

    def use(index: int) -> object:
        return services.staff_second_factor_verify(user=officer, code=code, ip=f"198.51.100.{index + 1}")

    results = in_parallel(use, 4)
    passed = [result for result in results if isinstance(result, services.SecondFactorPassed)]
    refused = [result for result in results if isinstance(result, services.SignInError)]
    assert (len(passed), len(refused)) == (1, 3), results
