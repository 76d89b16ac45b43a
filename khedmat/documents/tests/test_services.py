"""Issuing and revoking, through the real workflow: approval issues the certificate."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from khedmat.accounts.models import User
from khedmat.applications.services import ApplicationError, application_transition
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Service
from khedmat.core.calendar import solar_hijri_year
from khedmat.documents import keystore
from khedmat.documents.models import IssuedDocument, SigningKey
from khedmat.documents.selectors import document_verify
from khedmat.documents.services import DocumentError, document_issue, document_revoke
from khedmat.documents.verifier import Verdict

from .helpers import DARI_ANSWERS, approved, sent

pytestmark = pytest.mark.django_db


def test_approval_issues_the_certificate_once(passport: Service, citizen: User, officer: User,
                                              approver: User) -> None:
    application = approved(passport, citizen, officer, approver)
    document = IssuedDocument.objects.get(application=application)
    year = solar_hijri_year(timezone.localdate())
    assert document.number == f"MOI-C-{year}-000001"
    assert document.kind == "certificate"
    assert document.holder_name == "Ahmad Zia"
    # The passport's validity is the applicant's choice (5 years in PASSPORT_ANSWERS).
    assert document.expires_on == document.issued_on.replace(year=document.issued_on.year + 5)
    assert document.language == "fa"  # the citizen's language, Dari by default
    assert document_issue(application=application) == document  # asking again issues nothing new
    assert IssuedDocument.objects.count() == 1
    assert AuditEvent.objects.filter(action="documents.issued", target_id=application.reference).count() == 1


def test_the_document_states_the_answers_in_three_languages(passport: Service, citizen: User, officer: User,
                                                            approver: User) -> None:
    document = IssuedDocument.objects.get(application=approved(passport, citizen, officer, approver,
                                                               answers=DARI_ANSWERS))
    labels = [fact["label"]["en"] for fact in document.content["facts"]]
    assert labels == ["Holder", "Father's name", "Date of birth", "Validity"]
    birth = document.content["facts"][2]["value"]
    assert birth["en"] == "1 Hamal 1369 (1990-03-21)"
    assert birth["fa"] == "۱ حمل ۱۳۶۹ (۱۹۹۰/۰۳/۲۱)"
    assert document.content["facts"][3]["value"]["ps"] == "۱۰ کاله"
    assert document.expires_on == document.issued_on.replace(year=document.issued_on.year + 10)


def test_states_that_do_not_issue_issue_nothing(passport: Service, citizen: User, officer: User) -> None:
    application = sent(passport, citizen)
    application = application_transition(application=application, actor=officer, transition="start_review",
                                         expected_state="submitted")
    application_transition(application=application, actor=officer, transition="reject", expected_state="in_review",
                           reason_code="not_eligible")
    assert not IssuedDocument.objects.exists()


def test_the_signed_payload_verifies_online(passport: Service, citizen: User, officer: User, approver: User) -> None:
    document = IssuedDocument.objects.get(application=approved(passport, citizen, officer, approver))
    outcome = document_verify(document.payload)
    assert outcome.verdict == Verdict.VALID
    assert outcome.result.content["n"] == document.number
    assert outcome.result.content["h"] == "Ahmad Zia"
    assert outcome.document == document
    assert document.expires_on is not None
    later = document.expires_on + datetime.timedelta(days=1)
    assert document_verify(document.payload, today=later).verdict == Verdict.EXPIRED


def test_revocation_shows_at_once_with_date_and_reason(passport: Service, citizen: User, officer: User,
                                                       approver: User) -> None:
    document = IssuedDocument.objects.get(application=approved(passport, citizen, officer, approver))
    document_revoke(document=document, actor=officer, reason="  Issued in error:   wrong father's name ")
    outcome = document_verify(document.payload)
    assert outcome.verdict == Verdict.REVOKED
    assert outcome.result.revocation is not None
    assert outcome.result.revocation.reason == "Issued in error: wrong father's name"
    assert outcome.result.revocation.revoked_on == timezone.localdate()
    event = AuditEvent.objects.get(action="documents.revoked")
    assert event.actor == officer and event.subject == citizen
    with pytest.raises(DocumentError) as refusal:
        document_revoke(document=document, actor=approver, reason="again")
    assert refusal.value.code == "already_revoked"


def test_the_holder_is_told_of_a_revocation_by_sms_in_their_language(
        passport: Service, citizen: User, officer: User, approver: User,
        django_capture_on_commit_callbacks: Any) -> None:
    from khedmat.notifications.models import Message

    document = IssuedDocument.objects.get(application=approved(passport, citizen, officer, approver))
    citizen.preferred_language = "en"
    citizen.save(update_fields=["preferred_language"])
    with django_capture_on_commit_callbacks(execute=True):
        document_revoke(document=document, actor=officer, reason="Issued on a forged Tazkira.")
    sms = Message.objects.get(template="document.revoked")
    assert sms.to == citizen.phone_number
    assert sms.body == (f"Asan Khedmat: your document {document.number} was revoked. "
                        "Reason: Issued on a forged Tazkira.")


def test_only_the_issuing_agency_revokes_and_with_a_reason(passport: Service, citizen: User, officer: User,
                                                           approver: User, foreign_officer: User) -> None:
    document = IssuedDocument.objects.get(application=approved(passport, citizen, officer, approver))
    for actor, reason, code in ((foreign_officer, "fraud", "forbidden"), (citizen, "mine", "forbidden"),
                                (officer, "   ", "reason_needed")):
        with pytest.raises(DocumentError) as refusal:
            document_revoke(document=document, actor=actor, reason=reason)
        assert refusal.value.code == code
    assert document_verify(document.payload).verdict == Verdict.VALID


def test_rotation_keeps_old_documents_verifying(passport: Service, citizen: User, other_citizen: User,
                                                officer: User, approver: User) -> None:
    first = IssuedDocument.objects.get(application=approved(passport, citizen, officer, approver))
    new_key = keystore.signing_key_create()
    second = IssuedDocument.objects.get(application=approved(passport, other_citizen, officer, approver, key="k-2"))
    assert first.signing_key.kid != second.signing_key.kid == new_key.kid
    assert SigningKey.objects.get(kid=first.signing_key.kid).status == SigningKey.Status.RETIRED
    assert document_verify(first.payload).verdict == Verdict.VALID
    assert document_verify(second.payload).verdict == Verdict.VALID
    assert {key["kid"]: key["status"] for key in keystore.jwks()["keys"]} == {
        first.signing_key.kid: "retired", new_key.kid: "active"}


@override_settings(DOCUMENTS_AUTO_KEYGEN=False)
def test_without_a_key_approval_is_refused_and_nothing_changes(passport: Service, citizen: User, officer: User,
                                                               approver: User) -> None:
    with pytest.raises(keystore.KeyStoreError):
        approved(passport, citizen, officer, approver)
    assert not IssuedDocument.objects.exists()
    application = citizen.applications.get()
    assert application.state == "awaiting_approval"


def test_a_key_held_in_a_file_signs(tmp_path: object, passport: Service, citizen: User, officer: User,
                                    approver: User) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "signing.pem"
    private_key = keystore.private_key_pem_write(path)
    with override_settings(DOCUMENTS_SIGNING_KEY_FILE=str(path), DOCUMENTS_AUTO_KEYGEN=False):
        document = IssuedDocument.objects.get(application=approved(passport, citizen, officer, approver))
    row = document.signing_key
    assert row.source == SigningKey.Source.FILE and row.private_key == ""
    assert row.public_key == keystore._public_b64(private_key.public_key())
    assert document_verify(document.payload).verdict == Verdict.VALID


def test_transition_refusals_still_refuse(passport: Service, citizen: User, officer: User) -> None:
    application = sent(passport, citizen)
    with pytest.raises(ApplicationError):
        application_transition(application=application, actor=officer, transition="approve",
                               expected_state=application.state)
    assert not IssuedDocument.objects.exists()
