"""Applying online: the form from the service's definition in each language, messages next to
the fields, nothing lost, drafts, one application per submitted page, the confirmation."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from khedmat.accounts.models import User
from khedmat.applications.models import Application, Document
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Agency, Service
from khedmat.catalog.tests.factories import passport_definition, publish, verified_client
from khedmat.core.calendar import solar_hijri_year
from khedmat.core.formatting import format_date

from .citizen_helpers import RICH_ANSWERS, RICH_POST, pdf, rich_service, token_of


@pytest.fixture
def rich(moi: Agency) -> Service:
    return rich_service(moi)


@pytest.fixture
def signed_in(client: Client, citizen: User) -> Client:
    client.force_login(citizen)
    return client


def _page(client: Client, url: str) -> tuple[str, str]:
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    return html, token_of(html)


# --- who may apply, for what ------------------------------------------------------------------

def test_applying_needs_a_citizen_signed_in(client: Client, rich: Service, officer: User) -> None:
    response = client.get("/en/apply/rich-service/")
    assert response.status_code == 302
    assert response["Location"] == "/en/account/sign-in/?next=/en/apply/rich-service/"
    assert verified_client(officer).get("/en/apply/rich-service/").status_code == 404


def test_only_services_offered_online_can_be_applied_for(signed_in: Client, moi: Agency) -> None:
    publish(moi, passport_definition(channels=["center"]))
    assert signed_in.get("/en/apply/passport/").status_code == 404
    assert signed_in.get("/en/apply/no-such-service/").status_code == 404


def test_the_service_page_offers_to_apply_online_only_when_it_can(client: Client, moi: Agency) -> None:
    publish(moi, passport_definition())
    assert 'href="/en/apply/passport/"' in client.get("/en/services/passport/").content.decode()
    publish(moi, passport_definition(channels=["center"]))
    assert "/en/apply/passport/" not in client.get("/en/services/passport/").content.decode()


# --- the form in each language -----------------------------------------------------------------

def test_each_kind_of_field_is_rendered_in_english(signed_in: Client, rich: Service) -> None:
    html, _token = _page(signed_in, "/en/apply/rich-service/")
    assert '<label for="id_f-full_name">Full name</label>' in html
    assert 'name="f-full_name" value="" maxlength="20"' in html
    assert 'name="f-age" value="" inputmode="numeric"' in html
    assert 'name="f-grade" value="" inputmode="decimal"' in html
    assert 'type="radio" id="id_f-size-0" name="f-size" value="small"' in html  # 2 choices: radio buttons
    assert '<select id="id_f-province" name="f-province"' in html  # 5 choices: a list
    assert '<option value="herat">Herat</option>' in html
    assert 'name="f-agrees" value="yes"' in html and 'name="f-agrees" value="no"' in html
    assert 'name="f-date_of_birth-day"' in html and 'name="f-date_of_birth-year"' in html
    assert '<option value="1">Hamal (1)</option>' in html and '<option value="12">Hut (12)</option>' in html
    assert 'type="tel" id="id_f-mobile" name="f-mobile" value="" inputmode="tel" dir="ltr"' in html
    assert 'name="f-tazkira" value="" dir="ltr" maxlength="32"' in html
    assert '<textarea id="id_f-address" name="f-address" rows="3" maxlength="300"' in html
    assert 'name="f-children-count" value="1"' in html and 'name="f-children-0-name"' in html
    assert 'name="add_row" value="children"' in html
    assert 'type="file" id="id_doc-tazkira_copy" name="doc-tazkira_copy"' in html
    assert "PDF, JPEG or PNG, up to 1 MB." in html


def test_the_form_speaks_dari(signed_in: Client, rich: Service) -> None:
    html, _token = _page(signed_in, "/fa/apply/rich-service/")
    assert 'dir="rtl"' in html
    for text in ("نام کامل", "ولایت", '<option value="herat">هرات</option>', "کوچک", "تاریخ تولد",
                 '<option value="1">حمل (۱)</option>', '<option value="12">حوت (۱۲)</option>', "کاپی تذکره"):
        assert text in html, text
    with translation.override("fa"):
        for english in ("Yes", "No", "Save and continue later", "Add another row"):
            assert gettext(english) in html, english


# --- checking, and keeping what was typed ---------------------------------------------------------

def test_errors_are_shown_next_to_each_field_and_nothing_typed_is_lost(signed_in: Client, rich: Service) -> None:
    html, token = _page(signed_in, "/en/apply/rich-service/")
    post = {**RICH_POST, "f-age": "12", "f-full_name": "", "f-date_of_birth-day": "31",
            "f-date_of_birth-month": "7", "submission_token": token, "action": "submit",
            "doc-tazkira_copy": pdf("my tazkira.pdf")}
    response = signed_in.post("/en/apply/rich-service/", post)
    assert response.status_code == 200
    html = response.content.decode()
    # Each message beside its field, tied to it for screen readers, and listed at the top.
    assert '<p class="field__error" id="id_f-age-error">Enter a number from 18 to 99.</p>' in html
    assert 'aria-describedby="id_f-age-error" aria-invalid="true"' in html
    assert '<a href="#id_f-full_name">Full name: Answer this question.</a>' in html
    assert "There is no such date: check the day and the month." in html
    # What was typed is there again, the file is kept on a draft and shown as uploaded.
    assert 'name="f-age" value="12"' in html
    assert 'name="f-date_of_birth-day" value="31"' in html
    assert '<option value="7" selected>Mizan (7)</option>' in html
    assert 'name="f-mobile" value="0700 123 456"' in html
    assert 'value="herat" selected' in html
    assert 'id="id_f-agrees-yes" name="f-agrees" value="yes" checked' in html
    assert 'name="f-children-0-name" value="Omid"' in html
    assert "Already uploaded" in html and "my tazkira.pdf" in html
    draft = Application.objects.get()
    assert draft.is_draft and draft.documents.count() == 1
    assert f'action="/en/applications/{draft.public_id}/edit/"' in html
    assert token in html  # the same key: this page has not been submitted yet


def test_messages_come_in_dari_on_the_dari_page(signed_in: Client, rich: Service) -> None:
    _html, token = _page(signed_in, "/fa/apply/rich-service/")
    response = signed_in.post("/fa/apply/rich-service/", {
        **RICH_POST, "f-full_name": "", "submission_token": token, "action": "submit"})
    html = response.content.decode()
    with translation.override("fa"):
        assert gettext("Answer this question.") in html
        assert gettext("Attach this document.") in html
    assert "Answer this question." not in html


def test_a_date_shown_again_on_a_dari_page_reads_in_dari_digits(signed_in: Client, rich: Service) -> None:
    """A Solar Hijri date typed in Western digits comes back in the page's own digits, and is read again."""
    _html, token = _page(signed_in, "/fa/apply/rich-service/")
    response = signed_in.post("/fa/apply/rich-service/", {
        **RICH_POST, "f-full_name": "", "submission_token": token, "action": "submit"})
    html = response.content.decode()
    assert 'name="f-date_of_birth-day" value="۱۵"' in html and 'name="f-date_of_birth-year" value="۱۳۷۰"' in html
    draft = Application.objects.get()
    response = signed_in.post(f"/fa/applications/{draft.public_id}/edit/", {
        **RICH_POST, "f-date_of_birth-day": "۱۵", "f-date_of_birth-year": "۱۳۷۰", "submission_token": token,
        "action": "submit", "doc-tazkira_copy": pdf()})
    assert response.status_code == 302
    submitted = Application.objects.get(pk=draft.pk)
    assert not submitted.is_draft and submitted.data["date_of_birth"] == "1991-04-04"


