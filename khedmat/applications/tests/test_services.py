"""Submitting and working a file: references, idempotency, the workflow's rules, the clock."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from khedmat.accounts.models import User
from khedmat.applications.models import Application, ApplicationEvent
from khedmat.applications.services import (
    ApplicationError,
    application_draft_save,
    application_submit,
    application_transition,
)
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Service
from khedmat.core.calendar import solar_hijri_year

from .conftest import PASSPORT_ANSWERS


def _submitted(passport: Service, citizen: User, key: str = "key-1") -> Application:
    draft = application_draft_save(applicant=citizen, service=passport, data=PASSPORT_ANSWERS)
    return application_submit(application=draft, idempotency_key=key, actor=citizen)


def test_submission_gets_a_readable_gap_free_reference(passport: Service, citizen: User) -> None:
    year = solar_hijri_year(timezone.localdate())
    first = _submitted(passport, citizen, "a")
    second = _submitted(passport, citizen, "b")
    assert first.reference == f"MOI-PSP-{year}-000001"
    assert second.reference == f"MOI-PSP-{year}-000002"
    assert first.state == "submitted" and first.submitted_at is not None
    assert first.due_date is not None and first.due_date > timezone.localdate()


def test_resubmitting_with_the_same_key_files_nothing_new(passport: Service, citizen: User) -> None:
    first = _submitted(passport, citizen, "same")
    again = application_submit(application=first, idempotency_key="same", actor=citizen)
    assert again.pk == first.pk
    assert Application.objects.exclude(state=Application.DRAFT).count() == 1
    assert AuditEvent.objects.filter(action="applications.submitted").count() == 1


def test_the_version_filed_under_is_kept(passport: Service, citizen: User) -> None:
    application = _submitted(passport, citizen)
    assert application.service_version == passport.current_version


def _walk_to_approval(application: Application, officer: User) -> Application:
    application = application_transition(application=application, actor=officer, transition="start_review",
                                         expected_state="submitted")
    return application_transition(application=application, actor=officer, transition="recommend",
                                  expected_state="in_review")


def test_only_the_workflow_steps_of_ones_role_are_allowed(passport: Service, citizen: User, officer: User,
                                                          approver: User, foreign_officer: User) -> None:
    application = _submitted(passport, citizen)
    with pytest.raises(ApplicationError) as refused:
        application_transition(application=application, actor=approver, transition="start_review",
                               expected_state="submitted")
    assert refused.value.code == "not_allowed"
    with pytest.raises(ApplicationError) as refused:
        application_transition(application=application, actor=foreign_officer, transition="start_review",
                               expected_state="submitted")
    assert refused.value.code == "forbidden"
    with pytest.raises(ApplicationError):
        application_transition(application=application, actor=citizen, transition="start_review",
                               expected_state="submitted")
    assert Application.objects.get(pk=application.pk).state == "submitted"


def test_two_person_approval(passport: Service, citizen: User, officer: User, approver: User) -> None:
    application = _walk_to_approval(_submitted(passport, citizen), officer)
    approved = application_transition(application=application, actor=approver, transition="approve",
                                      expected_state="awaiting_approval")
    # The passport is then printed and handed over at a center: approval does not close the file.
    assert approved.state == "approved" and not approved.is_final
    collected = application_transition(application=application_transition(
        application=approved, actor=officer, transition="mark_ready", expected_state="approved"),
        actor=officer, transition="hand_over", expected_state="ready_for_collection")
    assert collected.is_final and collected.decided_at is not None


def test_the_reviewer_cannot_also_approve(passport: Service, citizen: User, officer: User, approver: User) -> None:
    application = _walk_to_approval(_submitted(passport, citizen), officer)
    # The same person reviewed and now approves (say, one account that held both duties):
    # record the review steps as the approver's.
    ApplicationEvent.objects.filter(application=application).exclude(transition="submit").update(actor=approver)
    with pytest.raises(ApplicationError) as refused:
        application_transition(application=application, actor=approver, transition="approve",
                               expected_state="awaiting_approval")
    assert refused.value.code == "four_eyes"


def test_two_officers_acting_at_once_one_wins(passport: Service, citizen: User, officer: User,
                                              second_officer: User) -> None:
    application = _submitted(passport, citizen)
    application_transition(application=application, actor=officer, transition="start_review",
                           expected_state="submitted")
    with pytest.raises(ApplicationError) as refused:
        application_transition(application=application, actor=second_officer, transition="start_review",
                               expected_state="submitted")
    assert refused.value.code == "stale"
    assert ApplicationEvent.objects.filter(application=application, transition="start_review").count() == 1


def test_rejection_needs_a_reason(passport: Service, citizen: User, officer: User) -> None:
    application = application_transition(application=_submitted(passport, citizen), actor=officer,
                                         transition="start_review", expected_state="submitted")
    with pytest.raises(ApplicationError) as refused:
        application_transition(application=application, actor=officer, transition="reject",
                               expected_state="in_review")
    assert refused.value.code == "reason_needed"
    rejected = application_transition(application=application, actor=officer, transition="reject",
                                      expected_state="in_review", reason_code="not_eligible",
                                      reason_text="Applicant is under 18 and came alone.")
    assert rejected.state == "rejected"
    with pytest.raises(ApplicationError):  # final states stay final
        application_transition(application=rejected, actor=officer, transition="start_review",
                               expected_state="rejected")


def test_clock_pauses_while_waiting_for_the_applicant(passport: Service, citizen: User, officer: User,
                                                      time_machine_kabul) -> None:  # type: ignore[no-untyped-def]
    application = application_transition(application=_submitted(passport, citizen), actor=officer,
                                         transition="start_review", expected_state="submitted")
    due = application.due_date
    assert due is not None
    application = application_transition(application=application, actor=officer, transition="request_information",
                                         expected_state="in_review", reason_text="Send a clearer Tazkira copy.")
    assert application.clock_paused_on == timezone.localdate()
    # The applicant answers 5 working days later (one week): the deadline moves by 5.
    time_machine_kabul(days=7)
    application = application_transition(application=application, actor=citizen, transition="provide_information",
                                         expected_state="needs_information")
    assert application.clock_paused_on is None
    assert application.due_date == due + datetime.timedelta(days=7)


@pytest.fixture
def time_machine_kabul(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Move 'today' forward by whole days (timezone.localdate is what the services read)."""
    def travel(*, days: int) -> None:
        target = timezone.localdate() + datetime.timedelta(days=days)
        monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: target)
    return travel


