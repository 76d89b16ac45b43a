"""The operator's counter screen (/<lang>/center/counter/) and the counter-side rating tablet,
used as an operator does: through the pages, each action a POST that comes back to the screen."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from khedmat.accounts.models import User
from khedmat.centers.models import Counter, Ticket, TicketVisit
from khedmat.centers.services import ticket_call_next, ticket_issue

from .conftest import CITIZEN_PHONE, PASSWORD, Hall, make_center

SCREEN = "/en/center/counter/"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shown(client: Client, url: str = SCREEN) -> str:
    response = client.get(url)
    assert response.status_code == 200, response
    return response.content.decode()


def messages_of(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", text).strip() for text in
            re.findall(r'<li class="message message--\w+">(.*?)</li>', html, flags=re.S)]


def post(client: Client, name: str, data: dict[str, object] | None = None, **kwargs: object) -> str:
    """POST to a counter action, check it redirects back to the screen, and return the screen."""
    response = client.post(reverse(f"centers:{name}", kwargs=kwargs or None), data or {})
    assert response.status_code == 302, response
    assert response["Location"] == SCREEN
    return shown(client)


def act(client: Client, ticket: Ticket, action: str, **data: object) -> str:
    return post(client, "counter_ticket", {"action": action, **data}, public_id=ticket.public_id)


@pytest.fixture
def operator_client(hall: Hall) -> Client:
    return signed_in(hall.operator(3))


@pytest.fixture
def at_counter(hall: Hall, operator_client: Client) -> Client:
    """Operator 3 signed in at counter 3 through the page."""
    post(operator_client, "counter_open", {"counter": hall.counter(3).pk})
    return operator_client


def test_an_operator_without_a_counter_chooses_a_free_one_and_opens_it(hall: Hall, operator_client: Client) -> None:
    hall.open(4)  # taken by its operator: not offered
    page = shown(operator_client)
    assert "Sign in at a counter" in page
    assert f'value="{hall.counter(3).pk}"' in page
    assert f'value="{hall.counter(4).pk}"' not in page

    page = post(operator_client, "counter_open", {"counter": hall.counter(3).pk})
    assert "You are signed in at counter 3." in messages_of(page)
    assert "<h1>Counter 3</h1>" in page
    assert "Call next" in page
    counter = Counter.objects.get(pk=hall.counter(3).pk)
    assert counter.state == Counter.State.OPEN and counter.operator == hall.operator(3)


def test_a_counter_someone_else_holds_is_refused_and_nothing_changes(hall: Hall, operator_client: Client) -> None:
    hall.open(4)
    page = post(operator_client, "counter_open", {"counter": hall.counter(4).pk})
    assert messages_of(page) == ["Someone else is signed in at counter 4."]
    counter = Counter.objects.get(pk=hall.counter(4).pk)
    assert counter.operator == hall.operator(4)
    assert not Counter.objects.filter(operator=hall.operator(3)).exists()


def test_another_centers_counter_is_not_found(hall: Hall, operator_client: Client) -> None:
    from khedmat.centers.services import counter_upsert

    herat = make_center(code="HRT", slug="herat", name="Herat")
    foreign = counter_upsert(center=herat, number=1)
    response = operator_client.post(reverse("centers:counter_open"), {"counter": foreign.pk})
    assert response.status_code == 404
    assert Counter.objects.get(pk=foreign.pk).state == Counter.State.CLOSED


def test_call_next_shows_the_ticket_and_what_the_operator_needs_to_know(hall: Hall, at_counter: Client,
                                                                       elderly: object) -> None:
    page = shown(at_counter)
    assert "Nobody is waiting for the services of this counter." in page
    ticket = ticket_issue(center=hall.center, service=hall.passport, priority_group=elderly)  # type: ignore[arg-type]
    assert re.search(r'<strong class="counter-waiting__count">1</strong>\s*person waits', shown(at_counter))

    page = post(at_counter, "counter_call")
    assert messages_of(page) == ["Ticket P-001 is called to your counter."]
    assert '<p class="counter-ticket__number ltr">P-001</p>' in page
    assert hall.passport.name in page
    assert "Called" in page and "Elderly" in page.replace("elderly", "Elderly")
    assert "Walk-in (Kiosk)" in page
    assert "Recall (0 of 2)" in page
    assert re.search(r'value="no_show"><button[^>]*disabled', page), "no-show waits for the recalls"
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CALLED and ticket.counter_id == hall.counter(3).pk


def test_a_long_queue_is_counted_up_to_a_limit_and_called_in_order(hall: Hall, at_counter: Client,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond WAITING_COUNTED_UP_TO the screen says "more than" (the count stays cheap in a hall
    of thousands); the exact figure shows again once the queue is that short."""
    from khedmat.centers.selectors import counters

    monkeypatch.setattr(counters, "WAITING_COUNTED_UP_TO", 3)
    first = ticket_issue(center=hall.center, service=hall.passport)
    for _ in range(3):
        ticket_issue(center=hall.center, service=hall.passport)
    page = shown(at_counter)
    assert re.search(r'<strong class="counter-waiting__count">More than 3</strong>\s*people wait', page)

    page = post(at_counter, "counter_call")
    assert messages_of(page) == ["Ticket P-001 is called to your counter."]
    first.refresh_from_db()
    assert first.status == Ticket.Status.CALLED
    assert re.search(r'<strong class="counter-waiting__count">3</strong>\s*people wait', page)


