"""The sign-in throttles, built from settings at call time (settings are never read at import).

Only failures are counted at sign-in (a wrong password, a wrong code), never plain
requests, so people sharing one address do not lock one another out:

- per account (a username or a mobile number): wrong passwords or SMS codes. A staff account
  has two such counters: one for the networks it signed in from before, one for everywhere
  else, so a stranger who fills the second does not lock the officer out of their office;
- per client address: wrong passwords and codes of any account (larger inside
  THROTTLE_TRUSTED_NETWORKS);
- codes sent by SMS: per number, and a wide per-address limit against SMS pumping.

Wrong second-factor codes are counted in the database per account (services), not here.
The checking, counting and wording live in core.ratelimit.
"""

from __future__ import annotations

from khedmat.core.ratelimit import Check, Throttle, Throttled, count, ensure_allowed

__all__ = ["Throttled", "code_send_checks", "code_send_per_phone", "count_attempt", "ensure_not_throttled",
           "ip_check", "login_checks", "login_per_account", "login_per_ip", "password_account_check"]

ensure_not_throttled = ensure_allowed
count_attempt = count


def login_per_account(*, known_network: bool = False) -> Throttle:
    """Wrong passwords (or SMS codes) per account; `known_network`: the separate counter of
    attempts from a network where the account signed in before."""
    scope = "login-account-known" if known_network else "login-account"
    return Throttle.from_setting("THROTTLE_LOGIN_PER_ACCOUNT", scope=scope)


def login_per_ip() -> Throttle:
    return Throttle.from_setting("THROTTLE_LOGIN_PER_IP", scope="login-ip")


def code_send_per_phone() -> Throttle:
    return Throttle.from_setting("THROTTLE_CODE_SEND_PER_PHONE", scope="code-send-phone")


def code_send_per_ip() -> Throttle:
    return Throttle.from_setting("THROTTLE_CODE_SEND_PER_IP", scope="code-send-ip")


def ip_check(ip: str) -> Check:
    """Failures of any sign-in from this address (a larger limit inside a trusted network)."""
    return (login_per_ip().for_address(ip), ip)


def password_account_check(*, account: str, known_network: bool) -> Check:
    return (login_per_account(known_network=known_network), account.casefold())


def login_checks(*, account: str, ip: str) -> tuple[Check, ...]:
    """The counters a wrong SMS code is charged to: the number and the address."""
    return (password_account_check(account=account, known_network=False), ip_check(ip))


def code_send_checks(*, phone_number: str, ip: str) -> tuple[Check, ...]:
    """The counters an SMS code sent is charged to."""
    return ((code_send_per_phone(), phone_number), (code_send_per_ip().for_address(ip), ip))
