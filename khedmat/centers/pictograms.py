"""Which pictogram the kiosk shows for a queue group and for each of its services.

The drawings and their codes are khedmat.core.pictograms; here is the one rule for choosing:
a service's own pictogram, else its group's, else the generic ticket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from khedmat.core.pictograms import GENERIC, PICTOGRAMS

from .models import QueueGroup

if TYPE_CHECKING:
    from khedmat.catalog.models import Service

    from .selectors import KioskGroup


def group_pictogram(group: QueueGroup) -> str:
    return group.pictogram if group.pictogram in PICTOGRAMS else GENERIC


def service_pictogram(service: Service, group: QueueGroup) -> str:
    """The service's own pictogram, else its queue group's, else the generic one."""
    return service.pictogram if service.pictogram in PICTOGRAMS else group_pictogram(group)


def kiosk_pictograms(layout: list[KioskGroup]) -> set[str]:
    """Every pictogram a kiosk screen of this layout shows (for its sprite)."""
    codes = {group_pictogram(entry.group) for entry in layout}
    codes.update(service_pictogram(service, entry.group) for entry in layout for service in entry.services)
    return codes

