"""The counter-side rating tablet, /<lang>/center/counter/rate/: it offers the ticket its
counter has just finished, records the rating, then welcomes the next citizen."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from khedmat.centers.models import Counter, Ticket, TicketVisit
from khedmat.centers.queue import ticket_call_next, ticket_finish, ticket_issue, ticket_start
from khedmat.centers.tests.conftest import Hall
from khedmat.feedback.models import Rating

TABLET = "/en/center/counter/rate/"


def shown(client: Client, url: str = TABLET) -> str:
    response = client.get(url)
    assert response.status_code == 200, response
    return response.content.decode()


@pytest.fixture
def operator_client(hall: Hall) -> Client:
    client = Client()
    client.force_login(hall.operator(3))
    return client


@pytest.fixture
def at_counter(hall: Hall, operator_client: Client) -> Client:
    """Operator 3 signed in at counter 3."""
    hall.open(3)
    return operator_client


def _served(hall: Hall, counter: Counter) -> Ticket:
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    called = ticket_call_next(counter=counter)
    assert called == ticket
    ticket_start(counter=counter, ticket=ticket)
    return ticket_finish(counter=counter, ticket=ticket)


def test_the_tablet_welcomes_and_refreshes_itself_when_nothing_is_to_rate(hall: Hall, at_counter: Client) -> None:
    response = at_counter.get(TABLET)
    assert response.status_code == 200
    assert response["Refresh"] == "5"
    assert "Welcome to Asan Khedmat" in response.content.decode()
    assert 'name="score"' not in response.content.decode()


def test_the_tablet_rates_the_ticket_the_counter_just_finished(hall: Hall, at_counter: Client) -> None:
    counter = Counter.objects.get(pk=hall.counter(3).pk)
    ticket = _served(hall, counter)
    page = shown(at_counter, TABLET)
    assert "P-001" in page and 'name="score"' in page
    assert f'name="ticket" value="{ticket.public_id}"' in page

    response = at_counter.post(TABLET, {"ticket": ticket.public_id, "score": "5"})
    assert response.status_code == 302 and response["Location"] == TABLET + "?thanks=1"
    rating = Rating.objects.get(ticket=ticket)
    assert (rating.score, rating.channel, rating.counter_id, rating.center_id) == (5, "tablet", counter.pk,
                                                                                    hall.center.pk)
    thanks = at_counter.get(response["Location"])
    assert "Thank you!" in thanks.content.decode() and thanks["Refresh"] == "5"
    assert 'name="score"' not in shown(at_counter, TABLET), "a rated ticket is not offered again"


def test_a_low_score_without_a_reason_is_sent_back(hall: Hall, at_counter: Client) -> None:
    ticket = _served(hall, Counter.objects.get(pk=hall.counter(3).pk))
    response = at_counter.post(TABLET, {"ticket": ticket.public_id, "score": "1"})
    assert response.status_code == 422
    assert "Tell us what went wrong: choose a reason." in response.content.decode()
    assert not Rating.objects.exists()
    response = at_counter.post(TABLET, {"ticket": ticket.public_id, "score": "1", "reason": "long_wait"})
    assert response.status_code == 302
    assert Rating.objects.get(ticket=ticket).reason == "long_wait"


def test_the_tablet_forgets_a_ticket_finished_long_ago_or_at_another_counter(hall: Hall, at_counter: Client) -> None:
    old = _served(hall, Counter.objects.get(pk=hall.counter(3).pk))
    TicketVisit.objects.filter(ticket=old).update(ended_at=timezone.now() - datetime.timedelta(minutes=11))
    assert 'name="score"' not in shown(at_counter, TABLET)
    assert at_counter.post(TABLET, {"ticket": old.public_id, "score": "5"})["Location"] == TABLET

    elsewhere = _served(hall, hall.open(4))
    assert at_counter.post(TABLET, {"ticket": elsewhere.public_id, "score": "5"})["Location"] == TABLET
    assert not Rating.objects.exists()


def test_the_tablet_of_a_closed_counter_says_so(hall: Hall, operator_client: Client) -> None:
    page = shown(operator_client, TABLET)
    assert "This counter is closed." in page