def test_call_next_with_nobody_waiting_says_so(at_counter: Client) -> None:
    page = post(at_counter, "counter_call")
    assert messages_of(page) == ["Nobody is waiting for the services of your counter."]
    assert "Call next" in page


def test_recall_then_no_show_once_recalled_enough(hall: Hall, at_counter: Client) -> None:
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    post(at_counter, "counter_call")

    page = act(at_counter, ticket, "no_show")  # too early: refused, nothing changes
    assert messages_of(page) == ["Recall the ticket first: its holder may not have heard."]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CALLED and ticket.recalls == 0

    page = act(at_counter, ticket, "recall")
    assert messages_of(page) == ["Ticket P-001 is called again (1 of 2)."]
    assert "Recall (1 of 2)" in page
    page = act(at_counter, ticket, "recall")
    assert "Recall (2 of 2)" in page
    assert not re.search(r'value="no_show"><button[^>]*disabled', page)

    page = act(at_counter, ticket, "no_show")
    assert messages_of(page) == ["Ticket P-001: marked as not come (its holder did not come)."]
    assert "Call next" in page
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NO_SHOW
    assert TicketVisit.objects.get(ticket=ticket).outcome == TicketVisit.Outcome.NO_SHOW


def test_start_and_finish_service(hall: Hall, at_counter: Client) -> None:
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    post(at_counter, "counter_call")
    page = act(at_counter, ticket, "start")
    assert messages_of(page) == ["Service of ticket P-001 has started."]
    assert "Finish service" in page and "Being served" in page
    page = act(at_counter, ticket, "finish")
    assert messages_of(page)[0].startswith("Ticket P-001 is served.")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SERVED
    assert "Call next" in page


def test_an_action_on_a_ticket_not_at_the_counter_is_refused(hall: Hall, at_counter: Client) -> None:
    waiting = ticket_issue(center=hall.center, service=hall.passport)
    page = act(at_counter, waiting, "finish")
    assert messages_of(page) == ["This ticket is not waiting at your counter."]
    waiting.refresh_from_db()
    assert waiting.status == Ticket.Status.WAITING


def test_transfer_to_another_service_keeps_the_number_and_the_place(hall: Hall, at_counter: Client) -> None:
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    place = ticket.queue_position_at
    post(at_counter, "counter_call")
    act(at_counter, ticket, "start")
    page = act(at_counter, ticket, "transfer", service=hall.licence.pk)
    assert messages_of(page) == ["Ticket P-001 is sent on: it keeps its number and its place in the queue."]
    ticket.refresh_from_db()
    assert (ticket.display_number, ticket.status, ticket.service_id) == ("P-001", Ticket.Status.WAITING,
                                                                         hall.licence.pk)
    assert ticket.queue_position_at == place
    assert TicketVisit.objects.get(ticket=ticket).outcome == TicketVisit.Outcome.TRANSFERRED
    hall.open(5)
    assert ticket_call_next(counter=hall.counter(5)) == ticket


def test_transfer_to_one_counter(hall: Hall, at_counter: Client) -> None:
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    post(at_counter, "counter_call")
    act(at_counter, ticket, "transfer", to_counter=hall.counter(6).pk)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING and ticket.counter_id == hall.counter(6).pk
    assert ticket.display_number == "P-001"