def test_a_citizen_cannot_submit_a_draft_an_operator_is_preparing(passport: Service, citizen: User,
                                                                   db: None) -> None:
    from khedmat.accounts.models import Role
    from khedmat.accounts.services import staff_user_create
    from khedmat.centers.models import Center

    center = Center.objects.create(code="KBL", slug="kabul", name_en="Kabul", name_fa="کابل", name_ps="کابل",
                                   city_en="Kabul", city_fa="کابل", city_ps="کابل", address_en="-", address_fa="-",
                                   address_ps="-", opens_at=datetime.time(8), closes_at=datetime.time(16))
    operator = staff_user_create(username="op.test", password="pass-for-tests-1", role=Role.OPERATOR, center=center)
    draft = application_draft_save(applicant=citizen, service=passport, data=PASSPORT_ANSWERS, filed_by=operator)
    with pytest.raises(ApplicationError) as refused:
        application_submit(application=draft, idempotency_key="k", actor=citizen)
    assert refused.value.code == "filed_by_operator"
    assert Application.objects.get(pk=draft.pk).is_draft


def test_an_approver_who_sent_a_file_back_may_still_approve_it(passport: Service, citizen: User, officer: User,
                                                               approver: User) -> None:
    from khedmat.applications.models import ApplicationEvent as Event

    application = _walk_to_approval(_submitted(passport, citizen), officer)
    # The approver's earlier step on this file was taken as an approver: it is no review.
    Event.objects.create(application=application, actor=approver, actor_role=approver.role,
                         transition="send_back", from_state="awaiting_approval", to_state="in_review")
    approved = application_transition(application=application, actor=approver, transition="approve",
                                      expected_state="awaiting_approval")
    assert approved.state == "approved"
