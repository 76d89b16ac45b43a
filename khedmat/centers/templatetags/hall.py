"""The kiosk's pictograms in templates: {% kiosk_sprite layout %} once per page, then
{% service_pictogram service group %} and {% group_pictogram group %} where they are shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django.utils.safestring import SafeString

from khedmat.core import pictograms

from .. import pictograms as choice

if TYPE_CHECKING:
    from khedmat.catalog.models import Service

    from ..models import QueueGroup
    from ..selectors import KioskGroup

register = template.Library()


@register.simple_tag
def kiosk_sprite(layout: list[KioskGroup] | None, *extra: str) -> SafeString:
    """The drawings this screen uses, each once: the page stays light however many buttons."""
    return pictograms.sprite(choice.kiosk_pictograms(layout or []) | set(extra))


@register.simple_tag
def service_pictogram(service: Service, group: QueueGroup) -> SafeString:
    return pictograms.use(choice.service_pictogram(service, group))


@register.simple_tag
def group_pictogram(group: QueueGroup) -> SafeString:
    return pictograms.use(choice.group_pictogram(group), "pict pict--group")
