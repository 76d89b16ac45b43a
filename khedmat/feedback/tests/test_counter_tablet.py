"""The rating tablet facing the citizen, /<lang>/devices/tablet/: a paired device of the center,
bound to one counter, with no staff session. It offers the ticket its counter has just
finished, records the rating, then welcomes the next citizen; it cannot reach a staff page."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from khedmat.accounts.models import User
from khedmat.centers.devices import device_revoke
from khedmat.centers.models import Counter, Device, Ticket, TicketVisit
from khedmat.centers.services import ticket_call_next, ticket_finish, ticket_issue, ticket_start
from khedmat.centers.tests.conftest import Hall
from khedmat.feedback.models import Rating

TABLET = "/en/devices/tablet/"


def shown(client: Client, url: str = TABLET) -> str:
    response = client.get(url)
    assert response.status_code == 200, response
    return response.content.decode()


@pytest.fixture
def tablet(tablet_at: Callable[[int], Client]) -> Client:
    """The browser paired as counter 3's rating tablet: no session, only its device cookie."""
    return tablet_at(3)


@pytest.fixture
def at_counter(hall: Hall, tablet: Client) -> Client:
    """Counter 3's tablet, while operator 3 (signed in elsewhere, at their own screen) has it open."""
    hall.open(3)
    return tablet


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


def test_the_tablet_of_a_closed_counter_says_so_and_names_its_counter(hall: Hall, tablet: Client) -> None:
    page = shown(tablet, TABLET)
    assert "Counter 3 is closed." in page


def test_the_tablet_shows_its_own_counter_and_no_way_into_the_staff_pages(hall: Hall, at_counter: Client) -> None:
    page = shown(at_counter, TABLET)
    assert "Counter 3. When your service is finished" in page
    # No site navigation at all: no "My counter", no sign-in, no link under /center/.
    assert "My counter" not in page and "/center/" not in page and "sign-in" not in page
    assert "site-nav" not in page


def test_a_citizen_at_the_tablet_cannot_call_pause_or_close_the_counter(hall: Hall, at_counter: Client) -> None:
    """The finding: the tablet ran the operator's session, so "My counter" led to Call next."""
    ticket_issue(center=hall.center, service=hall.passport)
    before = list(Counter.objects.values_list("pk", "state", "operator_id")), list(
        Ticket.objects.values_list("pk", "status", "counter_id"))
    for method, path, data in (("get", "/en/center/counter/", {}),
                               ("post", "/en/center/counter/call/", {}),
                               ("post", "/en/center/counter/state/", {"action": "pause"}),
                               ("post", "/en/center/counter/state/", {"action": "close"}),
                               ("get", "/en/center/dashboard/", {}),
                               ("get", "/en/center/devices/", {})):
        response = getattr(at_counter, method)(path, data)
        assert response.status_code == 302 and response["Location"].startswith("/en/account/staff/sign-in/"), path
    after = list(Counter.objects.values_list("pk", "state", "operator_id")), list(
        Ticket.objects.values_list("pk", "status", "counter_id"))
    assert after == before


def test_pairing_signs_out_whoever_was_signed_in_on_that_browser(hall: Hall, manager: User) -> None:
    """A tablet the operator once signed in on must not keep their session once it is a device."""
    from khedmat.centers.devices import device_add
    from khedmat.centers.tests.conftest import pair

    browser = Client()
    browser.force_login(hall.operator(3))
    hall.open(3)
    assert browser.get("/en/center/counter/").status_code == 200
    issued = device_add(center=hall.center, kind=Device.Kind.RATING_TABLET, name="Tablet 3",
                        counter=hall.counter(3), actor=manager)
    pair(browser, issued.code)
    assert browser.get("/en/center/counter/")["Location"].startswith("/en/account/staff/sign-in/")
    assert browser.get(TABLET).status_code == 200


def test_a_browser_that_is_no_paired_tablet_gets_no_rating_form(hall: Hall, tablet_at: Callable[[int], Client],
                                                                 manager: User) -> None:
    """Not the operator's session, not a kiosk, not a revoked tablet: only a paired tablet rates."""
    hall.open(3)
    ticket = _served(hall, Counter.objects.get(pk=hall.counter(3).pk))
    operator = Client()
    operator.force_login(hall.operator(3))
    from khedmat.centers.tests.conftest import paired_client

    kiosk, _device = paired_client(hall.center, manager)
    revoked = tablet_at(3)
    device_revoke(device=Device.objects.filter(kind=Device.Kind.RATING_TABLET).get(), actor=manager)
    for client in (Client(), operator, kiosk, revoked):
        response = client.get(TABLET)
        assert response.status_code == 403 and 'name="score"' not in response.content.decode()
        assert "/en/devices/pair/" in response.content.decode()
        response = client.post(TABLET, {"ticket": ticket.public_id, "score": "1", "reason": "rude"})
        assert response.status_code == 403
    assert not Rating.objects.exists()
    # The revoked tablet's cookie is dropped, so the screen shows itself unpaired from now on.
    assert revoked.cookies["khedmat_device"].value == ""
