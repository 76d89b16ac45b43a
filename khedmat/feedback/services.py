"""Recording what citizens say about a finished service: one rating per ticket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from khedmat.accounts.permissions import is_center_manager
from khedmat.audit.services import audit_record
from khedmat.centers import selectors as center_selectors
from khedmat.core.errors import Refusal
from khedmat.core.formatting import format_number
from khedmat.core.parsing import plain_text

from .models import Rating, RatingFollowUp

if TYPE_CHECKING:
    from django.http import HttpRequest

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


# --- following up low ratings (the center manager) ------------------------------------------------

class FollowUpError(Refusal):
    """A follow-up refused (see core.errors.Refusal); nothing was saved."""


# A follow-up's note: as long as a rating's comment.
NOTE_MAX_LENGTH = 1000


@transaction.atomic
def rating_follow_up_record(*, rating: Rating, by: Any, method: str, note: str, key: str,
                            request: HttpRequest | None = None) -> RatingFollowUp:
    """Record what a manager of the rating's center did about it (audited).

    Only a low rating (a reason was required) is followed up, only by a manager of its own
    center. "Something else" needs a note saying what. The same `key` (one per form shown)
    records once: a second click or a retried POST returns the first record.
    """
    if not is_center_manager(by) or by.center_id != rating.center_id:
        raise FollowUpError(_("Only a manager of the center follows up its ratings."), code="not_allowed")
    if rating.score > Rating.REASON_REQUIRED_AT_OR_BELOW:
        raise FollowUpError(_("Only low ratings are followed up here."), code="not_low")
    if method not in RatingFollowUp.Method.values:
        raise FollowUpError(_("Choose how you followed up."), code="bad_method")
    note = plain_text(note)
    if len(note) > NOTE_MAX_LENGTH:
        raise FollowUpError(_("Keep the note to %(count)s characters.") % {"count": format_number(NOTE_MAX_LENGTH)},
                            code="note_too_long")
    if method == RatingFollowUp.Method.OTHER and not note:
        raise FollowUpError(_("Say in the note how you followed up."), code="note_required")
    key = plain_text(key)[:64]
    if not key:
        raise FollowUpError(_("The form has expired: open the list again."), code="no_key")
    earlier = RatingFollowUp.objects.filter(idempotency_key=key).first()
    if earlier is not None:
        if earlier.rating_id != rating.pk or earlier.by_id != by.pk:
            raise FollowUpError(_("The form has expired: open the list again."), code="key_reused")
        return earlier
    try:
        with transaction.atomic():
            follow_up = RatingFollowUp.objects.create(rating=rating, by=by, method=method, note=note,
                                                      idempotency_key=key)
    except IntegrityError:  # the same form sent twice at once: the other request recorded it
        return RatingFollowUp.objects.get(idempotency_key=key)
    audit_record(action="feedback.rating_followed_up", target_type="feedback.rating", target_id=rating.pk,
                 actor=by, data={"method": method, "follow_up": follow_up.pk, "center": rating.center_id},
                 request=request)
    return follow_up
