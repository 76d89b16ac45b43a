"""The sign-in throttles, built from settings at call time (settings are never read at import).

Three counters: per account (a username or a mobile number), per client IP, and per
mobile number for codes sent by SMS. Wrong passwords, wrong SMS codes, wrong TOTP codes
and code sends are counted; once a counter is full, nothing is checked or sent.
"""

from __future__ import annotations

import math

from django.conf import settings

from khedmat.core.ratelimit import Throttle


class Throttled(Exception):
    """Too many attempts: the caller must refuse, and say when to try again."""

    def __init__(self, *, minutes: int) -> None:
        super().__init__(f"throttled for {minutes} minutes")
        self.minutes = minutes


def login_per_account() -> Throttle:
    return Throttle("login-account", *settings.THROTTLE_LOGIN_PER_ACCOUNT)


def login_per_ip() -> Throttle:
    return Throttle("login-ip", *settings.THROTTLE_LOGIN_PER_IP)


def code_send_per_phone() -> Throttle:
    return Throttle("code-send-phone", *settings.THROTTLE_CODE_SEND_PER_PHONE)


def ensure_not_throttled(*checks: tuple[Throttle, str]) -> None:
    """Raise Throttled if any (throttle, identity) pair is full.

    The fixed window's remaining time is not kept, so the whole window is announced:
    the wait is never longer than promised.
    """
    full = [throttle for throttle, identity in checks if throttle.is_exceeded(identity)]
    if full:
        raise Throttled(minutes=max(math.ceil(throttle.window_seconds / 60) for throttle in full))


def count_attempt(*checks: tuple[Throttle, str]) -> None:
    for throttle, identity in checks:
        throttle.hit(identity)


def login_checks(*, account: str, ip: str) -> tuple[tuple[Throttle, str], ...]:
    """The counters a sign-in attempt (password, SMS code, TOTP code) is charged to."""
    return ((login_per_account(), account.casefold()), (login_per_ip(), ip))
