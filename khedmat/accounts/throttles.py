"""The sign-in throttles, built from settings at call time (settings are never read at import).

Three counters: per account (a username or a mobile number), per client IP, and per
mobile number for codes sent by SMS. The checking, counting and wording live in
core.ratelimit; this module only says which counters sign-in uses.
"""

from __future__ import annotations

from khedmat.core.ratelimit import Check, Throttle, Throttled, count, ensure_allowed

__all__ = ["Throttled", "code_send_per_phone", "count_attempt", "ensure_not_throttled", "login_checks",
           "login_per_account", "login_per_ip"]

ensure_not_throttled = ensure_allowed
count_attempt = count


def login_per_account() -> Throttle:
    return Throttle.from_setting("THROTTLE_LOGIN_PER_ACCOUNT", scope="login-account")


def login_per_ip() -> Throttle:
    return Throttle.from_setting("THROTTLE_LOGIN_PER_IP", scope="login-ip")


def code_send_per_phone() -> Throttle:
    return Throttle.from_setting("THROTTLE_CODE_SEND_PER_PHONE", scope="code-send-phone")


def login_checks(*, account: str, ip: str) -> tuple[Check, ...]:
    """The counters a sign-in attempt (password, SMS code, TOTP code) is charged to."""
    return ((login_per_account(), account.casefold()), (login_per_ip().for_address(ip), ip))
