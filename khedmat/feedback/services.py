"""Recording what citizens say about a finished service: one rating per ticket."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from khedmat.centers import selectors as center_selectors
from khedmat.core.errors import Refusal

from .models import Rating

if TYPE_CHECKING:
    from khedmat.centers.models import Ticket

CHANNELS = ("tablet", "link", "ussd")


class RatingError(Refusal):
    """A rating refused (see core.errors.Refusal); nothing was saved."""


@transaction.atomic
def rating_submit(*, ticket: Ticket, score: int, reason: str = "", comment: str = "", channel: str) -> Rating:
    """Rate the service a ticket received (1–5); a low score needs a reason from the list.

    Only a served ticket is rated, once: a second rating, even one racing the first, is
    refused as "already rated". The rating is tied to the ticket's service, its agency, and
    the counter of the ticket's last visit.
    """
    if channel not in CHANNELS:
        raise RatingError(_("Unknown rating channel."), code="bad_channel")
    # The status as stored now: the caller's copy may be older than the counter's last action.
    if not center_selectors.ticket_served_now(ticket_id=ticket.pk):
        raise RatingError(_("This ticket can be rated once its service is finished."), code="not_served")
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise RatingError(_("Choose a score from 1 to 5."), code="bad_score")
    if reason and reason not in Rating.Reason.values:
        raise RatingError(_("Choose a reason from the list."), code="bad_reason")
    if score <= Rating.REASON_REQUIRED_AT_OR_BELOW and not reason:
        raise RatingError(_("Tell us what went wrong: choose a reason."), code="reason_required")
    comment = (comment or "").strip()[:1000]
    if Rating.objects.filter(ticket_id=ticket.pk).exists():
        raise RatingError(_("This service has already been rated. Thank you."), code="already_rated")
    counter_id = center_selectors.ticket_last_counter_id(ticket=ticket)
    agency_id = ticket.service.agency_id
    try:
        # A savepoint: two taps racing each other meet at the unique ticket column, and the
        # loser's refusal must leave the caller's transaction usable.
        with transaction.atomic():
            return Rating.objects.create(
                ticket=ticket, center_id=ticket.center_id, service_id=ticket.service_id,
                agency_id=agency_id, counter_id=counter_id, score=score,
                reason=reason,
                comment=comment, channel=channel,
            )
    except IntegrityError as error:
        raise RatingError(_("This service has already been rated. Thank you."), code="already_rated") from error
