"""Events the accounts app publishes (khedmat.core.events)."""

from __future__ import annotations

from dataclasses import dataclass

from khedmat.core.events import DomainEvent, declare, secret_field


@declare
@dataclass(frozen=True, kw_only=True)
class PhoneCodeRequested(DomainEvent):
    """Someone asked to sign in with this mobile number: the code goes to it by SMS, in the
    language of the page they asked from. The code itself is never recorded."""

    name = "account.phone_code_requested"
    phone_number: str
    language: str
    minutes: int  # how long the code lives
    code: str = secret_field()


@declare
@dataclass(frozen=True, kw_only=True)
class ProfileUpdated(DomainEvent):
    """A citizen changed their name or Tazkira number: what their files are found by changes."""

    name = "account.profile_updated"
    user_id: int
    fields: list[str]
