"""Sending a file back for correction, the applicant's corrections, withdrawal, the approver's
other choices, and the applicant recorded apart from the account holder (issue 10)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from khedmat.accounts.models import User
from khedmat.applications.models import Application, FieldCorrection, Relationship
from khedmat.applications.services import (
    ApplicationError,
    application_draft_save,
    application_submit,
    application_transition,
    application_withdraw,
    correction_request,
    correction_submit,
)
from khedmat.applications.workflow import Workflow
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Service
from khedmat.notifications.models import Message as Sms

from .citizen_helpers import pdf
from .office_helpers import submitted, verified_client


@pytest.fixture(autouse=True)
def _private_storage(settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path), "base_url": None}}}


def _url(application: Application, name: str, language: str = "en") -> str:
    with translation.override(language):
        return reverse(f"applications:{name}", kwargs={"public_id": application.public_id})


def _citizen_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _in_review(passport: Service, citizen: User, officer: User) -> Application:
    application = submitted(passport, citizen)
    return application_transition(application=application, actor=officer, transition="start_review",
                                  expected_state="submitted")


# --- the engine gives every service the steps ----------------------------------------------

def test_every_reviewing_state_offers_correction_and_every_open_state_withdrawal(passport: Service) -> None:
    workflow = Workflow.of(passport.current_version.definition)  # type: ignore[union-attr]
    officer_steps = {state: {t.name for t in workflow.available(state, "officer")} for state in workflow.states}
    assert "request_correction" in officer_steps["in_review"] and "request_correction" in officer_steps["submitted"]
    # Not where the file waits for the applicant or the platform, nor once closed.
    assert "request_correction" not in officer_steps["needs_information"] | officer_steps["awaiting_payment"]
    assert all(workflow.withdraw_step(state) for state in ("awaiting_payment", "submitted", "in_review",
                                                            "needs_information", "awaiting_approval",
                                                            "correction_requested"))
    assert workflow.withdraw_step("approved") is None and workflow.withdraw_step("withdrawn") is None
    assert workflow.is_final("withdrawn")


# --- send back for correction ----------------------------------------------------------------

def test_a_wrong_date_of_birth_is_corrected_and_both_values_kept(passport: Service, citizen: User,
                                                                 officer: User) -> None:
    application = _in_review(passport, citizen, officer)
    office = verified_client(officer)
    response = office.post(_url(application, "office_correction"), {
        "expected_state": "in_review", "fields": ["date_of_birth"],
        "message": "The date of birth does not match your Tazkira."})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == "correction_requested" and application.clock_paused_on is not None
    [sms] = Sms.objects.filter(to=citizen.phone_number, template="application.sent_back")
    assert "does not match your Tazkira" in sms.body

    mine = _citizen_client(citizen)
    page = mine.get(_url(application, "detail")).content.decode()
    assert "sent your application back for correction" in page and "Date of birth" in page
    form = mine.get(_url(application, "correct")).content.decode()
    assert 'name="f-date_of_birth-year"' in form and 'name="f-full_name"' not in form  # only that question
    assert "Ahmad Zia" in form  # the others, read-only

    # The attacker's view: a post that also changes a question not named changes only the named one.
    response = mine.post(_url(application, "correct"), {
        "expected_state": "correction_requested", "f-date_of_birth-day": "12", "f-date_of_birth-month": "4",
        "f-date_of_birth-year": "1370", "f-full_name": "Someone Else", "f-validity_years": "10"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == "in_review"  # back where it was sent from
    assert application.data["date_of_birth"] == "1991-07-03"
    assert application.data["full_name"] == "Ahmad Zia" and application.data["validity_years"] == "5"
    [change] = FieldCorrection.objects.filter(application=application)
    assert (change.field, change.old_value, change.new_value, change.corrected_by) == (
        "date_of_birth", "1990-03-21", "1991-07-03", citizen)
    actions = set(AuditEvent.objects.filter(target_id=application.reference).values_list("action", flat=True))
    assert {"applications.request_correction", "applications.correction_requested", "applications.corrected",
            "applications.submit_correction"} <= actions

    # The officer sees the history: question, before, after, who.
    page = office.get(_url(application, "office_file")).content.decode()
    assert 'id="corrections"' in page and "1 Hamal 1369" in page and "12 Saratan 1370" in page

    # A replay of the same post: nothing changes twice.
    again = mine.post(_url(application, "correct"), {
        "expected_state": "correction_requested", "f-date_of_birth-day": "1", "f-date_of_birth-month": "1",
        "f-date_of_birth-year": "1371"})
    assert again.status_code == 302
    application.refresh_from_db()
    assert application.data["date_of_birth"] == "1991-07-03" and FieldCorrection.objects.count() == 1


def test_a_correction_request_must_name_real_questions_and_say_why(passport: Service, citizen: User,
                                                                   officer: User) -> None:
    application = _in_review(passport, citizen, officer)
    # validity_years sets the passport's fee: not the applicant's to change once the fee is set.
    for fields, message, code in ((["nonexistent"], "Why", "bad_fields"), ([], "Why", "bad_fields"),
                                  (["validity_years"], "Why", "bad_fields"),
                                  (["full_name"], "  ", "reason_needed"),
                                  (["full_name"], "x" * 2001, "too_long")):
        with pytest.raises(ApplicationError) as refused:
            correction_request(application=application, actor=officer, fields=fields, message=message,
                               expected_state="in_review")
        assert refused.value.code == code
    application.refresh_from_db()
    assert application.state == "in_review"
    # The generic step cannot skip naming the questions.
    response = verified_client(officer).post(_url(application, "office_act"), {
        "transition": "request_correction", "request_correction-expected_state": "in_review",
        "request_correction-reason_text": "x"})
    assert response.status_code == 400
    application.refresh_from_db()
    assert application.state == "in_review"


def test_another_citizen_cannot_see_or_correct_the_file(passport: Service, citizen: User, other_citizen: User,
                                                        officer: User) -> None:
    application = _in_review(passport, citizen, officer)
    correction_request(application=application, actor=officer, fields=["full_name"], message="Spell it as on "
                       "the Tazkira.", expected_state="in_review")
    intruder = _citizen_client(other_citizen)
    assert intruder.get(_url(application, "correct")).status_code == 404
    assert intruder.post(_url(application, "correct"), {"expected_state": "correction_requested",
                                                        "f-full_name": "Hacked"}).status_code == 404
    with pytest.raises(ApplicationError):
        correction_submit(application=application, applicant=other_citizen, expected_state="correction_requested",
                          answers={"full_name": "Hacked"})
    application.refresh_from_db()
    assert application.data["full_name"] == "Ahmad Zia" and application.state == "correction_requested"


def test_a_bad_corrected_answer_is_refused_in_the_readers_language(passport: Service, citizen: User,
                                                                   officer: User) -> None:
    application = _in_review(passport, citizen, officer)
    correction_request(application=application, actor=officer, fields=["date_of_birth"], message="Check it.",
                       expected_state="in_review")
    response = _citizen_client(citizen).post(_url(application, "correct", "fa"), {
        "expected_state": "correction_requested", "f-date_of_birth-day": "۳۱", "f-date_of_birth-month": "۱۲",
        "f-date_of_birth-year": "۱۳۷۰"})
    assert response.status_code == 400
    application.refresh_from_db()
    assert application.state == "correction_requested" and application.data["date_of_birth"] == "1990-03-21"


# --- withdrawal -------------------------------------------------------------------------------

def test_withdrawal_asks_first_closes_the_file_and_is_idempotent(passport: Service, citizen: User,
                                                                 officer: User) -> None:
    application = _in_review(passport, citizen, officer)
    mine = _citizen_client(citizen)
    assert "Withdraw the application" in mine.get(_url(application, "detail")).content.decode()
    page = mine.get(_url(application, "withdraw"))
    assert page.status_code == 200 and "This cannot be undone" in page.content.decode()
    unconfirmed = mine.post(_url(application, "withdraw"), {"reason": "Moved abroad"})
    assert unconfirmed.status_code == 400
    application.refresh_from_db()
    assert application.state == "in_review"
    assert mine.post(_url(application, "withdraw"), {"reason": "Moved abroad", "confirm": "on"}).status_code == 302
    application.refresh_from_db()
    assert application.state == "withdrawn" and application.is_final and application.decided_at is not None
    # Twice: nothing more happens.
    mine.post(_url(application, "withdraw"), {"confirm": "on"})
    assert application_withdraw(application=application, applicant=citizen).state == "withdrawn"
    assert application.events.filter(transition="withdraw").count() == 1
    assert AuditEvent.objects.filter(action="applications.withdraw", target_id=application.reference).count() == 1
    [sms] = Sms.objects.filter(to=citizen.phone_number, template="application.closed")
    with translation.override(citizen.preferred_language):  # told in their language
        assert translation.gettext("Withdrawn by the applicant") in sms.body


def test_no_withdrawal_after_a_decision_nor_by_someone_else(passport: Service, citizen: User, other_citizen: User,
                                                            officer: User) -> None:
    application = _in_review(passport, citizen, officer)
    assert _citizen_client(other_citizen).post(_url(application, "withdraw"), {"confirm": "on"}).status_code == 404
    with pytest.raises(ApplicationError):
        application_withdraw(application=application, applicant=other_citizen)
    application = application_transition(application=application, actor=officer, transition="reject",
                                         expected_state="in_review", reason_code="not_eligible")
    with pytest.raises(ApplicationError) as refused:
        application_withdraw(application=application, applicant=citizen)
    assert refused.value.code == "decided"
    _citizen_client(citizen).post(_url(application, "withdraw"), {"confirm": "on"})
    application.refresh_from_db()
    assert application.state == "rejected"


def test_withdrawing_before_paying_cancels_the_payment_order(passport: Service, citizen: User,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from khedmat.payments import subscribers
    from khedmat.payments.models import PaymentOrder
    from khedmat.payments.services import payment_order_open

    monkeypatch.setattr(subscribers, "payment_order_open", payment_order_open)  # the fee stays unpaid
    draft = application_draft_save(applicant=citizen, service=passport, data={
        "full_name": "Ahmad Zia", "father_name": "Mohammad Nabi", "date_of_birth": "1990-03-21",
        "validity_years": "5"})
    application = application_submit(application=draft, idempotency_key="unpaid-1", actor=citizen)
    assert application.state == "awaiting_payment"
    application_withdraw(application=application, applicant=citizen, reason="")
    assert PaymentOrder.objects.get(application=application).status == PaymentOrder.Status.CANCELLED


# --- the approver's choices ------------------------------------------------------------------

def _awaiting_approval(passport: Service, citizen: User, officer: User) -> Application:
    application = _in_review(passport, citizen, officer)
    return application_transition(application=application, actor=officer, transition="recommend",
                                  expected_state="in_review")


def test_the_approver_may_reject_with_a_reason_or_send_back(passport: Service, citizen: User, officer: User,
                                                            approver: User) -> None:
    application = _awaiting_approval(passport, citizen, officer)
    with pytest.raises(ApplicationError) as refused:
        application_transition(application=application, actor=approver, transition="approver_reject",
                               expected_state="awaiting_approval")
    assert refused.value.code == "reason_needed"
    back = application_transition(application=application, actor=approver, transition="approver_send_back",
                                  expected_state="awaiting_approval", reason_text="Check the photo.")
    assert back.state == "in_review"
    again = application_transition(application=back, actor=officer, transition="recommend",
                                   expected_state="in_review")
    rejected = application_transition(application=again, actor=approver, transition="approver_reject",
                                      expected_state="awaiting_approval", reason_code="not_eligible")
    assert rejected.state == "rejected" and rejected.is_final


def test_the_approver_may_send_back_for_correction_to_the_citizen(passport: Service, citizen: User,
                                                                  officer: User, approver: User) -> None:
    application = _awaiting_approval(passport, citizen, officer)
    correction_request(application=application, actor=approver, fields=["father_name"],
                       message="Father's name is misspelt.", expected_state="awaiting_approval")
    application.refresh_from_db()
    moved = correction_submit(application=application, applicant=citizen, expected_state="correction_requested",
                              answers={"father_name": "Mohammad Nabi Khan"})
    assert moved.state == "awaiting_approval"  # back to the approver


def test_the_reviewer_cannot_reject_as_the_second_person(passport: Service, citizen: User, officer: User,
                                                         approver: User) -> None:
    application = _awaiting_approval(passport, citizen, officer)
    officer.role = "approver"  # the officer who recommended it became an approver
    officer.save()
    for step in ("approver_reject", "approver_send_back"):
        with pytest.raises(ApplicationError) as refused:
            application_transition(application=application, actor=officer, transition=step,
                                   expected_state="awaiting_approval", reason_code="not_eligible")
        assert refused.value.code == "four_eyes"


def test_approve_then_reject_race_applies_one(passport: Service, citizen: User, officer: User,
                                              approver: User) -> None:
    application = _awaiting_approval(passport, citizen, officer)
    first = verified_client(approver)
    approve = first.post(_url(application, "office_act"), {
        "transition": "approve", "approve-expected_state": "awaiting_approval"})
    reject = first.post(_url(application, "office_act"), {
        "transition": "approver_reject", "approver_reject-expected_state": "awaiting_approval",
        "approver_reject-reason_code": "not_eligible"})
    assert approve.status_code == 302 and reject.status_code == 409
    application.refresh_from_db()
    assert application.state == "approved"
    assert not application.events.filter(transition="approver_reject").exists()


# --- the applicant and the account holder ------------------------------------------------------

APPLY_POST = {"f-full_name": "Ahmad Zia", "f-father_name": "Mohammad Nabi", "f-date_of_birth-day": "1",
              "f-date_of_birth-month": "1", "f-date_of_birth-year": "1369", "f-validity_years": "5",
              "f-collection_center": "KBL"}


@pytest.fixture
def kabul(passport: Service) -> None:
    """The passport is collected at a center: Kabul's offers it."""
    from datetime import time

    from khedmat.centers.services import center_offer_services, center_upsert

    names = {"en": "Kabul Center", "fa": "مرکز کابل", "ps": "د کابل مرکز"}
    center = center_upsert(code="KBL", slug="kbl", name=names, city=names, address=names,
                           opens_at=time(8), closes_at=time(16))
    center_offer_services(center=center, services=[passport])


