"""How payments reacts to the applications' events (registered in PaymentsConfig.ready)."""

from __future__ import annotations

from django.http import HttpRequest

from khedmat.applications.events import ApplicationSubmitted, ApplicationTransitioned
from khedmat.core import events

from .services import payment_order_open, payment_step_settle


def open_order_on_submit(event: ApplicationSubmitted, request: HttpRequest | None) -> None:
    """The fee's order opens in the transaction that sends the file (or, with nothing to
    pay, the file goes straight past its payment step). Published once per application, as
    it leaves the draft state: it has no order yet, none is looked for."""
    payment_order_open(application=event.application, actor=event.actor, request=request, just_sent=True)


def settle_on_transition(event: ApplicationTransitioned, request: HttpRequest | None) -> None:
    """A file that reaches its payment step with the fee paid moves straight on; one that
    closes unpaid cancels its order."""
    if payment_step_settle(application=event.application, request=request):
        event.application.refresh_from_db()


def register() -> None:
    events.subscribe(ApplicationSubmitted, open_order_on_submit)
    events.subscribe(ApplicationTransitioned, settle_on_transition)
