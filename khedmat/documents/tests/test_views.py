"""The verify page, the JWK set, the PDF download, the file pages and the revoke button."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from khedmat.accounts.models import User
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Service
from khedmat.catalog.tests.factories import verified_client
from khedmat.documents.models import IssuedDocument, Revocation
from khedmat.documents.services import document_revoke

from .helpers import approved

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(passport: Service, citizen: User, officer: User, approver: User) -> IssuedDocument:
    return IssuedDocument.objects.get(application=approved(passport, citizen, officer, approver))


def verify_page(code: str, language: str = "en") -> str:
    response = Client().get(f"/{language}/verify/?p={quote(code)}")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    return response.content.decode()


def test_the_verify_page_without_a_code_offers_the_form() -> None:
    html = Client().get("/en/verify/").content.decode()
    assert 'name="p"' in html and "Check a document" in html and "Valid" not in html


def test_a_valid_code_says_so_and_what_it_states(document: IssuedDocument) -> None:
    html = verify_page(document.payload)
    assert "<h2 id=\"verdict-heading\">Valid</h2>" in html
    assert document.number in html and "Ahmad Zia" in html and "Mohammad Nabi" in html
    assert "Ministry of Interior Affairs" in html and "Certificate" in html


def test_the_url_from_the_qr_code_works_pasted_and_opened(document: IssuedDocument) -> None:
    url = f"http://127.0.0.1:8000/verify/?p={document.payload}"
    assert "Valid</h2>" in verify_page(url)
    response = Client().get(f"/verify/?p={document.payload}", HTTP_ACCEPT_LANGUAGE="fa")
    assert response.status_code == 302
    assert response["Location"] == f"/fa/verify/?p={document.payload}"


def test_an_altered_code_is_called_forged_and_its_claims_are_not_repeated(document: IssuedDocument) -> None:
    version, kid, payload, signature = document.payload.split(".")
    from khedmat.documents import codec

    altered = codec.b64url_encode(codec.b64url_decode(payload).replace(b"Ahmad Zia", b"Ahmad Zib"))
    html = verify_page(".".join((version, kid, altered, signature)))
    assert "Not genuine: forged or altered" in html
    assert "Ahmad Zib" not in html and "Ahmad Zia" not in html


def test_a_revoked_document_shows_date_and_reason_at_once(document: IssuedDocument, officer: User) -> None:
    document_revoke(document=document, actor=officer, reason="Issued in error")
    html = verify_page(document.payload)
    assert "Revoked</h2>" in html and "Issued in error" in html


def test_garbage_is_not_a_document_code() -> None:
    assert "Not a document code" in verify_page("hello")


def test_the_verify_page_in_dari_is_right_to_left(document: IssuedDocument) -> None:
    html = verify_page(document.payload, "fa")
    assert 'dir="rtl"' in html and document.number in html


def test_jwks_publishes_the_public_keys_only(document: IssuedDocument) -> None:
    response = Client().get("/.well-known/jwks.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    keys = response.json()["keys"]
    assert [key["kid"] for key in keys] == [document.signing_key.kid]
    assert keys[0]["kty"] == "OKP" and keys[0]["crv"] == "Ed25519" and keys[0]["use"] == "sig"
    assert "d" not in keys[0] and keys[0]["status"] == "active"


def test_the_holder_downloads_the_pdf_and_it_is_audited(document: IssuedDocument, citizen: User) -> None:
    client = Client()
    client.force_login(citizen)
    response = client.get(reverse("documents:pdf", kwargs={"public_id": document.public_id}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f'filename="{document.number}.pdf"' in response["Content-Disposition"]
    assert AuditEvent.objects.filter(action="documents.downloaded", actor=citizen).count() == 1


def test_the_agency_downloads_others_get_404(document: IssuedDocument, officer: User, foreign_officer: User,
                                             other_citizen: User) -> None:
    url = reverse("documents:pdf", kwargs={"public_id": document.public_id})
    assert verified_client(officer).get(url).status_code == 200
    assert verified_client(foreign_officer).get(url).status_code == 404
    stranger = Client()
    stranger.force_login(other_citizen)
    assert stranger.get(url).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/account/" in anonymous["Location"]
    assert AuditEvent.objects.filter(action="documents.downloaded").count() == 1


def test_the_file_pages_offer_the_document(document: IssuedDocument, citizen: User, officer: User) -> None:
    client = Client()
    client.force_login(citizen)
    html = client.get(document.application.get_absolute_url()).content.decode()
    assert "Download your document" in html and str(document.public_id) in html
    office = verified_client(officer).get(
        reverse("applications:office_file", kwargs={"public_id": document.application.public_id})).content.decode()
    assert "Revoke the document" in office and document.number in office


def test_an_officer_revokes_from_the_file_page(document: IssuedDocument, officer: User) -> None:
    url = reverse("documents:revoke", kwargs={"public_id": document.public_id})
    response = verified_client(officer).post(url, {"reason": "Wrong father's name"})
    assert response.status_code == 302 and "#issued-document" in response["Location"]
    assert Revocation.objects.get(document=document).reason == "Wrong father's name"


def test_revoking_needs_a_reason_and_the_right_agency(document: IssuedDocument, officer: User,
                                                      foreign_officer: User) -> None:
    url = reverse("documents:revoke", kwargs={"public_id": document.public_id})
    assert verified_client(foreign_officer).post(url, {"reason": "x"}).status_code == 404
    response = verified_client(officer).post(url, {"reason": " "}, follow=True)
    assert "Give the reason for revoking" in response.content.decode()
    assert not Revocation.objects.exists()


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_verify_page_stays_within_the_page_weight_budget(document: IssuedDocument, language: str) -> None:
    from tests.test_page_weight import page_weight

    weight = page_weight.measure_page(Client(), f"/{language}/verify/?p={document.payload}")
    assert weight.assets, "the page links its stylesheet and script"
    assert weight.within_budget, page_weight.format_table([weight])
