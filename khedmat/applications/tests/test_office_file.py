"""The back office file page: the audited opening, what it shows, and the steps it offers."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from khedmat.accounts.models import User
from khedmat.applications.models import Application, ApplicationEvent, Message, Note
from khedmat.applications.services import application_claim, application_transition
from khedmat.applications.workflow import Workflow
from khedmat.audit.models import AuditEvent
from khedmat.audit.selectors import audit_events_about
from khedmat.catalog.models import Service
from khedmat.notifications.models import Message as Sms

from .office_helpers import submitted, verified_client


def _url(application: Application, name: str = "office_file", language: str = "en") -> str:
    with translation.override(language):
        return reverse(f"applications:{name}", kwargs={"public_id": application.public_id})


def _offered(html: str) -> set[str]:
    return set(re.findall(r'name="transition" value="([a-z_]+)"', html))


def _act(client: Client, application: Application, transition: str, expected_state: str,
         **fields: str) -> object:
    data = {"transition": transition, f"{transition}-expected_state": expected_state}
    data.update({f"{transition}-{name}": value for name, value in fields.items()})
    return client.post(_url(application, "office_act"), data)


def test_opening_a_file_is_on_the_applicants_record(passport: Service, citizen: User, officer: User,
                                                     second_officer: User) -> None:
    application = submitted(passport, citizen)
    client = verified_client(officer)
    assert client.get(_url(application)).status_code == 200
    application_claim(application=application, officer=second_officer)
    assert client.get(_url(application)).status_code == 200  # someone else's file: allowed, and logged
    opened = list(AuditEvent.objects.filter(action="applications.file_opened").order_by("id"))
    assert len(opened) == 2
    assert all(e.subject == citizen and e.actor == officer and e.reason == "Working the file" for e in opened)
    assert [e.data["assigned_to_other"] for e in opened] == [False, True]
    assert opened[0] in audit_events_about(subject=citizen)


def test_answers_in_the_readers_language_and_calendar(passport: Service, citizen: User, officer: User) -> None:
    application = submitted(passport, citizen)
    page = verified_client(officer).get(_url(application, language="fa")).content.decode()
    assert "نام کامل" in page and "Ahmad Zia" in page
    assert "۱ حمل ۱۳۶۹" in page  # 21 March 1990, date of birth
    assert "۵ سال" in page  # the choice's own title, not its value
    page = verified_client(officer).get(_url(application)).content.decode()
    assert "Full name" in page and "1 Hamal 1369" in page and "5 years" in page


def test_actions_are_exactly_the_workflows_steps_for_the_role(passport: Service, citizen: User, officer: User,
                                                              approver: User) -> None:
    application = submitted(passport, citizen)
    workflow = Workflow.of(application.service_version.definition)
    officer_client, approver_client = verified_client(officer), verified_client(approver)

    def expected(state: str, role: str) -> set[str]:
        # Sending back for correction has its own form (it names the questions): test_corrections.
        return {t.name for t in workflow.available(state, role)} - {"request_correction"}

    assert _offered(officer_client.get(_url(application)).content.decode()) == expected("submitted", "officer") \
        == {"start_review"}
    assert _offered(approver_client.get(_url(application)).content.decode()) == set()
    application = application_transition(application=application, actor=officer, transition="start_review",
                                         expected_state="submitted")
    assert _offered(officer_client.get(_url(application)).content.decode()) == {
        "request_information", "recommend", "reject"}
    application = application_transition(application=application, actor=officer, transition="recommend",
                                         expected_state="in_review")
    assert _offered(officer_client.get(_url(application)).content.decode()) == {"reject"}
    # The second person may also refuse, or send the file back to the reviewer.
    assert _offered(approver_client.get(_url(application)).content.decode()) == {
        "approve", "approver_reject", "approver_send_back"}
    response = _act(approver_client, application, "approve", "awaiting_approval")
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert Application.objects.get(pk=application.pk).state == "approved"
    # Approved, the passport is printed: the officer marks it ready at the chosen center, then
    # handed over, and only then is the file closed.
    assert _offered(officer_client.get(_url(application)).content.decode()) == {"mark_ready"}
    assert _act(officer_client, application, "mark_ready", "approved").status_code == 302  # type: ignore[attr-defined]
    assert _offered(officer_client.get(_url(application)).content.decode()) == {"hand_over"}
    assert _act(officer_client, application, "hand_over", "ready_for_collection").status_code == 302  # type: ignore[attr-defined]
    page = officer_client.get(_url(application)).content.decode()
    assert _offered(page) == set() and "This file is closed." in page


def test_a_stale_action_is_told_and_applies_nothing(passport: Service, citizen: User, officer: User,
                                                    second_officer: User) -> None:
    application = submitted(passport, citizen)
    first, second = verified_client(officer), verified_client(second_officer)
    assert 'value="submitted"' in first.get(_url(application)).content.decode()  # what the first officer saw
    assert _act(second, application, "start_review", "submitted").status_code == 302  # type: ignore[attr-defined]
    response = _act(first, application, "start_review", "submitted")
    page = response.content.decode()  # type: ignore[attr-defined]
    assert response.status_code == 409  # type: ignore[attr-defined]
    assert "Someone else acted on this file a moment ago" in page and "In review" in page
    assert ApplicationEvent.objects.filter(application=application, transition="start_review").count() == 1
    # The page now offers the steps of the state the file is really in.
    assert _offered(page) == {"request_information", "recommend", "reject"}


def test_two_person_approval_is_refused_to_the_reviewer(passport: Service, citizen: User, officer: User,
                                                        approver: User) -> None:
    application = submitted(passport, citizen)
    application = application_transition(application=application, actor=officer, transition="start_review",
                                         expected_state="submitted")
    application = application_transition(application=application, actor=officer, transition="recommend",
                                         expected_state="in_review")
    # One person held both duties: the review steps are the approver's own.
    ApplicationEvent.objects.filter(application=application).exclude(transition="submit").update(actor=approver)
    client = verified_client(approver)
    assert _offered(client.get(_url(application)).content.decode()) == {
        "approve", "approver_reject", "approver_send_back"}  # shown…
    response = _act(client, application, "approve", "awaiting_approval")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert ("Two-person approval: someone other than the reviewer must take this step."
            in response.content.decode())  # type: ignore[attr-defined]
    assert Application.objects.get(pk=application.pk).state == "awaiting_approval"  # …and refused


def test_a_request_for_information_is_a_message_to_the_applicant(passport: Service, citizen: User,
                                                                 officer: User,
                                                                 django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    application = application_transition(application=submitted(passport, citizen), actor=officer,
                                         transition="start_review", expected_state="submitted")
    client = verified_client(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = _act(client, application, "request_information", "in_review",
                        reason_code="incomplete_documents", reason_text="The Tazkira copy is unreadable.")
    assert response.status_code == 302  # type: ignore[attr-defined]
    application.refresh_from_db()
    assert application.state == "needs_information" and application.clock_paused_on is not None
    [message] = Message.objects.filter(application=application)
    assert message.direction == Message.Direction.TO_APPLICANT and message.text == "The Tazkira copy is unreadable."
    event = ApplicationEvent.objects.get(application=application, transition="request_information")
    assert event.reason_text == message.text and event.reason_code == "incomplete_documents"
    # One SMS tells of the request and its reason (not a second one for the message).
    [sms] = Sms.objects.filter(to=citizen.phone_number, template__startswith="application.").exclude(
        template="application.submitted")
    assert sms.template == "application.information_requested" and "The Tazkira copy is unreadable." in sms.body
    page = client.get(_url(application)).content.decode()
    assert "The Tazkira copy is unreadable." in page and "Paused: waiting for the applicant" in page


def test_a_step_that_needs_a_reason_keeps_what_was_typed(passport: Service, citizen: User, officer: User) -> None:
    application = application_transition(application=submitted(passport, citizen), actor=officer,
                                         transition="start_review", expected_state="submitted")
    client = verified_client(officer)
    response = _act(client, application, "reject", "in_review", reason_code="", reason_text="")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "Give a reason for this step" in response.content.decode()  # type: ignore[attr-defined]
    response = _act(client, application, "reject", "in_review", reason_code="not-a-reason",
                    reason_text="Keep these words.")
    page = response.content.decode()  # type: ignore[attr-defined]
    assert response.status_code == 400 and "Keep these words." in page  # type: ignore[attr-defined]
    assert Application.objects.get(pk=application.pk).state == "in_review"
    assert not ApplicationEvent.objects.filter(transition="reject").exists()


def test_notes_stay_inside_the_agency(passport: Service, citizen: User, officer: User,
                                      django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    application = submitted(passport, citizen)
    client = verified_client(officer)
    secret = "Photo looks different from the Tazkira; check in person."
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(application, "office_note_add"), {"text": secret})
    assert response.status_code == 302
    assert Note.objects.get(application=application).text == secret
    assert secret in client.get(_url(application)).content.decode()
    # Nothing the applicant can read carries it: messages, SMS, the record of their file.
    assert not Message.objects.filter(text__contains="Photo looks").exists()
    assert not Sms.objects.filter(body__contains="Photo looks").exists()
    about = audit_events_about(subject=citizen)
    assert not about.filter(action="applications.note_added").exists()
    assert all("Photo looks" not in (e.reason + str(e.data)) for e in about)
    try:
        citizen_page = reverse("applications:detail", kwargs={"public_id": application.public_id})
    except NoReverseMatch:
        return  # the citizen's file page is not installed in this tree
    applicant_client = Client()
    applicant_client.force_login(citizen)
    response = applicant_client.get(citizen_page)
    assert response.status_code == 200 and secret not in response.content.decode()


def test_an_empty_note_or_message_changes_nothing(passport: Service, citizen: User, officer: User) -> None:
    application = submitted(passport, citizen)
    client = verified_client(officer)
    response = client.post(_url(application, "office_note_add"), {"text": "   "})
    assert response.status_code == 400 and not Note.objects.exists()
    response = client.post(_url(application, "office_message_send"), {"text": ""})
    assert response.status_code == 400 and not Message.objects.exists()
    assert 'aria-invalid="true"' in response.content.decode()


def test_a_message_to_the_applicant(passport: Service, citizen: User, officer: User,
                                    django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    application = submitted(passport, citizen)
    client = verified_client(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(application, "office_message_send"), {"text": "Bring the original Tazkira."})
    assert response.status_code == 302
    message = Message.objects.get(application=application)
    assert message.direction == Message.Direction.TO_APPLICANT and message.author == officer
    [sms] = Sms.objects.filter(to=citizen.phone_number, template="application.message_sent")
    assert str(application.reference) in sms.body and "Bring the original" not in sms.body  # no content by SMS


@pytest.mark.parametrize("role_fixture", ["citizen", "other_citizen"])
def test_people_outside_the_agency_find_no_file_page(passport: Service, citizen: User,
                                                     request: pytest.FixtureRequest, role_fixture: str) -> None:
    application = submitted(passport, citizen)
    client = Client()
    client.force_login(request.getfixturevalue(role_fixture))
    assert client.get(_url(application)).status_code == 404
    assert not AuditEvent.objects.filter(action="applications.file_opened").exists()


def test_a_foreign_officer_gets_404_everywhere(passport: Service, citizen: User, foreign_officer: User) -> None:
    application = submitted(passport, citizen)
    client = verified_client(foreign_officer)
    assert client.get(_url(application)).status_code == 404
    for name in ("office_act", "office_claim", "office_release", "office_assign", "office_note_add",
                 "office_message_send"):
        assert client.post(_url(application, name), {"text": "x", "transition": "start_review",
                                                     "start_review-expected_state": "submitted"}).status_code == 404
    assert Application.objects.get(pk=application.pk).state == "submitted"
    assert not Note.objects.exists() and not Message.objects.exists()
    assert not AuditEvent.objects.filter(action="applications.file_opened").exists()
