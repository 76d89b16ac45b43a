"""“Who opened my file”: the citizen sees each look at their file by role and office, never by name."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.applications.models import Application
from khedmat.applications.selectors.access_log import access_events
from khedmat.applications.services import application_draft_save, application_submit, application_transition
from khedmat.applications.services.documents import document_download_record
from khedmat.applications.services.drafts import application_draft_store
from khedmat.applications.uploads import megabytes, upload_check
from khedmat.audit.services import audit_record
from khedmat.catalog.models import Agency, Service
from khedmat.catalog.tests.factories import verified_client
from khedmat.centers.models import Center
from khedmat.centers.services import center_offer_services, center_upsert

from .conftest import PASSPORT_ANSWERS


@pytest.fixture
def named_officer(moi: Agency) -> User:
    return staff_user_create(username="karimi", password="pass-for-tests-1", role=Role.OFFICER, agency=moi,
                             full_name="Farid Karimi")


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def submitted(passport: Service, citizen: User) -> Application:
    scan = upload_check(SimpleUploadedFile("tazkira.pdf", PDF), max_bytes=megabytes(1))
    draft = application_draft_store(applicant=citizen, service=passport, data=PASSPORT_ANSWERS,
                                    uploads=[("tazkira_copy", scan)])
    return application_submit(application=draft, idempotency_key="access-log-1", actor=citizen)


def _open_file(application: Application, officer: User) -> None:
    """What the back office records when an officer opens a file."""
    audit_record(action="applications.file_opened", target_type="application", target_id=application.reference,
                 actor=officer, subject=application.applicant, reason="Working the file")


def _citizen_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_officers_opening_shows_role_and_agency_not_the_name(submitted: Application, named_officer: User,
                                                                 citizen: User) -> None:
    _open_file(submitted, named_officer)
    page = _citizen_client(citizen).get(
        reverse("applications:access_log", kwargs={"public_id": submitted.public_id}))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Agency officer" in text
    assert "Ministry of Interior Affairs" in text
    assert "Opened your file" in text
    assert "Working the file" in text
    assert "Karimi" not in text and "karimi" not in text


def test_the_citizen_sees_an_officer_open_the_file_in_the_back_office(submitted: Application, named_officer: User,
                                                                       citizen: User) -> None:
    opened = verified_client(named_officer).get(
        reverse("applications:office_file", kwargs={"public_id": submitted.public_id}))
    assert opened.status_code == 200
    page = _citizen_client(citizen).get(submitted.get_absolute_url())
    text = page.content.decode()
    assert "Who filed and who opened your file" in text
    assert "Opened your file" in text and "Agency officer" in text and "Ministry of Interior Affairs" in text
    assert "Karimi" not in text


def test_events_are_newest_first_and_in_plain_words(submitted: Application, named_officer: User,
                                                    approver: User) -> None:
    _open_file(submitted, named_officer)
    application_transition(application=submitted, actor=named_officer, transition="start_review",
                           expected_state="submitted")
    document_download_record(document=submitted.documents.get(), actor=approver)
    document_download_record(document=submitted.documents.get(), actor=submitted.applicant)  # not recorded
    entries = access_events(submitted)
    assert [entry.what for entry in entries] == [
        "downloaded a document from your file", "started reviewing the file", "opened your file",
        "recorded your payment", "submitted the application",  # the fee, paid as sent (conftest)
    ]
    assert entries[0].who == "Agency approver"
    assert entries[-1].who == "You" and entries[-1].where == ""


def test_a_step_the_service_names_itself_is_told_by_the_state_it_led_to(submitted: Application,
                                                                         named_officer: User) -> None:
    audit_record(action="applications.send_to_archive", target_type="application", target_id=submitted.reference,
                 actor=named_officer, subject=submitted.applicant, data={"from": "submitted", "to": "in_review"})
    assert access_events(submitted)[0].what == "moved the file to “In review”"


def test_only_this_files_events_of_this_applicant_are_listed(passport: Service, submitted: Application,
                                                              other_citizen: User, named_officer: User) -> None:
    other_draft = application_draft_save(applicant=other_citizen, service=passport, data=PASSPORT_ANSWERS)
    other = application_submit(application=other_draft, idempotency_key="other", actor=other_citizen)
    _open_file(other, named_officer)
    assert [entry.what for entry in access_events(submitted)] == [
        "recorded your payment", "submitted the application"]  # the fee, paid as sent (conftest)


def test_the_record_costs_a_fixed_number_of_queries(submitted: Application, named_officer: User,
                                                    foreign_officer: User, django_assert_max_num_queries) -> None:
    for _ in range(5):
        _open_file(submitted, named_officer)
        _open_file(submitted, foreign_officer)
    application = Application.objects.select_related("service_version").get(pk=submitted.pk)
    with django_assert_max_num_queries(3):  # the documents, the events, the agencies they name
        entries = access_events(application)
    assert {entry.where for entry in entries if not entry.by_applicant and entry.where} == {
        "Ministry of Interior Affairs", "Ministry of Finance"}


def test_a_citizen_cannot_see_another_citizens_access_record(submitted: Application, other_citizen: User,
                                                              named_officer: User) -> None:
    _open_file(submitted, named_officer)
    url = reverse("applications:access_log", kwargs={"public_id": submitted.public_id})
    assert _citizen_client(other_citizen).get(url).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and reverse("accounts:login") in anonymous["Location"]


def test_the_access_record_is_shown_in_dari_with_solar_hijri_dates(submitted: Application, named_officer: User,
                                                                    citizen: User) -> None:
    _open_file(submitted, named_officer)
    page = _citizen_client(citizen).get(
        reverse("applications:access_log", kwargs={"public_id": submitted.public_id}).replace("/en/", "/fa/"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "وزارت امور داخله" in text
    assert "۱۴" in text  # the year, in Eastern digits


def test_a_file_filed_at_a_center_says_so(passport: Service, citizen: User) -> None:
    names = {"en": "Kabul Center", "fa": "مرکز کابل", "ps": "د کابل مرکز"}
    center: Center = center_upsert(code="KBL", slug="kabul", name=names, city=names, address=names,
                                   opens_at=time(8), closes_at=time(16))
    center_offer_services(center=center, services=[passport])
    operator = staff_user_create(username="operator.kbl", password="pass-for-tests-1", role=Role.OPERATOR,
                                 center=center, full_name="Nadia Operator")
    draft = application_draft_save(applicant=citizen, service=passport, data=PASSPORT_ANSWERS, filed_by=operator,
                                   channel="center")
    application = application_submit(application=draft, idempotency_key="center-1", actor=operator)
    page = _citizen_client(citizen).get(
        reverse("applications:access_log", kwargs={"public_id": application.public_id}))
    text = page.content.decode()
    assert "Filed on your behalf by a center operator of Kabul Center" in text
    assert "Center operator" in text and "Nadia" not in text


def test_repeated_openings_in_one_sitting_are_one_line(submitted: Application, named_officer: User) -> None:
    for _ in range(3):
        _open_file(submitted, named_officer)
    openings = [entry for entry in access_events(submitted) if entry.what.startswith("opened")]
    assert len(openings) == 1
    assert openings[0].times == 3


def test_openings_hours_apart_stay_separate(submitted: Application, named_officer: User,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime

    from django.utils import timezone

    now = timezone.now()
    monkeypatch.setattr("django.utils.timezone.now", lambda: now - datetime.timedelta(hours=3))
    _open_file(submitted, named_officer)  # that morning
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    _open_file(submitted, named_officer)
    openings = [entry for entry in access_events(submitted) if entry.what.startswith("opened")]
    assert [entry.times for entry in openings] == [1, 1]


def test_each_line_offers_a_proof_the_citizen_can_check_offline(submitted: Application, named_officer: User,
                                                                citizen: User, other_citizen: User) -> None:
    """The proof names the role, the agency, the action and the reason, never who personally
    acted or from where; it checks out against the signed checkpoint without the platform."""
    import json
    import re
    from html import unescape

    from khedmat.audit import offline
    from khedmat.audit.services import audit_checkpoint_create

    for _ in range(2):
        _open_file(submitted, named_officer)
    audit_checkpoint_create()
    client = _citizen_client(citizen)
    page = client.get(reverse("applications:access_log", kwargs={"public_id": submitted.public_id}))
    links = [unescape(link) for link in re.findall(r'href="(/en/audit/proof/\?[^"]+)"', page.content.decode())]
    opening = next(link for link in links if link.count("e=") == 2)  # the two openings are one line
    response = client.get(opening)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    bundle = json.loads(response.content)
    assert offline.verify_proof(bundle)[1] and all(verdict.holds for verdict in offline.verify_proof(bundle)[1])
    assert {proof["event"]["actor_role"] for proof in bundle["proofs"]} == {"officer"}
    assert {proof["event"]["reason"] for proof in bundle["proofs"]} == {"Working the file"}
    text = response.content.decode()
    assert "karimi" not in text.lower() and f'"actor": {named_officer.pk}' not in text and "ip_address" not in text
    # A changed word in the proof file no longer checks out.
    bundle["proofs"][0]["event"]["reason"] = "Routine check"
    assert not offline.verify_proof(bundle)[1][0].holds
    # Nobody else gets a proof of these events, and a mangled link is told so.
    assert _citizen_client(other_citizen).get(opening).status_code == 404
    assert Client().get(opening).status_code == 302
    assert client.get("/en/audit/proof/?e=abc").status_code == 400
    assert client.get("/en/audit/proof/").status_code == 400
