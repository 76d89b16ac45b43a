"""Rating a finished service: through the link on the ticket, /<lang>/tickets/<uuid>/rate/,
and on the tablet facing the citizen at a counter, /<lang>/devices/tablet/.

The ticket's unguessable id is the only key to the link's page, which shows no personal
data. The tablet is a paired device of its center (khedmat.centers.devices), bound to one
counter: it needs no staff session, has no staff navigation and no staff rights, and
offers only what its counter has just finished.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from khedmat.centers.devices import RATING_TABLET, screen_device, screen_response

from . import selectors
from .forms import RatingForm
from .services import RatingError, rating_submit

if TYPE_CHECKING:
    from khedmat.centers.models import Device, Ticket

# The tablet's welcome screen reloads itself to pick up the next finished ticket; the
# rating form reloads less often, so a citizen has time to answer but a form left
# unanswered gives way to the next citizen's.
IDLE_REFRESH_SECONDS = 5
FORM_REFRESH_SECONDS = 90


def _ticket_or_404(public_id: uuid.UUID) -> Ticket:
    ticket = selectors.ticket_for_rating(public_id=public_id)
    if ticket is None:
        raise Http404
    return ticket


@never_cache
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    ticket = _ticket_or_404(public_id)
    if selectors.rating_for_ticket(ticket=ticket) is not None:
        return redirect("feedback:rate_thanks", public_id=ticket.public_id)
    context: dict[str, object] = {"ticket": ticket, "action": reverse("feedback:rate_link",
                                                                      kwargs={"public_id": ticket.public_id})}
    if not ticket.is_served:
        return render(request, "feedback/rate.html", {**context, "not_yet": True})
    form = RatingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            rating_submit(ticket=ticket, score=form.cleaned_data["score"], reason=form.cleaned_data["reason"],
                          comment=form.cleaned_data["comment"], channel="link")
        except RatingError as error:
            if error.code != "already_rated":
                form.add_error(None, error.message)
                return render(request, "feedback/rate.html", {**context, "form": form})
        return redirect("feedback:rate_thanks", public_id=ticket.public_id)
    return render(request, "feedback/rate.html", {**context, "form": form})


@never_cache
@require_GET
def thanks(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    ticket = _ticket_or_404(public_id)
    return render(request, "feedback/thanks.html", {"ticket": ticket,
                                                    "rating": selectors.rating_for_ticket(ticket=ticket)})


# --- the counter tablet ---------------------------------------------------------------------------

def _tablet(request: HttpRequest, device: Device | None, context: dict[str, Any], *, refresh: int | None,
            status: int = 200) -> HttpResponse:
    response = render(request, "feedback/counter_rate.html",
                      {"device": device, "center": device.center if device else None, **context}, status=status)
    if refresh:
        # A Refresh header is the meta refresh's twin, and needs no inline markup in <head>.
        response["Refresh"] = str(refresh)
    return screen_response(request, response, device)


@never_cache
@require_http_methods(["GET", "POST"])
def counter_rate(request: HttpRequest) -> HttpResponse:
    """The tablet facing the citizen: the rating of the ticket its counter just finished, or
    a welcome screen that looks again every few seconds. A browser that is not a paired
    tablet is told so (403) and offered the pairing page; it never sees a rating form."""
    device = screen_device(request, kind=RATING_TABLET)
    if device is None:
        return _tablet(request, None, {"unpaired": True}, refresh=None, status=403)
    own = device.counter
    assert own is not None
    context: dict[str, Any] = {"counter": own, "action": reverse("feedback:counter_rate")}
    if own.state == own.State.CLOSED:
        return _tablet(request, device, {**context, "closed": True}, refresh=IDLE_REFRESH_SECONDS)
    if request.method == "POST":
        ticket = selectors.ticket_rateable_at(counter=own, public_id=request.POST.get("ticket", ""))
        if ticket is None:
            # Rated already, too late, or not this counter's: back to the welcome screen.
            return screen_response(request, redirect("feedback:counter_rate"), device)
        form = RatingForm(request.POST)
        if form.is_valid():
            try:
                rating_submit(ticket=ticket, score=form.cleaned_data["score"], reason=form.cleaned_data["reason"],
                              comment=form.cleaned_data["comment"], channel="tablet")
            except RatingError as error:
                if error.code != "already_rated":
                    form.add_error(None, error.message)
                    return _tablet(request, device, {**context, "ticket": ticket, "form": form,
                                                     "hidden": {"ticket": ticket.public_id}},
                                   refresh=FORM_REFRESH_SECONDS, status=422)
            return screen_response(request, redirect(f"{reverse('feedback:counter_rate')}?thanks=1"), device)
        return _tablet(request, device, {**context, "ticket": ticket, "form": form,
                                         "hidden": {"ticket": ticket.public_id}},
                       refresh=FORM_REFRESH_SECONDS, status=422)
    ticket = selectors.ticket_to_rate(counter=own)
    if ticket is None:
        return _tablet(request, device, {**context, "thanks": request.GET.get("thanks") == "1"},
                       refresh=IDLE_REFRESH_SECONDS)
    return _tablet(request, device, {**context, "ticket": ticket, "form": RatingForm(),
                                     "hidden": {"ticket": ticket.public_id}}, refresh=FORM_REFRESH_SECONDS)
