"""The complaint's workflow: who may take which step, the time standard, rating and reopening."""

from __future__ import annotations

import datetime

import pytest

from khedmat.accounts.models import User
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Agency, Service
from khedmat.centers.models import Center
from khedmat.complaints.models import Complaint
from khedmat.complaints.services import (
    ComplaintError,
    complaint_policy_set,
    complaint_rate,
    complaint_transition,
    complaints_close_unreopened,
)
from khedmat.core.workdays import add_working_days

from .clock import freezer
from .helpers import file

SATURDAY = datetime.date(2026, 3, 7)  # a working day (Afghan week: Saturday to Wednesday)




def test_received_taken_answered_accepted(passport: Service, officer: User) -> None:
    complaint = file(service=passport)
    complaint = complaint_transition(complaint=complaint, step="take", expected_state="received", actor=officer)
    assert complaint.state == "in_progress" and complaint.assigned_to == officer
    complaint = complaint_transition(complaint=complaint, step="answer", expected_state="in_progress",
                                     actor=officer, text="The passport office has called you back.")
    assert complaint.state == "answered" and complaint.answered_in_time is True
    assert complaint.next_escalation_after is None
    complaint = complaint_transition(complaint=complaint, step="accept", expected_state="answered",
                                     as_complainant=True)
    assert complaint.state == "closed" and complaint.closed_at is not None
    assert [e.step for e in complaint.events.all()] == ["file", "take", "answer", "accept"]
    assert set(AuditEvent.objects.filter(target_id=complaint.reference).values_list("action", flat=True)) == {
        "complaints.filed", "complaints.take", "complaints.answer", "complaints.accept"}


def test_an_answer_needs_words_and_a_stale_step_is_refused(passport: Service, officer: User,
                                                          second_officer: User) -> None:
    complaint = file(service=passport)
    with pytest.raises(ComplaintError) as refused:
        complaint_transition(complaint=complaint, step="answer", expected_state="received", actor=officer, text=" ")
    assert refused.value.code == "text_needed"
    complaint_transition(complaint=complaint, step="take", expected_state="received", actor=officer)
    with pytest.raises(ComplaintError) as refused:
        complaint_transition(complaint=complaint, step="take", expected_state="received", actor=second_officer)
    assert refused.value.code == "stale"
    with pytest.raises(ComplaintError) as refused:  # the complainant does not answer their own complaint
        complaint_transition(complaint=complaint, step="answer", expected_state="in_progress", as_complainant=True,
                             text="Fine.")
    assert refused.value.code == "not_allowed"


def test_another_agency_and_the_officer_complained_about_may_not_act(passport: Service, officer: User,
                                                                     foreign_officer: User, approver: User) -> None:
    general = file(service=passport)
    with pytest.raises(ComplaintError) as refused:
        complaint_transition(complaint=general, step="take", expected_state="received", actor=foreign_officer)
    assert refused.value.code == "forbidden"
    about_officer = file(about="staff", officer=officer, category="conduct")
    for actor in (officer, foreign_officer):
        with pytest.raises(ComplaintError):
            complaint_transition(complaint=about_officer, step="take", expected_state="received", actor=actor)
    taken = complaint_transition(complaint=about_officer, step="take", expected_state="received", actor=approver)
    assert taken.assigned_to == approver


def test_a_centre_complaint_is_its_managers(center: Center, manager: User, officer: User) -> None:
    complaint = file(about="center", center=center, category="facilities")
    with pytest.raises(ComplaintError):
        complaint_transition(complaint=complaint, step="take", expected_state="received", actor=officer)
    assert complaint_transition(complaint=complaint, step="take", expected_state="received",
                                actor=manager).state == "in_progress"