def test_a_missing_required_document_stops_the_submission(signed_in: Client, rich: Service) -> None:
    _html, token = _page(signed_in, "/en/apply/rich-service/")
    response = signed_in.post("/en/apply/rich-service/", {**RICH_POST, "submission_token": token,
                                                          "action": "submit"})
    assert response.status_code == 200
    assert "Copy of the Tazkira: Attach this document." in response.content.decode()
    assert Application.objects.get().is_draft


def test_adding_a_row_keeps_everything_and_saves_nothing_new(signed_in: Client, rich: Service) -> None:
    _html, token = _page(signed_in, "/en/apply/rich-service/")
    response = signed_in.post("/en/apply/rich-service/", {**RICH_POST, "submission_token": token,
                                                          "add_row": "children"})
    html = response.content.decode()
    assert 'name="f-children-count" value="2"' in html
    assert 'name="f-children-0-name" value="Omid"' in html and 'name="f-children-1-name" value=""' in html
    assert 'name="f-full_name" value="Ahmad Zia"' in html
    assert "field__error" not in html  # adding a row is not a submission
    assert not Application.objects.exists()
    response = signed_in.post("/en/apply/rich-service/", {**RICH_POST, "submission_token": token,
                                                          "f-children-count": "2", "f-children-1-name": "Mina",
                                                          "remove_row": "children-0"})
    html = response.content.decode()
    assert 'name="f-children-count" value="1"' in html and 'name="f-children-0-name" value="Mina"' in html


