"""Downloading a file's documents: the applicant and the responsible agency's staff only (404 for
anyone else), as an attachment of the stored type, and every staff download on the record."""

from __future__ import annotations

import pytest
from django.test import Client

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.applications.models import Application, Document
from khedmat.applications.services import application_submit
from khedmat.applications.services.drafts import application_draft_store
from khedmat.applications.uploads import megabytes, upload_check
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Agency, Service
from khedmat.catalog.tests.factories import verified_client

from .citizen_helpers import PDF_BYTES, pdf
from .conftest import PASSPORT_ANSWERS


@pytest.fixture
def filed(passport: Service, citizen: User) -> tuple[Application, Document]:
    draft = application_draft_store(applicant=citizen, service=passport, data=PASSPORT_ANSWERS, uploads=[
        ("tazkira_copy", upload_check(pdf("<my> tazkira.html"), max_bytes=megabytes(5)))])
    application = application_submit(application=draft, idempotency_key="k", actor=citizen)
    return application, Document.objects.get(application=application)


def _url(application: Application, document: Document) -> str:
    return f"/en/applications/{application.public_id}/documents/{document.public_id}/"


def _downloads() -> int:
    return AuditEvent.objects.filter(action="applications.document_downloaded").count()


def test_the_applicant_downloads_their_document(client: Client, citizen: User,
                                                filed: tuple[Application, Document]) -> None:
    application, document = filed
    client.force_login(citizen)
    response = client.get(_url(application, document))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="_my_ tazkira.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert _downloads() == 0  # one's own download is nobody else's look at the file


def test_an_officer_of_the_agency_downloads_and_it_is_recorded(officer: User, citizen: User,
                                                               filed: tuple[Application, Document]) -> None:
    application, document = filed
    response = verified_client(officer).get(_url(application, document))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="applications.document_downloaded")
    assert event.actor == officer and event.subject == citizen
    assert event.target_id == str(document.public_id)
    assert event.data["application"] == application.reference and event.data["document_code"] == "tazkira_copy"


@pytest.mark.parametrize("role", [Role.APPROVER, Role.AGENCY_ADMIN])
def test_the_agencys_approvers_and_administrators_download_too(moi: Agency, filed: tuple[Application, Document],
                                                               role: str) -> None:
    staff = staff_user_create(username=f"{role}.moi", password="pass-for-tests-1", role=role, agency=moi)
    assert verified_client(staff).get(_url(*filed)).status_code == 200
    assert _downloads() == 1


def test_no_one_else_gets_the_document(client: Client, other_citizen: User, foreign_officer: User, officer: User,
                                       filed: tuple[Application, Document]) -> None:
    url = _url(*filed)
    # Not signed in: to the sign-in page, and nothing is served.
    response = client.get(url)
    assert response.status_code == 302 and "/account/sign-in/" in response["Location"]
    # Another citizen, and an officer of another agency: as if it did not exist.
    client.force_login(other_citizen)
    assert client.get(url).status_code == 404
    assert verified_client(foreign_officer).get(url).status_code == 404
    # The agency's own officer before giving the second factor.
    unverified = Client()
    unverified.force_login(officer)
    assert unverified.get(url).status_code == 404
    assert _downloads() == 0


def test_a_document_is_found_only_under_its_own_file(client: Client, citizen: User, passport: Service,
                                                     filed: tuple[Application, Document]) -> None:
    _application, document = filed
    other = application_draft_store(applicant=citizen, service=passport, data={})
    client.force_login(citizen)
    assert client.get(_url(other, document)).status_code == 404
