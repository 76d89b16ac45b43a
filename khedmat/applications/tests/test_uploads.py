"""Uploads: the type decided by the content, the size limit enforced while reading, and files
kept under generated names in private storage with their hash."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from khedmat.accounts.models import User
from khedmat.applications.models import Application, Document
from khedmat.applications.services.drafts import application_draft_store
from khedmat.applications.uploads import (
    UploadRefused,
    clean_original_name,
    download_name,
    megabytes,
    refused_uploads,
    sniff_content_type,
    upload_check,
    upload_limits_install,
)
from khedmat.catalog.models import Agency, Service

from .citizen_helpers import JPEG_BYTES, PDF_BYTES, PNG_BYTES, RICH_POST, pdf, rich_service, token_of


@pytest.mark.parametrize(("content", "expected"), [
    (PDF_BYTES, "application/pdf"), (JPEG_BYTES, "image/jpeg"), (PNG_BYTES, "image/png"),
    (b"<html><script>alert(1)</script>", None), (b"MZ\x90\x00 a Windows program", None), (b"GIF89a", None),
])
def test_the_type_is_decided_by_the_first_bytes(content: bytes, expected: str | None) -> None:
    assert sniff_content_type(content) == expected


def test_a_file_named_pdf_that_is_not_one_is_refused() -> None:
    fake = SimpleUploadedFile("passport.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    with pytest.raises(UploadRefused) as refused:
        upload_check(fake, max_bytes=megabytes(5))
    assert refused.value.code == "bad_type"


def test_a_real_pdf_with_any_name_is_accepted_as_what_it_is() -> None:
    checked = upload_check(SimpleUploadedFile("scan.jpg", PDF_BYTES, content_type="image/jpeg"),
                           max_bytes=megabytes(5))
    assert checked.content_type == "application/pdf"
    assert checked.size == len(PDF_BYTES)
    assert checked.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()


def test_too_big_and_empty_files_are_refused() -> None:
    with pytest.raises(UploadRefused) as refused:
        upload_check(pdf(content=PDF_BYTES + b"0" * megabytes(1)), max_bytes=megabytes(1))
    assert refused.value.code == "too_big"
    assert "1 MB" in refused.value.message
    with pytest.raises(UploadRefused) as refused:
        upload_check(SimpleUploadedFile("empty.pdf", b""), max_bytes=megabytes(1))
    assert refused.value.code == "empty"


def test_the_size_is_counted_while_reading_not_taken_from_the_upload() -> None:
    lying = pdf(content=PDF_BYTES + b"0" * 2048)
    lying.size = 10  # a size that does not match the content is not trusted
    with pytest.raises(UploadRefused):
        upload_check(lying, max_bytes=1024)


def test_names_are_kept_only_as_data() -> None:
    assert clean_original_name("../../etc/passwd") == "passwd"
    assert clean_original_name("C:\\Users\\me\\تذکره.pdf") == "تذکره.pdf"
    assert clean_original_name("a\x00b<script>.pdf") == "a_b_script_.pdf"
    assert download_name("photo.html", "application/pdf") == "photo.pdf"
    assert download_name("", "image/png") == "document.png"


def test_a_kept_file_has_a_generated_name_in_private_storage(moi: Agency, citizen: User) -> None:
    service = rich_service(moi)
    draft = application_draft_store(applicant=citizen, service=service, data={},
                                     uploads=[("tazkira_copy", upload_check(pdf("my tazkira.pdf"),
                                                                            max_bytes=megabytes(1)))])
    document = Document.objects.get(application=draft)
    assert document.original_name == "my tazkira.pdf"
    assert "tazkira" not in document.file.name and document.file.name.startswith(f"applications/{draft.public_id}/")
    # In the private storage's folder (a temporary one in tests), never under a public URL's folder.
    private_root = Path(str(settings.PRIVATE_STORAGE_ROOT))
    assert Path(document.file.path).is_relative_to(private_root)
    assert not Path(document.file.path).is_relative_to(Path(settings.MEDIA_ROOT))
    with document.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == document.sha256
    assert document.content_type == "application/pdf" and document.uploaded_by == citizen


def test_a_new_file_for_a_document_replaces_the_earlier_one_on_a_draft(moi: Agency, citizen: User,
                                                                      django_capture_on_commit_callbacks: Any) -> None:
    service = rich_service(moi)
    first = upload_check(pdf("first.pdf"), max_bytes=megabytes(1))
    draft = application_draft_store(applicant=citizen, service=service, data={}, uploads=[("tazkira_copy", first)])
    old_name = Document.objects.get(application=draft).file.name
    second = upload_check(SimpleUploadedFile("second.png", PNG_BYTES), max_bytes=megabytes(1))
    with django_capture_on_commit_callbacks(execute=True):
        application_draft_store(applicant=citizen, service=service, data={}, application=draft,
                                uploads=[("tazkira_copy", second)])
    assert list(Document.objects.filter(application=draft).values_list("original_name", flat=True)) == ["second.png"]
    assert not Document._meta.get_field("file").storage.exists(old_name)


# --- through the application page --------------------------------------------------------------

def _post(client: Client, service: Service, **files: object) -> Any:
    page = client.get(f"/en/apply/{service.slug}/")
    return client.post(f"/en/apply/{service.slug}/", {
        **RICH_POST, "submission_token": token_of(page.content.decode()), "action": "submit", **files})


def test_a_wrong_type_is_refused_on_the_page_even_with_a_pdf_name(client: Client, moi: Agency,
                                                                  citizen: User) -> None:
    service = rich_service(moi)
    client.force_login(citizen)
    response = _post(client, service, **{"doc-tazkira_copy": SimpleUploadedFile(
        "tazkira.pdf", b"#!/bin/sh\necho hi", content_type="application/pdf")})
    assert response.status_code == 200
    html = response.content.decode()
    assert "This file is not a PDF, JPEG or PNG, whatever its name says." in html
    assert not Document.objects.exists()
    assert Application.objects.get().is_draft


def test_a_file_over_its_documents_limit_is_refused_on_the_page(client: Client, moi: Agency,
                                                                citizen: User) -> None:
    service = rich_service(moi)  # the Tazkira copy is limited to 1 MB
    client.force_login(citizen)
    response = _post(client, service, **{"doc-tazkira_copy": pdf(content=PDF_BYTES + b"0" * megabytes(1))})
    assert response.status_code == 200
    assert "This file is too large: the limit is 1 MB." in response.content.decode()
    assert not Document.objects.exists()


def test_a_file_in_an_unknown_field_is_ignored(client: Client, moi: Agency, citizen: User) -> None:
    service = rich_service(moi)
    client.force_login(citizen)
    response = _post(client, service, **{"doc-tazkira_copy": pdf(), "doc-something": pdf("extra.pdf")})
    assert response.status_code == 302
    assert list(Document.objects.values_list("document_code", flat=True)) == ["tazkira_copy"]


def test_the_limit_is_enforced_while_the_request_streams_in(rf: Any) -> None:
    request = rf.post("/en/apply/x/", {
        "f-full_name": "Ahmad", "small": pdf("small.pdf"), "big": pdf("big.pdf", PDF_BYTES + b"0" * 5000),
        "stray": pdf("stray.pdf"),
    })
    upload_limits_install(request, {"small": 1024, "big": 1024})
    assert request.POST["f-full_name"] == "Ahmad"
    assert sorted(request.FILES) == ["small"]
    assert request.FILES["small"].read() == PDF_BYTES
    assert refused_uploads(request) == {"big": "too_big", "stray": "unexpected"}