# --- drafts ------------------------------------------------------------------------------------

def test_a_draft_is_saved_and_resumed_from_my_applications(signed_in: Client, rich: Service) -> None:
    _html, token = _page(signed_in, "/en/apply/rich-service/")
    response = signed_in.post("/en/apply/rich-service/", {
        **RICH_POST, "f-age": "thirty", "submission_token": token, "action": "save",
        "doc-tazkira_copy": pdf()})
    draft = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/en/applications/{draft.public_id}/edit/"
    assert draft.is_draft and draft.data["full_name"] == "Ahmad Zia" and draft.data["age"] == "thirty"
    assert "Your draft is saved." in signed_in.get(response["Location"]).content.decode()
    mine = signed_in.get("/en/applications/").content.decode()
    assert "Drafts (not sent yet)" in mine and f"/en/applications/{draft.public_id}/edit/" in mine
    html, token = _page(signed_in, f"/en/applications/{draft.public_id}/edit/")
    assert 'name="f-age" value="thirty"' in html and 'name="f-full_name" value="Ahmad Zia"' in html
    assert '<option value="1" selected>Hamal (1)</option>' in html
    assert "Already uploaded" in html
    # A fresh visit to the service's page offers the draft rather than losing it.
    assert f"/en/applications/{draft.public_id}/edit/" in signed_in.get("/en/apply/rich-service/").content.decode()
    # Finished later: the stored document counts.
    response = signed_in.post(f"/en/applications/{draft.public_id}/edit/", {
        **RICH_POST, "submission_token": token, "action": "submit"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert not draft.is_draft and draft.data == RICH_ANSWERS


def test_a_document_can_be_taken_off_a_draft(signed_in: Client, rich: Service,
                                             django_capture_on_commit_callbacks: Any) -> None:
    _html, token = _page(signed_in, "/en/apply/rich-service/")
    signed_in.post("/en/apply/rich-service/", {**RICH_POST, "submission_token": token, "action": "save",
                                               "doc-tazkira_copy": pdf()})
    draft = Application.objects.get()
    document = Document.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(f"/en/applications/{draft.public_id}/edit/", {
            **RICH_POST, "submission_token": token, "remove_document": str(document.public_id)})
    assert response.status_code == 200
    assert not Document.objects.exists()


def test_a_draft_can_be_deleted_after_asking(signed_in: Client, rich: Service) -> None:
    _html, token = _page(signed_in, "/en/apply/rich-service/")
    signed_in.post("/en/apply/rich-service/", {**RICH_POST, "submission_token": token, "action": "save",
                                               "doc-tazkira_copy": pdf()})
    draft = Application.objects.get()
    assert "cannot be undone" in signed_in.get(f"/en/applications/{draft.public_id}/delete/").content.decode()
    response = signed_in.post(f"/en/applications/{draft.public_id}/delete/")
    assert response.status_code == 302
    assert not Application.objects.exists() and not Document.objects.exists()


# --- submitting once ---------------------------------------------------------------------------

def test_posting_the_same_page_twice_files_one_application(signed_in: Client, rich: Service) -> None:
    from khedmat.applications.models import private_storage

    def stored_files() -> set[str]:
        storage = private_storage()
        folders = storage.listdir("applications")[0] if storage.exists("applications") else []
        return {f"{folder}/{name}" for folder in folders for name in storage.listdir(f"applications/{folder}")[1]}

    _html, token = _page(signed_in, "/en/apply/rich-service/")
    post = {**RICH_POST, "submission_token": token, "action": "submit"}
    first = signed_in.post("/en/apply/rich-service/", {**post, "doc-tazkira_copy": pdf()})
    files_after_first = stored_files()
    again = signed_in.post("/en/apply/rich-service/", {**post, "doc-tazkira_copy": pdf()})
    application = Application.objects.get()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"/en/applications/{application.public_id}/submitted/"
    assert application.submitted_at is not None
    assert application.reference == f"MOI-RCH-{solar_hijri_year(application.submitted_at)}-000001"
    assert Document.objects.count() == 1
    assert AuditEvent.objects.filter(action="applications.submitted").count() == 1
    # The second post's file went to storage before its transaction failed: it is removed.
    assert stored_files() == files_after_first


def test_the_confirmation_shows_the_reference_and_deadline(signed_in: Client, rich: Service) -> None:
    _html, token = _page(signed_in, "/fa/apply/rich-service/")
    response = signed_in.post("/fa/apply/rich-service/", {**RICH_POST, "submission_token": token,
                                                          "action": "submit", "doc-tazkira_copy": pdf()})
    application = Application.objects.get()
    html = signed_in.get(response["Location"]).content.decode()
    assert f"{application.reference}" in html
    assert "همه نوع خانه" in html  # the service, in Dari
    with translation.override("fa"):
        assert format_date(application.due_date, with_gregorian=True) in html
        assert format_date(application.submitted_at, with_gregorian=True) in html
        assert "۲۵۰ افغانی" in html  # the official fee
    receipt = signed_in.get(f"/fa/applications/{application.public_id}/receipt/").content.decode()
    assert f"{application.reference}" in receipt and "۲۵۰ افغانی" in receipt and "/fa/status/" in receipt


def test_a_submitted_application_cannot_be_edited_or_deleted(signed_in: Client, rich: Service) -> None:
    _html, token = _page(signed_in, "/en/apply/rich-service/")
    signed_in.post("/en/apply/rich-service/", {**RICH_POST, "submission_token": token, "action": "submit",
                                               "doc-tazkira_copy": pdf()})
    application = Application.objects.get()
    url = f"/en/applications/{application.public_id}/"
    assert signed_in.get(f"{url}edit/")["Location"] == url
    signed_in.post(f"{url}edit/", {**RICH_POST, "f-full_name": "Changed", "submission_token": "x" * 32,
                                   "action": "save", "doc-tazkira_copy": SimpleUploadedFile("a.pdf", b"%PDF-")})
    signed_in.post(f"{url}delete/")
    application.refresh_from_db()
    assert application.data["full_name"] == "Ahmad Zia" and Document.objects.count() == 1


def test_the_form_speaks_pashto(signed_in: Client, rich: Service) -> None:
    html, _token = _page(signed_in, "/ps/apply/rich-service/")
    for text in ("بشپړ نوم", '<option value="1">وری (۱)</option>', "د زېږېدو نېټه", "ننګرهار", "د تذکرې کاپي"):
        assert text in html, text
