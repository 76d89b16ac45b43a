"""The pictograms a hall's kiosk shows beside a queue group or a service, for people who
choose by picture rather than by reading.

One registry: the codes an administrator picks from (catalog.Service.pictogram,
centers.QueueGroup.pictogram) and the drawing of each, a 24×24 SVG drawn with strokes in
`currentColor` (the `.pict` class in site.css sets stroke and size; `class="f"` fills a shape).
Kept in core because two apps name them (catalog below centers); the kiosk draws them.
Adding a pictogram here needs a migration of both fields' choices.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

# What a service or group without a pictogram of its own shows.
GENERIC = "generic"


@dataclass(frozen=True)
class Pictogram:
    label: str | Promise
    body: str  # the SVG elements inside <symbol>, drawn on a 24×24 grid


PICTOGRAMS: dict[str, Pictogram] = {
    "passport": Pictogram(_("Passport"), (
        '<rect x="5" y="2.5" width="14" height="19" rx="1.5"/><circle cx="12" cy="10" r="3.6"/>'
        '<path d="M8.4 10h7.2M12 6.4c-1.6 2-1.6 5.2 0 7.2M12 6.4c1.6 2 1.6 5.2 0 7.2M9 17.5h6"/>')),
    "id-card": Pictogram(_("ID card (Tazkira)"), (
        '<rect x="2.5" y="5" width="19" height="14" rx="1.5"/><circle cx="8" cy="10.3" r="2.1"/>'
        '<path d="M4.6 16.2c.6-2 1.9-3.1 3.4-3.1s2.8 1.1 3.4 3.1M14 9.5h5M14 12.5h5M14 15.5h3"/>')),
    "driving-licence": Pictogram(_("Driving licence"), (
        '<rect x="2.5" y="5" width="19" height="14" rx="1.5"/><circle cx="8.5" cy="12" r="3.6"/>'
        '<path d="M4.9 12h7.2M8.5 12v3.6M14.5 9.5h4.5M14.5 12.5h4.5M14.5 15.5h3"/>')),
    "vehicle": Pictogram(_("Vehicle"), (
        '<path d="M2.5 16.5V12l2.6-5.5h13.8L21.5 12v4.5zM2.5 12h19M6 9.3h12"/>'
        '<circle cx="7" cy="17.5" r="2"/><circle cx="17" cy="17.5" r="2"/>')),
    "business": Pictogram(_("Business and trade"), (
        '<path d="M4 10.5v10h16v-10M2.5 7.5l2-4h15l2 4zM9.5 20.5v-5.5h5v5.5"/>'
        '<path d="M2.5 7.5a2.4 2.4 0 0 0 4.75 0 2.4 2.4 0 0 0 4.75 0 2.4 2.4 0 0 0 4.75 0 2.4 2.4 0 0 0 4.75 0"/>')),
    "work": Pictogram(_("Work"), (
        '<rect x="3" y="7.5" width="18" height="12" rx="1.5"/>'
        '<path d="M9 7.5v-2a1 1 0 0 1 1-1h4a1 1 0 0 1 1 1v2M3 12.5h18M12 11v3"/>')),
    "tax": Pictogram(_("Tax and customs"), (
        '<path d="M5.5 2.5h13v19l-2.2-1.5-2.2 1.5-2.1-1.5-2.2 1.5-2.1-1.5-2.2 1.5z"/>'
        '<path d="M9 15l6-6"/><circle cx="9.5" cy="9.5" r="1.2"/><circle cx="14.5" cy="14.5" r="1.2"/>')),
    "property": Pictogram(_("Land and property"), (
        '<path d="M2.5 11.5L12 3.5l9.5 8M5 9.5v11h14v-11M10 20.5v-6h4v6"/>')),
    "family": Pictogram(_("Marriage and family"), (
        '<circle cx="7" cy="6" r="2.3"/><circle cx="17" cy="6" r="2.3"/>'
        '<path d="M3 20.5v-5a4 4 0 0 1 8 0v5M13 20.5v-5a4 4 0 0 1 8 0v5"/>'
        '<path class="f" d="M12 13.6l-2-2a1.2 1.2 0 0 1 2-1.5 1.2 1.2 0 0 1 2 1.5z"/>')),
    "birth": Pictogram(_("Birth"), (
        '<circle cx="12" cy="6.5" r="3"/>'
        '<path d="M6 12.5c0-1.5 1.5-2.5 3-2.5h6c1.5 0 3 1 3 2.5 0 4-3 8-6 8s-6-4-6-8zM9 14h6M10 17h4"/>')),
    "education": Pictogram(_("Education"), (
        '<path d="M1.5 9.5L12 4.5l10.5 5-10.5 5z"/>'
        '<path d="M6 11.8v4.7c0 1.5 2.7 3 6 3s6-1.5 6-3v-4.7M21.5 10v6"/>')),
    "health": Pictogram(_("Health"), (
        '<path d="M9 3.5h6V9h5.5v6H15v5.5H9V15H3.5V9H9z"/>')),
    "pension": Pictogram(_("Pension"), (
        '<circle cx="14.5" cy="6.5" r="3.5"/><path d="M14.5 5v3"/>'
        '<path d="M2.5 14h3.5l2.5-1h4a1.5 1.5 0 0 1 0 3H10"/>'
        '<path d="M13 16l5.2-2.3a1.5 1.5 0 0 1 1.6 2.5L13.5 20.5H7.5l-1.5-1h-3.5"/>')),
    "payment": Pictogram(_("Payment"), (
        '<rect x="2.5" y="6" width="19" height="12" rx="1.5"/><circle cx="12" cy="12" r="2.8"/>'
        '<path d="M5.5 9.5h1M17.5 14.5h1"/>')),
    "information": Pictogram(_("Information"), (
        '<circle cx="12" cy="12" r="9.5"/><path d="M12 11v6.5"/><circle class="f" cx="12" cy="7.5" r="1.3"/>')),
    "certificate": Pictogram(_("Certificate"), (
        '<path d="M5.5 2.5h9l4 4v15h-13z"/><path d="M14.5 2.5v4h4M8.5 10h7M8.5 13h7M8.5 16h3"/>'
        '<circle cx="15.5" cy="17.5" r="1.8"/>')),
    "disability": Pictogram(_("Disability"), (
        '<circle cx="10" cy="3.8" r="2.2"/><path d="M10 7v6.5h5.5l2.5 5.5M10 10h4.5"/>'
        '<path d="M7 12.5a5 5 0 1 0 7.5 5.5"/>')),
    GENERIC: Pictogram(_("Ticket (any service)"), (
        '<path d="M3 7h18v3a2 2 0 0 0 0 4v3H3v-3a2 2 0 0 0 0-4z"/><path d="M14 7v10" stroke-dasharray="1.5 1.5"/>')),
}

PICTOGRAM_CHOICES: list[tuple[str, str | Promise]] = [(code, p.label) for code, p in PICTOGRAMS.items()]


def pictogram_or_generic(code: str | None) -> str:
    """A known code, or the generic pictogram for an empty or retired one."""
    return code if code and code in PICTOGRAMS else GENERIC


def symbol_id(code: str) -> str:
    return f"pict-s-{pictogram_or_generic(code)}"


def sprite(codes: list[str] | set[str]) -> SafeString:
    """An invisible <svg> holding one <symbol> per pictogram named (each once), for <use>."""
    known = sorted({pictogram_or_generic(code) for code in codes})
    symbols = "".join(f'<symbol id="{symbol_id(code)}" viewBox="0 0 24 24">{PICTOGRAMS[code].body}</symbol>'
                      for code in known)
    return mark_safe(  # noqa: S308 - the markup is this module's constants, keyed by known codes
        '<svg class="pict-sprite" aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">'
        f"{symbols}</svg>")


def use(code: str, css_class: str = "pict") -> SafeString:
    """The pictogram where it is shown: hidden from screen readers, as its label says it."""
    return format_html('<svg class="{}" aria-hidden="true" focusable="false"><use href="#{}"></use></svg>',
                       css_class, symbol_id(code))