def _apply(client: Client, passport: Service, **extra: str) -> object:
    html = client.get(f"/en/apply/{passport.slug}/").content.decode()
    token = re.search(r'name="submission_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    return client.post(f"/en/apply/{passport.slug}/", {**APPLY_POST, "submission_token": token,
                                                       "action": "submit", "doc-tazkira_copy": pdf(), **extra})


def test_a_mother_files_for_her_son(passport: Service, citizen: User, officer: User, kabul: None) -> None:
    citizen.full_name = "Mariam Ahmadi"
    citizen.save()
    mine = _citizen_client(citizen)
    assert "Who is this application for?" in mine.get(f"/en/apply/{passport.slug}/").content.decode()
    response = _apply(mine, passport, applicant_for="someone_else", applicant_name="Ahmad  Zia",
                      applicant_tazkira="۱۴۰۰-۰۱۰۱-۱۲۳۴۵", applicant_relationship="child",
                      applicant_date_of_birth="1369/01/01")
    assert response.status_code == 302  # type: ignore[attr-defined]
    application = Application.objects.get(applicant=citizen)
    assert (application.applicant_name, application.applicant_tazkira, application.applicant_relationship) == (
        "Ahmad Zia", "1400-0101-12345", Relationship.CHILD)
    assert str(application.applicant_date_of_birth) == "1990-03-21"
    receipt = mine.get(_url(application, "receipt")).content.decode()
    assert "Ahmad Zia" in receipt and "Mariam Ahmadi" in receipt and "My son or daughter" in receipt
    inbox = verified_client(officer).get("/en/office/?closed=on").content.decode()
    assert "Ahmad Zia" in inbox and "filed by Mariam Ahmadi" in inbox
    page = verified_client(officer).get(_url(application, "office_file")).content.decode()
    assert "Filed by (account holder)" in page and "1400-0101-12345" in page


def test_someone_else_needs_a_name_and_a_relationship(passport: Service, citizen: User) -> None:
    response = _apply(_citizen_client(citizen), passport, applicant_for="someone_else", applicant_name=" ",
                      applicant_tazkira="not-a-number")
    assert response.status_code == 200  # type: ignore[attr-defined]
    body = response.content.decode()  # type: ignore[attr-defined]
    assert "Write the name of the person this application is for." in body
    assert not Application.objects.exclude(state="draft").exists()


def test_filing_for_myself_names_the_account_holder(passport: Service, citizen: User, kabul: None) -> None:
    citizen.full_name, citizen.tazkira_number = "Mariam Ahmadi", "1399-0202-54321"
    citizen.save()
    response = _apply(_citizen_client(citizen), passport, applicant_for="me")
    assert response.status_code == 302  # type: ignore[attr-defined]
    application = Application.objects.get(applicant=citizen)
    assert (application.applicant_name, application.applicant_tazkira, application.for_someone_else) == (
        "Mariam Ahmadi", "1399-0202-54321", False)
