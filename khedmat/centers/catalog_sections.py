"""What the centers add to the catalog's pages (khedmat/catalog/sections.py): the catalog sits
below the centers and never imports them, so the centers register these in `ready()`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from khedmat.catalog import fragments, sections

from . import selectors
from .hours import center_hours_text

if TYPE_CHECKING:
    from khedmat.catalog.models import Service


def home_centers() -> dict[str, Any]:
    """The home page's "Service centers": every open center, with its own days and hours
    (Kabul opens every day around the clock, Herat Saturday to Wednesday)."""
    return {"centers": [{"name": center.name, "address": center.address, "hours_text": center_hours_text(center)}
                        for center in selectors.center_list()]}


def service_centers(*, service: Service) -> dict[str, Any]:
    """A service's "Where to go": the centers that offer it, to join the queue or book."""
    return {"centers": selectors.center_list(service=service)}


def register() -> None:
    from .models import AppointmentSchedule, Center, QueueGroup

    # The catalog keeps its rendered pages (catalog/fragments.py): what these sections show
    # changes with the centres, the services they offer and their appointment schedules; the
    # join form's services (selectors.join_choices) with the queue groups too.
    fragments.watch(Center, AppointmentSchedule, QueueGroup)
    sections.register(page=sections.HOME, template_name="centers/catalog/home_centers.html", provider=home_centers)
    sections.register(page=sections.SERVICE, template_name="centers/catalog/service_centers.html",
                      provider=service_centers)