def test_an_investigation_switches_the_time_standard(passport: Service, officer: User, moi: Agency,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    freezer(monkeypatch)(SATURDAY)
    complaint = file(service=passport)
    assert complaint.due_date == add_working_days(SATURDAY, 15)
    complaint = complaint_transition(complaint=complaint, step="open_investigation", expected_state="received",
                                     actor=officer, text="We are asking the Kabul office for its records.")
    assert complaint.state == "in_progress" and complaint.investigation_opened_at is not None
    assert complaint.standard_days == 30 and complaint.due_date == add_working_days(SATURDAY, 30)
    with pytest.raises(ComplaintError) as refused:
        complaint_transition(complaint=complaint, step="open_investigation", expected_state="in_progress",
                             actor=officer, text="Again")
    assert refused.value.code == "investigation_open"


def test_an_agency_sets_its_own_time_standards(passport: Service, officer: User, moi: Agency,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    freezer(monkeypatch)(SATURDAY)
    with pytest.raises(ComplaintError):
        complaint_policy_set(agency=moi, standard_days=20, investigation_days=10)
    complaint_policy_set(agency=moi, standard_days=10, investigation_days=20)
    complaint = file(service=passport)
    assert complaint.standard_days == 10 and complaint.due_date == add_working_days(SATURDAY, 10)
    complaint = complaint_transition(complaint=complaint, step="open_investigation", expected_state="received",
                                     actor=officer, text="Records needed.")
    assert complaint.due_date == add_working_days(SATURDAY, 20)


def answered(passport: Service, officer: User) -> Complaint:
    complaint = file(service=passport)
    return complaint_transition(complaint=complaint, step="answer", expected_state="received", actor=officer,
                                text="Your passport is ready at the Kabul centre.")


def test_rated_once_from_1_to_5(passport: Service, officer: User) -> None:
    complaint = file(service=passport)
    with pytest.raises(ComplaintError) as refused:
        complaint_rate(complaint=complaint, rating=5)
    assert refused.value.code == "not_answered"
    complaint = answered(passport, officer)
    for bad in (0, 6, -1, True):
        with pytest.raises(ComplaintError):
            complaint_rate(complaint=complaint, rating=bad)
    assert complaint_rate(complaint=complaint, rating=2).rating == 2
    with pytest.raises(ComplaintError) as refused:
        complaint_rate(complaint=complaint, rating=5)
    assert refused.value.code == "already_rated"
    complaint.refresh_from_db()
    assert complaint.rating == 2


def test_reopened_within_the_limit_with_a_new_clock(passport: Service, officer: User,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    freeze = freezer(monkeypatch)
    freeze(SATURDAY)
    complaint = answered(passport, officer)
    later = add_working_days(SATURDAY, 10)  # the last day to reopen (COMPLAINTS_REOPEN_DAYS)
    freeze(later)
    complaint = complaint_transition(complaint=complaint, step="reopen", expected_state="answered",
                                     as_complainant=True, text="The centre says it is not ready.")
    assert complaint.state == "in_progress" and complaint.reopened_count == 1
    assert complaint.clock_started_on == later and complaint.due_date == add_working_days(later, 15)
    assert complaint.escalation_level == 0 and complaint.answered_at is not None


def test_too_late_to_reopen_and_closed_by_the_job(passport: Service, officer: User,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    freeze = freezer(monkeypatch)
    freeze(SATURDAY)
    complaint = answered(passport, officer)
    assert complaints_close_unreopened(today=add_working_days(SATURDAY, 10)) == []
    freeze(add_working_days(SATURDAY, 11))
    with pytest.raises(ComplaintError) as refused:
        complaint_transition(complaint=complaint, step="reopen", expected_state="answered", as_complainant=True,
                             text="Still wrong.")
    assert refused.value.code == "reopen_too_late"
    assert complaints_close_unreopened() == [complaint.reference]
    assert complaints_close_unreopened() == []
    complaint.refresh_from_db()
    assert complaint.state == "closed"


def test_reopened_at_most_twice(passport: Service, officer: User) -> None:
    complaint = answered(passport, officer)
    for _round in range(2):
        complaint = complaint_transition(complaint=complaint, step="reopen", expected_state="answered",
                                         as_complainant=True, text="Not solved.")
        complaint = complaint_transition(complaint=complaint, step="answer", expected_state="in_progress",
                                         actor=officer, text="Solved now.")
    with pytest.raises(ComplaintError) as refused:
        complaint_transition(complaint=complaint, step="reopen", expected_state="answered", as_complainant=True,
                             text="Not solved.")
    assert refused.value.code == "reopen_limit"
