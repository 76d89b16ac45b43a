"""Events the applications app publishes (khedmat.core.events).

Payments and documents react to `ApplicationTransitioned` and `ApplicationSubmitted`;
notifications tells the applicant of the milestones. Each carries the file itself: the
subscribers run in the same transaction and read it as the change left it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from khedmat.core.events import DomainEvent, declare, secret_field

from .models import Application, Message

if TYPE_CHECKING:
    from khedmat.accounts.models import User


@declare
@dataclass(frozen=True, kw_only=True)
class ApplicationSubmitted(DomainEvent):
    name = "application.submitted"
    application: Application
    actor: User


@declare
@dataclass(frozen=True, kw_only=True)
class ApplicationTransitioned(DomainEvent):
    """Any workflow step, the system's included."""

    name = "application.transitioned"
    application: Application
    actor: User | None  # None for the system's steps
    step: str
    from_state: str
    to_state: str
    actor_role: str
    reason_code: str = ""
    reason_text: str = ""


@dataclass(frozen=True, kw_only=True)
class Milestone(DomainEvent):
    """The file entered a state the applicant must hear about (the state's `milestone`)."""

    application: Application
    state: str
    reason_code: str = ""
    reason_text: str = ""


@declare
@dataclass(frozen=True, kw_only=True)
class ApplicationInformationRequested(Milestone):
    name = "application.information_requested"


@declare
@dataclass(frozen=True, kw_only=True)
class ApplicationSentBack(Milestone):
    name = "application.sent_back"


@declare
@dataclass(frozen=True, kw_only=True)
class ApplicationApproved(Milestone):
    name = "application.approved"


@declare
@dataclass(frozen=True, kw_only=True)
class ApplicationRejected(Milestone):
    name = "application.rejected"


@declare
@dataclass(frozen=True, kw_only=True)
class ApplicationClosed(Milestone):
    """Ended without a decision on its merits: the fee not paid in time, withdrawn."""

    name = "application.closed"


@declare
@dataclass(frozen=True, kw_only=True)
class ApplicationReadyForCollection(Milestone):
    """What the service hands over (a passport) waits at the center the applicant picked."""

    name = "application.ready_for_collection"


MILESTONE_EVENTS: dict[str, type[Milestone]] = {
    "information_requested": ApplicationInformationRequested,
    "sent_back": ApplicationSentBack,
    "approved": ApplicationApproved,
    "rejected": ApplicationRejected,
    "closed": ApplicationClosed,
    "ready_for_collection": ApplicationReadyForCollection,
}


@declare
@dataclass(frozen=True, kw_only=True)
class ApplicationMessageSent(DomainEvent):
    """The agency wrote to the applicant on their file."""

    name = "application.message_sent"
    application: Application
    message: Message


@declare
@dataclass(frozen=True, kw_only=True)
class ApplicationsEscalated(DomainEvent):
    """Files of one agency passed their time standard; its administrators must hear of it."""

    name = "application.escalated"
    agency_id: int
    references: list[str]
    supervisor_ids: list[int]


@declare
@dataclass(frozen=True, kw_only=True)
class ConsentCodeRequested(DomainEvent):
    """An operator filing for a walk-in citizen asked for the citizen's consent by SMS."""

    name = "application.consent_code_requested"
    application: Application  # the draft, filed at `application.center` for `application.applicant`
    code: str = secret_field()