def test_transfer_without_a_target_is_refused_on_the_transfer_page(hall: Hall, at_counter: Client) -> None:
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    post(at_counter, "counter_call")
    response = at_counter.post(reverse("centers:counter_ticket", kwargs={"public_id": ticket.public_id}),
                               {"action": "transfer"})
    transfer_page = reverse("centers:counter_transfer", kwargs={"public_id": ticket.public_id})
    assert response.status_code == 302 and response["Location"] == transfer_page
    page = shown(at_counter, transfer_page)
    assert messages_of(page) == ["Choose the service or the counter to send the ticket to."]
    assert 'name="service"' in page and 'name="to_counter"' in page
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CALLED and ticket.service_id == hall.passport.pk


def test_the_screen_links_to_the_transfer_page_which_lists_the_centres_services_and_other_counters(
        hall: Hall, at_counter: Client) -> None:
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    screen = post(at_counter, "counter_call")
    transfer_page = reverse("centers:counter_transfer", kwargs={"public_id": ticket.public_id})
    assert f'href="{transfer_page}"' in screen
    assert 'name="to_counter"' not in screen  # the choices are read only when asked for
    page = shown(at_counter, transfer_page)
    assert "P-001" in page
    service_options = re.findall(r'<select name="service"[^>]*>(.*?)</select>', page, flags=re.S)[0]
    assert f'value="{hall.licence.pk}"' in service_options and f'value="{hall.passport.pk}"' in service_options
    counter_options = re.findall(r'<select name="to_counter"[^>]*>(.*?)</select>', page, flags=re.S)[0]
    assert f'value="{hall.counter(6).pk}"' in counter_options
    assert f'value="{hall.counter(3).pk}"' not in counter_options  # not its own counter
    assert f'action="{reverse("centers:counter_ticket", kwargs={"public_id": ticket.public_id})}"' in page


def test_the_transfer_page_of_a_ticket_not_at_ones_counter_is_refused(hall: Hall, at_counter: Client) -> None:
    waiting = ticket_issue(center=hall.center, service=hall.passport)
    response = at_counter.get(reverse("centers:counter_transfer", kwargs={"public_id": waiting.public_id}))
    assert response.status_code == 302 and response["Location"] == SCREEN
    assert messages_of(shown(at_counter)) == ["This ticket is not waiting at your counter."]
    # another centre's ticket: the permission matrix (test_staff_permissions), FOREIGN_OPERATOR
    unknown = "/en/center/counter/tickets/00000000-0000-0000-0000-000000000000/transfer/"
    assert at_counter.get(unknown).status_code == 404


def test_a_paused_counter_calls_nobody_until_resumed(hall: Hall, at_counter: Client) -> None:
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    page = post(at_counter, "counter_state", {"action": "pause"})
    assert "Paused" in page and "Resume" in page
    assert "Call next" not in page

    page = post(at_counter, "counter_call")  # e.g. a stale tab: refused
    assert messages_of(page) == ["The counter is paused: resume it to call the next ticket."]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING

    page = post(at_counter, "counter_state", {"action": "resume"})
    assert "Call next" in page
    post(at_counter, "counter_call")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CALLED


def test_closing_the_counter_signs_the_operator_out_unless_a_ticket_is_at_it(hall: Hall, at_counter: Client) -> None:
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    post(at_counter, "counter_call")
    page = post(at_counter, "counter_state", {"action": "close"})
    assert messages_of(page) == ["Finish or transfer ticket P-001 first."]
    assert Counter.objects.get(pk=hall.counter(3).pk).state == Counter.State.OPEN

    act(at_counter, ticket, "finish")
    page = post(at_counter, "counter_state", {"action": "close"})
    assert messages_of(page) == ["You are signed out of counter 3."]
    assert "Sign in at a counter" in page
    counter = Counter.objects.get(pk=hall.counter(3).pk)
    assert counter.state == Counter.State.CLOSED and counter.operator is None


def test_an_action_without_a_counter_asks_to_open_one(hall: Hall, operator_client: Client) -> None:
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    page = post(operator_client, "counter_call")
    assert messages_of(page) == ["Open a counter first."]
    assert messages_of(act(operator_client, ticket, "start")) == ["Open a counter first."]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING


