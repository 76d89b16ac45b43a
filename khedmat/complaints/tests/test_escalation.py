"""The escalation ladder by the clock: working days on the Afghan week, holidays, each rung once."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection

from khedmat.accounts.models import User
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Service
from khedmat.centers.models import Center
from khedmat.complaints.services import complaint_transition, complaints_escalate
from khedmat.core.services import holiday_upsert
from khedmat.notifications.models import Message

from .clock import freezer
from .helpers import file

D = datetime.date
START = D(2026, 3, 14)  # Saturday 23 Hoot 1404; the Afghan weekend is Thursday and Friday
NOWRUZ = D(2026, 3, 21)  # a Saturday, a public holiday




def climb(day: datetime.date) -> list[tuple[str, int]]:
    return complaints_escalate(today=day)


@pytest.fixture
def holiday(db: None) -> None:
    holiday_upsert(date=NOWRUZ, name={"en": "Nowruz", "fa": "نوروز", "ps": "نوروز"})


def test_the_ladder_over_working_days_a_weekend_and_a_holiday(  # type: ignore[no-untyped-def]
        passport: Service, officer: User, supervisor: User, head: User, ombudsman: User, holiday: None,
        monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks) -> None:
    freezer(monkeypatch)(START)
    complaint = file(service=passport, officer=officer, about="staff", category="conduct")
    # 15 working days: Sat 14 March counts not; Thu-Fri and Nowruz (Sat 21) are off → Sun 5 April.
    assert complaint.due_date == D(2026, 4, 5)
    ref = complaint.reference
    # Half the time: 8 working days → Wed 25 March (Tue 24 without the holiday).
    assert climb(D(2026, 3, 25)) == []
    assert climb(D(2026, 3, 26)) == [] and climb(D(2026, 3, 27)) == []  # Thursday, Friday: the weekend
    with django_capture_on_commit_callbacks(execute=True):
        assert climb(D(2026, 3, 28)) == [(ref, 1)]
    assert climb(D(2026, 3, 28)) == [] and climb(D(2026, 3, 29)) == []  # once only
    # The whole time: due Sun 5 April → climbed Mon 6 April.
    assert climb(D(2026, 4, 5)) == []
    assert climb(D(2026, 4, 6)) == [(ref, 2)]
    # 150 %: 23 working days → Wed 15 April; Thu 16 and Fri 17 are the weekend → Sat 18 April.
    assert climb(D(2026, 4, 16)) == [] and climb(D(2026, 4, 17)) == []
    assert climb(D(2026, 4, 18)) == [(ref, 3)]
    assert climb(D(2026, 4, 25)) == []  # the top of the ladder
    complaint.refresh_from_db()
    assert complaint.escalation_level == 3 and complaint.next_escalation_after is None

    steps = list(complaint.events.filter(internal=True).values_list("step", flat=True))
    assert steps == ["escalate_supervisor", "escalate_head", "escalate_ombudsman"]
    audited = AuditEvent.objects.filter(target_id=ref, action__startswith="complaints.escalate_")
    assert {event.action: event.data["notified"] for event in audited} == {
        "complaints.escalate_supervisor": [supervisor.pk], "complaints.escalate_head": [head.pk],
        "complaints.escalate_ombudsman": [ombudsman.pk]}
    sms = Message.objects.filter(template="complaint.escalated").order_by("id")
    assert [message.to for message in sms] == [supervisor.phone_number, head.phone_number, ombudsman.phone_number]
    assert all(ref in message.body for message in sms)
    # The officer complained about is told nothing, and sees nothing.
    assert not Message.objects.filter(template="complaint.escalated", to=officer.phone_number or "-").exists()


def test_answered_in_time_stops_the_ladder(passport: Service, officer: User, supervisor: User,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    freezer(monkeypatch)(START)
    complaint = file(service=passport)
    complaint_transition(complaint=complaint, step="answer", expected_state="received", actor=officer,
                         text="Your passport is ready.")
    assert climb(D(2026, 5, 2)) == []
    assert not Message.objects.filter(template="complaint.escalated").exists()


def test_an_investigation_moves_the_rungs(passport: Service, officer: User, supervisor: User, head: User,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    freezer(monkeypatch)(START)  # no holiday here: 15 working days → Sat 4 April
    complaint = file(service=passport)
    ref = complaint.reference
    assert climb(D(2026, 3, 25)) == [(ref, 1)]  # after 8 working days (Tue 24 March)
    freezer(monkeypatch)(D(2026, 3, 25))
    complaint_transition(complaint=complaint, step="open_investigation", expected_state="received", actor=officer,
                         text="We need the centre's records.")
    complaint.refresh_from_db()
    # 30 working days from the start → Sat 25 April; the head is not reached on 5 April any more.
    assert complaint.due_date == D(2026, 4, 25)
    assert climb(D(2026, 4, 5)) == []
    assert climb(D(2026, 4, 26)) == [(ref, 2)]


def test_a_job_that_did_not_run_climbs_each_rung_once(passport: Service, supervisor: User, head: User,
                                                      ombudsman: User, monkeypatch: pytest.MonkeyPatch) -> None:
    freezer(monkeypatch)(START)
    complaint = file(service=passport)
    assert climb(D(2026, 6, 6)) == [(complaint.reference, 1), (complaint.reference, 2), (complaint.reference, 3)]
    assert climb(D(2026, 6, 7)) == []


def test_a_centre_complaint_climbs_to_its_managers_then_the_desk(center: Center, manager: User, ombudsman: User,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    freezer(monkeypatch)(START)
    complaint = file(about="center", center=center, category="facilities")
    climb(D(2026, 6, 6))
    notified = {event.action: event.data["notified"]
                for event in AuditEvent.objects.filter(target_id=complaint.reference,
                                                       action__startswith="complaints.escalate_")}
    assert notified == {"complaints.escalate_supervisor": [manager.pk], "complaints.escalate_head": [manager.pk],
                        "complaints.escalate_ombudsman": [ombudsman.pk]}


def test_a_complaint_about_a_centres_only_manager_goes_to_the_desk_from_the_first_rung(
        center: Center, manager: User, ombudsman: User, monkeypatch: pytest.MonkeyPatch) -> None:
    freezer(monkeypatch)(START)
    complaint = file(about="staff", center=center, officer=manager, category="conduct")
    climb(D(2026, 6, 6))
    notified = {event.action: event.data["notified"]
                for event in AuditEvent.objects.filter(target_id=complaint.reference,
                                                       action__startswith="complaints.escalate_")}
    assert notified == {"complaints.escalate_supervisor": [ombudsman.pk], "complaints.escalate_head": [ombudsman.pk],
                        "complaints.escalate_ombudsman": [ombudsman.pk]}
    assert not Message.objects.filter(to=manager.phone_number).exists()


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_climb_each_rung_once(passport: Service, supervisor: User,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("two writers at once: PostgreSQL")
    freezer(monkeypatch)(START)
    complaint = file(service=passport)
    results: list[list[tuple[str, int]]] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        try:
            results.append(climb(D(2026, 3, 25)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(result) for result in results) == [0, 1]
    assert Message.objects.filter(template="complaint.escalated").count() == 1
    assert complaint.events.filter(step="escalate_supervisor").count() == 1
