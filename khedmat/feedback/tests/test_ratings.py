"""Rating a finished service: the rules of rating_submit and the page behind the ticket's link."""

from __future__ import annotations

import pytest
from django.test import Client

from khedmat.centers.models import Ticket
from khedmat.centers.services import ticket_call_next, ticket_finish, ticket_issue, ticket_start, ticket_transfer
from khedmat.centers.tests.conftest import Hall
from khedmat.feedback.models import Rating
from khedmat.feedback.services import RatingError, rating_submit


@pytest.fixture
def served(hall: Hall) -> Ticket:
    """A passport ticket served at counter 3."""
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    counter = hall.open(3)
    ticket_call_next(counter=counter)
    ticket_start(counter=counter, ticket=ticket)
    return ticket_finish(counter=counter, ticket=ticket)


def rate_url(ticket: Ticket, language: str = "en") -> str:
    return f"/{language}/tickets/{ticket.public_id}/rate/"


def test_a_rating_is_tied_to_ticket_service_agency_and_counter(hall: Hall, served: Ticket) -> None:
    rating = rating_submit(ticket=served, score=5, channel="link")
    assert (rating.ticket, rating.service, rating.agency, rating.center) == (
        served, hall.passport, hall.passport.agency, hall.center)
    assert rating.counter == hall.counter(3)


def test_the_counter_is_the_one_of_the_last_visit_after_a_transfer(hall: Hall) -> None:
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    first, second = hall.open(3), hall.open(4)
    ticket_call_next(counter=first)
    ticket_transfer(counter=first, ticket=ticket, service=hall.licence)
    ticket_call_next(counter=second)
    ticket = ticket_finish(counter=second, ticket=ticket)
    rating = rating_submit(ticket=ticket, score=4, channel="tablet")
    assert (rating.counter, rating.service) == (hall.counter(4), hall.licence)


@pytest.mark.parametrize(("score", "reason", "code"), [
    (0, "", "bad_score"), (6, "", "bad_score"), (2, "", "reason_required"), (1, "nonsense", "bad_reason"),
])
def test_scores_outside_1_to_5_and_low_scores_without_reason_are_refused(served: Ticket, score: int, reason: str,
                                                                         code: str) -> None:
    with pytest.raises(RatingError) as refused:
        rating_submit(ticket=served, score=score, reason=reason, channel="link")
    assert refused.value.code == code
    assert not Rating.objects.exists()


def test_only_a_served_ticket_is_rated_and_only_once(hall: Hall, served: Ticket) -> None:
    waiting = ticket_issue(center=hall.center, service=hall.passport)
    with pytest.raises(RatingError) as refused:
        rating_submit(ticket=waiting, score=5, channel="link")
    assert refused.value.code == "not_served"
    rating_submit(ticket=served, score=2, reason=Rating.Reason.LONG_WAIT, channel="tablet")
    with pytest.raises(RatingError) as again:
        rating_submit(ticket=served, score=5, channel="link")
    assert again.value.code == "already_rated"
    assert Rating.objects.get().score == 2


def test_rating_page_asks_for_a_reason_when_a_low_score_comes_without_one(client: Client, served: Ticket) -> None:
    page = client.get(rate_url(served)).content.decode()
    assert 'type="radio" name="score" value="1"' in page and 'name="reason"' in page
    back = client.post(rate_url(served), {"score": "1"})
    assert back.status_code == 200
    assert "rating-form--low" in back.content.decode() and "choose a reason" in back.content.decode()
    assert not Rating.objects.exists()
    done = client.post(rate_url(served), {"score": "1", "reason": "rude", "comment": "Shouted at me."})
    assert done["Location"] == f"/en/tickets/{served.public_id}/rate/thanks/"
    rating = Rating.objects.get()
    assert (rating.score, rating.reason, rating.comment, rating.channel) == (1, "rude", "Shouted at me.", "link")
    assert client.get(rate_url(served))["Location"] == done["Location"]  # rated: straight to the thanks


def test_rating_page_in_dari_with_eastern_digits(client: Client, served: Ticket) -> None:
    page = client.get(rate_url(served, "fa")).content.decode()
    assert 'dir="rtl"' in page and 'class="rating-score__number">۵<' in page
    client.post(rate_url(served, "fa"), {"score": "4"})
    assert "۴" in client.get(f"/fa/tickets/{served.public_id}/rate/thanks/").content.decode()


def test_an_unfinished_ticket_cannot_be_rated_yet_and_an_unknown_one_is_not_found(client: Client,
                                                                                 hall: Hall) -> None:
    waiting = ticket_issue(center=hall.center, service=hall.passport)
    page = client.get(rate_url(waiting)).content.decode()
    assert "once it is finished" in page and 'name="score"' not in page
    client.post(rate_url(waiting), {"score": "5"})
    assert not Rating.objects.exists()
    assert client.get("/en/tickets/00000000-0000-4000-8000-000000000000/rate/").status_code == 404