def test_another_centers_ticket_is_not_found(hall: Hall, at_counter: Client) -> None:
    from khedmat.catalog.models import Service
    from khedmat.centers.models import QueueGroup
    from khedmat.centers.services import center_offer_services

    herat = make_center(code="HRT", slug="herat", name="Herat")
    passport = Service.objects.get(pk=hall.passport.pk)
    center_offer_services(center=herat, services=[passport])
    QueueGroup.objects.create(center=herat, letter="P", name_en="P", name_fa="P", name_ps="P").services.add(passport)
    foreign = ticket_issue(center=herat, service=passport)
    response = at_counter.post(reverse("centers:counter_ticket", kwargs={"public_id": foreign.public_id}),
                               {"action": "start"})
    assert response.status_code == 404
    # Finishing (one UPDATE that finds nothing, then the same reads as any other action).
    response = at_counter.post(reverse("centers:counter_ticket", kwargs={"public_id": foreign.public_id}),
                               {"action": "finish"})
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == Ticket.Status.WAITING


def test_finishing_another_counters_ticket_or_without_a_counter_is_refused(hall: Hall, at_counter: Client) -> None:
    elsewhere = signed_in(hall.operator(4))
    post(elsewhere, "counter_open", {"counter": hall.counter(4).pk})
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    post(elsewhere, "counter_call")
    page = act(at_counter, ticket, "finish")
    assert messages_of(page) == ["This ticket is not waiting at your counter."]
    page = act(signed_in(hall.operator(5)), ticket, "finish")
    assert messages_of(page) == ["Open a counter first."]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.counter_id) == (Ticket.Status.CALLED, hall.counter(4).pk)
    assert not TicketVisit.objects.filter(ticket=ticket).exists()
    page = act(elsewhere, ticket, "finish")
    assert messages_of(page)[0].startswith("Ticket P-001 is served.")
    visit = TicketVisit.objects.get(ticket=ticket)
    assert (visit.outcome, visit.counter_id, visit.operator_id) == (
        TicketVisit.Outcome.SERVED, hall.counter(4).pk, hall.operator(4).pk)


def test_the_assisted_channel_opens_with_the_ticket_holders_phone(hall: Hall, at_counter: Client) -> None:
    ticket = ticket_issue(center=hall.center, service=hall.passport, phone=CITIZEN_PHONE)
    page = post(at_counter, "counter_call")
    link = f'{reverse("applications:assisted_start")}?ticket={ticket.public_id}'
    assert f'href="{link}"' in page
    form = shown(at_counter, link)
    assert re.search(r'name="phone_number" value="070 011 1222"', form)
    assert re.search(rf'<option value="{hall.passport.pk}" selected>', form)


def test_the_screen_in_dari_is_right_to_left_with_eastern_digits(hall: Hall, at_counter: Client) -> None:
    for _ in range(2):
        ticket_issue(center=hall.center, service=hall.passport)
    page = shown(at_counter, "/fa/center/counter/")
    assert 'dir="rtl"' in page and 'lang="fa-AF"' in page
    assert '<strong class="counter-waiting__count">۲</strong>' in page
    assert "۳" in page.split("<h1>", 1)[1].split("</h1>", 1)[0]  # counter ۳


def test_an_operator_lands_on_the_counter_screen_after_signing_in(hall: Hall) -> None:
    hall.operator(3)
    client = Client()
    response = client.post("/en/account/staff/sign-in/", {"username": "operator3.kbl", "password": PASSWORD})
    assert response["Location"] == SCREEN


def test_the_screen_reads_a_fixed_number_of_queries(hall: Hall, at_counter: Client,
                                                    django_assert_max_num_queries: Any) -> None:
    for _ in range(5):
        ticket_issue(center=hall.center, service=hall.passport)
    post(at_counter, "counter_call")
    with django_assert_max_num_queries(9):
        shown(at_counter)


def test_choosing_a_counter_takes_the_same_few_queries_however_many_counters(
        hall: Hall, operator_client: Client, django_assert_max_num_queries: Any) -> None:
    """The choice lists every free counter with its services: no query per counter."""
    with django_assert_max_num_queries(12):
        page = operator_client.get(reverse("centers:counter"))
    assert page.status_code == 200 and "Counter 20" in page.content.decode()
