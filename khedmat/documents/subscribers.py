"""How documents reacts to the applications' events (registered in DocumentsConfig.ready)."""

from __future__ import annotations

from django.http import HttpRequest

from khedmat.applications.events import ApplicationTransitioned
from khedmat.core import events

from .services import document_issue_on_entering


def issue_on_entering(event: ApplicationTransitioned, request: HttpRequest | None) -> None:
    """Entering an issuing state issues the service's document, in the step's transaction."""
    document_issue_on_entering(application=event.application, state=event.to_state, actor=event.actor,
                               request=request)


def register() -> None:
    events.subscribe(ApplicationTransitioned, issue_on_entering)
