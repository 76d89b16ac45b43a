"""The electronic queue: gap-free ticket numbers, fair calling, no ticket called twice."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from khedmat.applications.tests.test_concurrency import in_parallel, needs_postgresql
from khedmat.catalog import services as catalog_services
from khedmat.catalog.models import Service
from khedmat.centers.models import Counter, QueueGroup, Ticket
from khedmat.centers.queue import QueueError, ticket_call_next, ticket_issue
from khedmat.centers.services import center_offer_services, center_upsert, counter_upsert


def _service(code: str, slug: str) -> Service:
    from pathlib import Path

    import yaml
    from django.conf import settings

    definition = yaml.safe_load(Path(settings.BASE_DIR, "demo/services/moi-psp.yaml").read_text(encoding="utf-8"))
    definition.update(code=code, slug=slug)
    catalog_services.category_upsert(slug="identity-and-travel",
                                     name={"en": "Identity", "fa": "هویت", "ps": "هویت"})
    agency = catalog_services.agency_upsert(code="MOI", slug="interior",
                                            name={"en": "Interior", "fa": "داخله", "ps": "کورنۍ چارې"})
    return catalog_services.service_publish(agency=agency, definition=definition).service


@pytest.fixture
def hall(db: None) -> dict[str, object]:
    passport, licence = _service("PSP", "passport"), _service("DRL", "driving-licence")
    center = center_upsert(code="KBL", slug="kabul", name={"en": "Kabul", "fa": "کابل", "ps": "کابل"},
                           city={"en": "Kabul", "fa": "کابل", "ps": "کابل"},
                           address={"en": "-", "fa": "-", "ps": "-"},
                           opens_at=datetime.time(8), closes_at=datetime.time(16))
    center_offer_services(center=center, services=[passport, licence])
    passports = QueueGroup.objects.create(center=center, letter="P", name_en="Passports", name_fa="پاسپورت",
                                          name_ps="پاسپورټ")
    passports.services.add(passport)
    licences = QueueGroup.objects.create(center=center, letter="D", name_en="Driving", name_fa="رانندگی",
                                         name_ps="موټر چلول")
    licences.services.add(licence)
    counters = [counter_upsert(center=center, number=n, services=[passport, licence]) for n in range(1, 21)]
    return {"center": center, "passport": passport, "licence": licence, "counters": counters}


def test_numbers_run_per_group_and_day_and_read_aloud_easily(hall: dict) -> None:
    first = ticket_issue(center=hall["center"], service=hall["passport"])
    second = ticket_issue(center=hall["center"], service=hall["passport"])
    other = ticket_issue(center=hall["center"], service=hall["licence"])
    assert [first.display_number, second.display_number, other.display_number] == ["P-001", "P-002", "D-001"]


def test_a_service_the_center_does_not_queue_is_refused(hall: dict) -> None:
    stranger = _service("VHR", "vehicle-registration")
    with pytest.raises(QueueError) as refused:
        ticket_issue(center=hall["center"], service=stranger)
    assert refused.value.code == "not_served"
    assert not Ticket.objects.exists()


def test_next_is_called_in_order_of_arrival(hall: dict) -> None:
    tickets = [ticket_issue(center=hall["center"], service=hall["passport"]) for _ in range(3)]
    counter: Counter = hall["counters"][0]
    called = [ticket_call_next(counter=counter) for _ in range(4)]
    assert [t.pk if t else None for t in called] == [tickets[0].pk, tickets[1].pk, tickets[2].pk, None]
    assert Ticket.objects.get(pk=tickets[0].pk).counter == counter


def test_priority_goes_ahead_but_never_starves_a_long_wait(hall: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    now = timezone.now()
    monkeypatch.setattr("django.utils.timezone.now", lambda: now - datetime.timedelta(minutes=30))
    long_wait = ticket_issue(center=hall["center"], service=hall["passport"])  # waited 30 minutes
    monkeypatch.setattr("django.utils.timezone.now", lambda: now - datetime.timedelta(minutes=5))
    recent = ticket_issue(center=hall["center"], service=hall["passport"])  # waited 5 minutes
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    elderly = ticket_issue(center=hall["center"], service=hall["passport"], priority=Ticket.Priority.ELDERLY)
    counter = hall["counters"][0]
    order = [ticket_call_next(counter=counter) for _ in range(3)]
    # 15 minutes' advance: ahead of the 5-minute wait, not of the 30-minute one.
    assert [t.pk for t in order if t] == [long_wait.pk, elderly.pk, recent.pk]


def test_a_counter_calls_only_the_services_it_serves(hall: dict) -> None:
    ticket_issue(center=hall["center"], service=hall["licence"])
    passports_only = counter_upsert(center=hall["center"], number=99, services=[hall["passport"]])
    assert ticket_call_next(counter=passports_only) is None


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_200_parallel_issues_give_exactly_1_to_200(hall: dict) -> None:
    center, passport = hall["center"], hall["passport"]

    def issue_five(_index: int) -> list[int]:
        return [ticket_issue(center=center, service=passport).number for _ in range(5)]

    results = in_parallel(issue_five, 40)
    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = sorted(n for batch in results for n in batch)
    assert numbers == list(range(1, 201))


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_20_counters_calling_at_once_never_share_a_ticket(hall: dict) -> None:
    for _ in range(30):
        ticket_issue(center=hall["center"], service=hall["passport"])
    counters = hall["counters"]
    results = in_parallel(lambda index: ticket_call_next(counter=counters[index]), 20)
    assert not [r for r in results if isinstance(r, Exception)], results
    called = [ticket.pk for ticket in results if ticket is not None]
    assert len(called) == 20 and len(set(called)) == 20
    assert Ticket.objects.filter(status=Ticket.Status.CALLED).count() == 20


def test_a_ticket_is_recalled_before_it_is_marked_a_no_show(hall: dict) -> None:
    from khedmat.centers.queue import ticket_no_show, ticket_recall

    ticket_issue(center=hall["center"], service=hall["passport"])
    counter = hall["counters"][0]
    called = ticket_call_next(counter=counter)
    assert called is not None
    with pytest.raises(QueueError) as refused:
        ticket_no_show(counter=counter, ticket=called)
    assert refused.value.code == "recall_first"
    ticket_recall(counter=counter, ticket=called)
    ticket_recall(counter=counter, ticket=called)
    assert ticket_no_show(counter=counter, ticket=called).status == Ticket.Status.NO_SHOW


def test_serving_and_transfer_keep_the_number_and_the_place(hall: dict) -> None:
    from khedmat.centers.queue import ticket_finish, ticket_start, ticket_transfer

    first = ticket_issue(center=hall["center"], service=hall["passport"])
    later = ticket_issue(center=hall["center"], service=hall["licence"])
    counter = hall["counters"][0]
    called = ticket_call_next(counter=counter)
    assert called is not None and called.pk == first.pk
    ticket_start(counter=counter, ticket=called)
    moved = ticket_transfer(counter=counter, ticket=called, service=hall["licence"])
    assert moved.display_number == "P-001" and moved.status == Ticket.Status.WAITING
    # It kept its place: it is called before the licence ticket issued after it.
    again = ticket_call_next(counter=hall["counters"][1])
    assert again is not None and again.pk == first.pk
    ticket_start(counter=hall["counters"][1], ticket=again)
    assert ticket_finish(counter=hall["counters"][1], ticket=again).status == Ticket.Status.SERVED
    assert Ticket.objects.get(pk=later.pk).status == Ticket.Status.WAITING


def test_another_counter_cannot_act_on_a_ticket_it_did_not_call(hall: dict) -> None:
    from khedmat.centers.queue import ticket_start

    ticket_issue(center=hall["center"], service=hall["passport"])
    called = ticket_call_next(counter=hall["counters"][0])
    assert called is not None
    with pytest.raises(QueueError) as refused:
        ticket_start(counter=hall["counters"][1], ticket=called)
    assert refused.value.code == "not_here"
