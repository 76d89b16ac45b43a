"""My applications and one file: only one's own files, the timeline in plain words, never an
internal note, and answering a request for more information."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from khedmat.accounts.models import User
from khedmat.applications.models import Application, ApplicationEvent, Document, Message, Note
from khedmat.applications.services import application_transition
from khedmat.applications.services.drafts import application_draft_store
from khedmat.catalog.models import Agency, Service
from khedmat.catalog.tests.factories import passport_definition, publish

from .citizen_helpers import PNG_BYTES, submitted, waiting_for_information


@pytest.fixture
def signed_in(client: Client, citizen: User) -> Client:
    client.force_login(citizen)
    return client


def test_my_applications_lists_only_my_own_files(signed_in: Client, passport: Service, citizen: User,
                                                 other_citizen: User) -> None:
    mine = submitted(passport, citizen, "mine")
    theirs = submitted(passport, other_citizen, "theirs")
    draft = application_draft_store(applicant=citizen, service=passport, data={"full_name": "Ahmad"})
    html = signed_in.get("/en/applications/").content.decode()
    assert f"{mine.reference}" in html and str(mine.public_id) in html
    assert f"{theirs.reference}" not in html and str(theirs.public_id) not in html
    assert f"/en/applications/{draft.public_id}/edit/" in html
    assert "Submitted" in html  # the state in the workflow's own words


def test_the_state_is_in_the_readers_language(signed_in: Client, passport: Service, citizen: User) -> None:
    submitted(passport, citizen)
    html = signed_in.get("/fa/applications/").content.decode()
    assert "ارسال شد" in html  # "Submitted" as the passport workflow says it in Dari
    assert "صدور و تمدید پاسپورت" in html


@pytest.mark.parametrize("page", ["", "edit/", "delete/", "submitted/", "receipt/"])
def test_someone_elses_file_is_not_found(client: Client, passport: Service, citizen: User, other_citizen: User,
                                         page: str) -> None:
    application = submitted(passport, citizen)
    draft = application_draft_store(applicant=citizen, service=passport, data={})
    client.force_login(other_citizen)
    for target in (application, draft):
        assert client.get(f"/en/applications/{target.public_id}/{page}").status_code == 404
    assert client.post(f"/en/applications/{application.public_id}/answer/", {
        "expected_state": "submitted", "text": "hello"}).status_code == 404


def test_pages_of_a_file_need_signing_in(client: Client, passport: Service, citizen: User) -> None:
    application = submitted(passport, citizen)
    response = client.get(f"/en/applications/{application.public_id}/")
    assert response.status_code == 302 and response["Location"].startswith("/en/account/sign-in/?next=")
    assert client.get("/en/applications/").status_code == 302


def test_the_timeline_tells_each_step_with_its_reason_and_never_an_internal_note(
        signed_in: Client, passport: Service, citizen: User, officer: User) -> None:
    application = submitted(passport, citizen)
    Note.objects.create(application=application, author=officer, text="Looks like a forged stamp")
    waiting_for_information(application, officer, reason="The copy of the Tazkira is not readable.")
    html = signed_in.get(f"/en/applications/{application.public_id}/").content.decode()
    for text in ("Application sent", "Start review", "Ask for more information", "Now: More information needed",
                 "The copy of the Tazkira is not readable.", "(The agency)", "(You)"):
        assert text in html, text
    assert "forged stamp" not in html
    assert "officer.test" not in html  # staff are not named to the applicant
    fa = signed_in.get(f"/fa/applications/{application.public_id}/").content.decode()
    assert "درخواست معلومات بیشتر" in fa and "معلومات بیشتر لازم است" in fa


def test_a_request_for_information_shows_what_is_asked_and_a_form_to_answer(
        signed_in: Client, passport: Service, citizen: User, officer: User) -> None:
    application = waiting_for_information(submitted(passport, citizen), officer, reason="Send a clearer copy")
    listing = signed_in.get("/en/applications/").content.decode()
    assert "The agency is waiting for your answer" in listing
    html = signed_in.get(f"/en/applications/{application.public_id}/").content.decode()
    assert "The agency is waiting for you" in html and "Send a clearer copy" in html
    assert f'action="/en/applications/{application.public_id}/answer/"' in html
    assert 'name="transition" value="provide_information">Send the information</button>' in html
    assert 'name="answer-doc-tazkira_copy"' in html and 'name="answer-doc-other"' in html
    assert "Paused while the agency waits for you" in html


def test_answering_records_the_message_and_files_and_moves_the_file_back(
        signed_in: Client, passport: Service, citizen: User, officer: User) -> None:
    application = waiting_for_information(submitted(passport, citizen), officer)
    response = signed_in.post(f"/en/applications/{application.public_id}/answer/", {
        "expected_state": "needs_information", "transition": "provide_information",
        "text": "Here is a clearer copy.", "answer-doc-tazkira_copy": SimpleUploadedFile("clear.png", PNG_BYTES),
    })
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == "in_review" and application.clock_paused_on is None
    message = Message.objects.get(direction=Message.Direction.FROM_APPLICANT)
    assert message.text == "Here is a clearer copy." and message.author == citizen
    document = Document.objects.get(message=message)
    assert document.document_code == "tazkira_copy" and document.content_type == "image/png"
    event = ApplicationEvent.objects.filter(application=application).last()
    assert event is not None and event.transition == "provide_information" and event.actor == citizen
    html = signed_in.get(response["Location"]).content.decode()
    assert "Your answer is sent to the agency." in html
    assert "You wrote" in html and "clear.png" in html
    assert "The agency is waiting for you" not in html


def test_an_empty_answer_is_refused_and_changes_nothing(signed_in: Client, passport: Service, citizen: User,
                                                        officer: User) -> None:
    application = waiting_for_information(submitted(passport, citizen), officer)
    response = signed_in.post(f"/en/applications/{application.public_id}/answer/", {
        "expected_state": "needs_information", "transition": "provide_information", "text": "  "})
    assert response.status_code == 200
    assert "Write your answer, attach a file, or both." in response.content.decode()
    application.refresh_from_db()
    assert application.state == "needs_information"
    assert not Message.objects.filter(direction=Message.Direction.FROM_APPLICANT).exists()


def test_a_bad_file_in_an_answer_keeps_the_text(signed_in: Client, passport: Service, citizen: User,
                                                officer: User) -> None:
    application = waiting_for_information(submitted(passport, citizen), officer)
    response = signed_in.post(f"/en/applications/{application.public_id}/answer/", {
        "expected_state": "needs_information", "transition": "provide_information", "text": "My answer",
        "answer-doc-other": SimpleUploadedFile("virus.pdf", b"MZ\x90\x00")})
    html = response.content.decode()
    assert "This file is not a PDF, JPEG or PNG" in html and ">My answer</textarea>" in html
    application.refresh_from_db()
    assert application.state == "needs_information"


def test_an_answer_to_a_page_that_is_out_of_date_changes_nothing(signed_in: Client, passport: Service,
                                                                 citizen: User, officer: User) -> None:
    application = waiting_for_information(submitted(passport, citizen), officer)
    signed_in.post(f"/en/applications/{application.public_id}/answer/", {
        "expected_state": "needs_information", "transition": "provide_information", "text": "First"})
    response = signed_in.post(f"/en/applications/{application.public_id}/answer/", {
        "expected_state": "needs_information", "transition": "provide_information", "text": "Again"})
    assert response.status_code == 302
    assert list(Message.objects.filter(direction=Message.Direction.FROM_APPLICANT)
                .values_list("text", flat=True)) == ["First"]


def test_no_answer_is_taken_when_the_agency_is_not_waiting(signed_in: Client, passport: Service,
                                                           citizen: User) -> None:
    application = submitted(passport, citizen)
    html = signed_in.get(f"/en/applications/{application.public_id}/").content.decode()
    assert "/answer/" not in html
    signed_in.post(f"/en/applications/{application.public_id}/answer/", {
        "expected_state": "submitted", "transition": "provide_information", "text": "Hello"})
    assert not Message.objects.exists()
    application.refresh_from_db()
    assert application.state == "submitted"


def test_withdrawing_asks_for_confirmation(signed_in: Client, moi: Agency, citizen: User) -> None:
    definition = passport_definition()
    definition["workflow"]["states"].append(
        {"name": "withdrawn", "label": {"en": "Withdrawn", "fa": "انصراف", "ps": "بېرته"}, "final": True})
    definition["workflow"]["transitions"].append(
        {"name": "withdraw", "from": ["submitted"], "to": "withdrawn", "role": "applicant",
         "label": {"en": "Withdraw my application", "fa": "انصراف از درخواست", "ps": "بېرته اخیستل"}})
    service = publish(moi, definition).service
    application = submitted(service, citizen)
    url = f"/en/applications/{application.public_id}/"
    assert 'value="withdraw">Withdraw my application</button>' in signed_in.get(url).content.decode()
    response = signed_in.post(f"{url}answer/", {"expected_state": "submitted", "transition": "withdraw"})
    assert "Tick the box to confirm." in response.content.decode()
    application.refresh_from_db()
    assert application.state == "submitted"
    signed_in.post(f"{url}answer/", {"expected_state": "submitted", "transition": "withdraw", "confirm": "yes"})
    application.refresh_from_db()
    assert application.state == "withdrawn" and application.is_final


def test_the_decision_and_its_reason_reach_the_applicant(signed_in: Client, passport: Service, citizen: User,
                                                         officer: User) -> None:
    application = submitted(passport, citizen)
    application = application_transition(application=application, actor=officer, transition="start_review",
                                         expected_state="submitted")
    application_transition(application=application, actor=officer, transition="reject", expected_state="in_review",
                           reason_code="not_eligible", reason_text="You already hold a valid passport.")
    html = signed_in.get(f"/fa/applications/{application.public_id}/").content.decode()
    with translation.override("fa"):
        assert gettext("The applicant is not eligible for this service") in html
    assert "You already hold a valid passport." in html and "رد شد" in html


def test_my_applications_reads_in_a_fixed_number_of_queries(signed_in: Client, passport: Service, citizen: User,
                                                            django_assert_max_num_queries: Any) -> None:
    for number in range(5):
        submitted(passport, citizen, f"key-{number}")
    with django_assert_max_num_queries(8):
        response = signed_in.get("/en/applications/")
    assert response.content.decode().count("MOI-PSP-") == 5
    for number in range(5, 10):
        submitted(passport, citizen, f"key-{number}")
    with django_assert_max_num_queries(8):
        signed_in.get("/en/applications/")
    assert Application.objects.filter(applicant=citizen).count() == 10
