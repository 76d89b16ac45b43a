"""Events the complaints app publishes (khedmat.core.events); notifications tells people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from khedmat.core.events import DomainEvent, declare, secret_field

from .models import Complaint

if TYPE_CHECKING:
    from khedmat.centers.models import Center


@declare
@dataclass(frozen=True, kw_only=True)
class ComplaintFiled(DomainEvent):
    name = "complaint.filed"
    complaint: Complaint


@declare
@dataclass(frozen=True, kw_only=True)
class ComplaintChanged(DomainEvent):
    """A workflow step: taken, investigation opened, answered, closed, reopened."""

    name = "complaint.changed"
    complaint: Complaint
    step: str
    from_state: str
    to_state: str


@declare
@dataclass(frozen=True, kw_only=True)
class ComplaintEscalated(DomainEvent):
    """One rung of the ladder: 1 supervisor alerted, 2 agency head, 3 ombudsman desk."""

    name = "complaint.escalated"
    complaint: Complaint
    level: int
    recipient_ids: list[int]


@declare
@dataclass(frozen=True, kw_only=True)
class ComplaintConsentCodeRequested(DomainEvent):
    """An operator filing a complaint for someone at a centre asked for their consent by SMS."""

    name = "complaint.consent_code_requested"
    phone: str
    language: str
    center: Center  # the operator's: the SMS names it in the complainant's language
    code: str = secret_field()
