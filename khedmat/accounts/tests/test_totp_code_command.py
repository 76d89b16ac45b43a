"""`manage.py totp_code <username>` prints a demonstration user's current code."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from khedmat.accounts.models import User

from .conftest import current_totp

pytestmark = pytest.mark.django_db


def test_it_refuses_without_debug_unless_forced(officer: User) -> None:
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("totp_code", "officer.moi")


def test_it_prints_the_code_the_sign_in_accepts(officer: User) -> None:
    out = StringIO()
    call_command("totp_code", "officer.moi", "--force", stdout=out, stderr=StringIO())
    assert out.getvalue().strip() == current_totp(TOTPDevice.objects.get(user=officer))


@override_settings(DEBUG=True)
def test_it_names_what_is_missing(operator: User) -> None:
    with pytest.raises(CommandError, match="no confirmed"):
        call_command("totp_code", "operator.kbl")
    with pytest.raises(CommandError, match="No user"):
        call_command("totp_code", "nobody")
