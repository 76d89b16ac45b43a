"""Issuing a corrected document anew: the old one revoked with its reason, the new one signed,
both shown on the file; the verify page says the old one was replaced (issue 10)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from khedmat.accounts.models import User
from khedmat.applications.models import FieldCorrection
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Service
from khedmat.catalog.tests.factories import verified_client
from khedmat.documents.models import IssuedDocument, Revocation
from khedmat.documents.services import DocumentError, document_issue, document_reissue, document_revoke

from .helpers import approved

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(passport: Service, citizen: User, officer: User, approver: User) -> IssuedDocument:
    return IssuedDocument.objects.get(application=approved(passport, citizen, officer, approver))


def _file_page(user: User, document: IssuedDocument) -> str:
    url = reverse("applications:office_file", kwargs={"public_id": document.application.public_id})
    return verified_client(user).get(url).content.decode()


def test_a_corrected_document_replaces_the_revoked_one(document: IssuedDocument, approver: User,
                                                        officer: User) -> None:
    # The wrong date of birth was printed: the officer revokes first, as happens today.
    document_revoke(document=document, actor=officer, reason="Wrong date of birth")
    page = _file_page(approver, document)
    assert 'id="reissue"' in page  # the file no longer stays "Approved" with no way on
    response = verified_client(approver).post(reverse("documents:reissue", args=[document.public_id]), {
        "reason": "Date of birth corrected from the Tazkira", "f-full_name": "Ahmad Zia",
        "f-father_name": "Mohammad Nabi", "f-date_of_birth-day": "12", "f-date_of_birth-month": "4",
        "f-date_of_birth-year": "1370", "f-validity_years": "5"})
    assert response.status_code == 302
    new = IssuedDocument.objects.get(replaces=document)
    assert new.number != document.number and new.application_id == document.application_id
    assert not Revocation.objects.filter(document=new).exists()
    assert Revocation.objects.get(document=document).reason == "Wrong date of birth"  # its first reason kept
    document.application.refresh_from_db()
    assert document.application.data["date_of_birth"] == "1991-07-03"
    [change] = FieldCorrection.objects.filter(application=document.application)
    assert (change.old_value, change.new_value, change.corrected_by) == ("1990-03-21", "1991-07-03", approver)
    assert "12 Saratan 1370" in str(new.content) or "1991" in str(new.content)
    assert AuditEvent.objects.filter(action="documents.reissued", data__replaces=document.number).exists()

    page = _file_page(approver, document)
    assert new.number in page and document.number in page and "Wrong date of birth" in page

    # The old code now says revoked and names its replacement; the new one is valid.
    old = Client().get(f"/en/verify/?p={quote(document.payload)}").content.decode()
    assert "Revoked</h2>" in old and new.number in old and "corrected document was issued in its place" in old
    assert "Valid</h2>" in Client().get(f"/en/verify/?p={quote(new.payload)}").content.decode()
    # Entering the issuing state again issues nothing more: the current document is the new one.
    assert document_issue(application=document.application) == new


def test_reissuing_revokes_the_old_one_if_needed_and_is_idempotent(document: IssuedDocument,
                                                                   approver: User) -> None:
    new = document_reissue(document=document, actor=approver, reason="Father's name misspelt",
                           corrections={"father_name": "Mohammad Nabi Khan"})
    assert Revocation.objects.get(document=document).reason == "Father's name misspelt"
    assert document_reissue(document=document, actor=approver, reason="again") == new  # a second click
    assert IssuedDocument.objects.filter(application=document.application).count() == 2
    # Correcting the new one again makes a chain.
    third = document_reissue(document=new, actor=approver, reason="Validity corrected")
    assert third.replaces == new and Revocation.objects.filter(document=new).exists()


def test_only_the_issuing_role_of_the_agency_may_reissue(document: IssuedDocument, officer: User,
                                                         foreign_officer: User, citizen: User) -> None:
    for actor in (officer, foreign_officer, citizen):
        with pytest.raises(DocumentError) as refused:
            document_reissue(document=document, actor=actor, reason="No")
        assert refused.value.code == "forbidden"
    assert 'id="reissue"' not in _file_page(officer, document)  # an officer reviews; an approver issues
    response = verified_client(officer).post(reverse("documents:reissue", args=[document.public_id]), {
        "reason": "No", "f-full_name": "Someone Else"})
    assert response.status_code == 302
    assert _documents_of(document) == 1
    document.application.refresh_from_db()
    assert document.application.data["full_name"] == "Ahmad Zia"
    # Another agency's staff do not even find it.
    assert verified_client(foreign_officer).post(reverse("documents:reissue", args=[document.public_id]),
                                                 {"reason": "No"}).status_code == 404


def _documents_of(document: IssuedDocument) -> int:
    return IssuedDocument.objects.filter(application=document.application).count()


def test_a_reissue_needs_a_reason(document: IssuedDocument, approver: User) -> None:
    with pytest.raises(DocumentError) as refused:
        document_reissue(document=document, actor=approver, reason="   ")
    assert refused.value.code == "reason_needed"
    assert not Revocation.objects.exists() and IssuedDocument.objects.count() == 1
