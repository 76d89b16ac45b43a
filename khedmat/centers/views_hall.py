"""The hall's printed ticket and the board's spoken calls.

The printed ticket is a page laid out for a thermal printer (58 or 80 mm roll, ?paper=58|80)
with a QR code that opens the ticket's live page on a phone. The board's sound is a WAV per
call, made from parts kept on disk (khedmat.centers.voice), never by an online service.
"""

from __future__ import annotations

import base64
import io
import uuid

import segno
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import selectors, voice
from .models import Center, Ticket

PAPER_WIDTHS = ("58", "80")
DEFAULT_PAPER = "80"


def public_url(path: str) -> str:
    """An address a phone outside the hall can open: settings.PUBLIC_BASE_URL and `path`."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def qr_data_uri(text: str) -> str:
    """A QR code as an <img> source (the Content-Security-Policy allows data: images, and
    an <img> prints on every printer driver)."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", xmldecl=False, svgns=True, nl=False, scale=4, border=2,
                                     dark="#000", light="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@never_cache
@require_GET
def ticket_print(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The ticket as the kiosk's printer prints it: number, service, center, time, people ahead
    and a QR code of its live page. Works without JavaScript (the browser's own Print)."""
    found = selectors.ticket_by_public_id(public_id=public_id)
    if found is None:
        raise Http404
    paper = str(request.GET.get("paper", ""))
    paper = paper if paper in PAPER_WIDTHS else DEFAULT_PAPER
    position = selectors.ticket_position(ticket=found) if found.status == Ticket.Status.WAITING else None
    live_url = public_url(reverse("centers:ticket", kwargs={"public_id": found.public_id}))
    return render(request, "centers/public/ticket_print.html", {
        "ticket": found, "center": found.center, "position": position, "paper": paper,
        "papers": PAPER_WIDTHS, "live_url": live_url, "qr": qr_data_uri(live_url),
        "printed_at": timezone.now(), "in_kiosk": request.GET.get("kiosk") == "1",
    })


@require_GET
def board_call_audio(request: HttpRequest, slug: str, number: str, counter: int) -> HttpResponse:
    """A call spoken in the page's language: "Ticket A 0 4 2, please go to counter 3".

    Only the center's counters and well-formed numbers are voiced: the parts kept on disk are
    bounded by the letters, ten digits and the counters of the centers."""
    center = get_object_or_404(Center, slug=slug, is_active=True)
    language = get_language() or settings.LANGUAGE_CODE
    if (voice.TICKET_NUMBER.match(number) is None or not voice.can_announce(language)
            or not center.counters.filter(number=counter).exists()):
        raise Http404
    try:
        sound = voice.announcement(language, number, counter)
    except voice.VoiceUnavailable as error:
        raise Http404 from error
    response = HttpResponse(sound, content_type="audio/wav")
    # The same call always sounds the same: the board's browser need not ask again.
    response["Cache-Control"] = "public, max-age=86400"
    return response


def board_call_audio_url(center: Center, number: str, counter: int) -> str | None:
    """Where the board fetches a call's sound, or None when the hall's language has no voice."""
    language = get_language() or settings.LANGUAGE_CODE
    if voice.TICKET_NUMBER.match(number) is None or not voice.can_announce(language):
        return None
    return reverse("centers:board_call_audio", kwargs={"slug": center.slug, "number": number, "counter": counter})
