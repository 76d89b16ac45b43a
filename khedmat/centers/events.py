"""Events the centers app publishes (khedmat.core.events)."""

from __future__ import annotations

from dataclasses import dataclass

from khedmat.core.events import DomainEvent, declare

from .models import Appointment, Counter, Ticket


@declare
@dataclass(frozen=True, kw_only=True)
class TicketIssued(DomainEvent):
    """A ticket was given (kiosk, phone, USSD, appointment check-in)."""

    name = "ticket.issued"
    ticket: Ticket


@declare
@dataclass(frozen=True, kw_only=True)
class TicketCalled(DomainEvent):
    name = "ticket.called"
    ticket: Ticket
    counter: Counter
    recall: bool = False


@declare
@dataclass(frozen=True, kw_only=True)
class TicketTurnNear(DomainEvent):
    """Only a few people stand before this ticket now (`ahead`): time to come back."""

    name = "ticket.turn_near"
    ticket: Ticket
    ahead: int


@declare
@dataclass(frozen=True, kw_only=True)
class AppointmentBooked(DomainEvent):
    name = "appointment.booked"
    appointment: Appointment


@declare
@dataclass(frozen=True, kw_only=True)
class AppointmentMoved(DomainEvent):
    name = "appointment.moved"
    appointment: Appointment


@declare
@dataclass(frozen=True, kw_only=True)
class AppointmentCancelled(DomainEvent):
    name = "appointment.cancelled"
    appointment: Appointment


@declare
@dataclass(frozen=True, kw_only=True)
class AppointmentReminderDue(DomainEvent):
    """The day before: the booking stands, its holder is reminded (once)."""

    name = "appointment.reminder_due"
    appointment: Appointment
