"""How applications reacts to other apps' events (registered in ApplicationsConfig.ready)."""

from __future__ import annotations

from django.http import HttpRequest

from khedmat.accounts.events import ProfileUpdated
from khedmat.core import events

from .services.office import applications_search_text_refresh


def refresh_search_text(event: ProfileUpdated, request: HttpRequest | None) -> None:
    """A citizen's new name or Tazkira number finds their files in the inbox at once."""
    applications_search_text_refresh(applicant_id=event.user_id)


def register() -> None:
    events.subscribe(ProfileUpdated, refresh_search_text)
