"""Rating a finished service through the link on the ticket: /<lang>/tickets/<uuid>/rate/.

The ticket's unguessable id is the only key; the page shows no personal data.
"""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from khedmat.centers.models import Ticket

from . import selectors
from .forms import RatingForm
from .services import RatingError, rating_submit


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
    if ticket.status != Ticket.Status.SERVED:
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
