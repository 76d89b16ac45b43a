"""Uploads work on storage no web node holds on its disk: an applicant's document is stored,
streamed back and deleted through the Storage API only, in an S3 bucket (moto) as in a folder;
PRIVATE_STORAGE_URL=s3://bucket/prefix configures the bucket (docs/scaling.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import boto3
import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.test import Client, override_settings
from moto import mock_aws

from khedmat.accounts.models import User
from khedmat.applications.models import Application, Document
from khedmat.applications.services import application_submit
from khedmat.applications.services.drafts import application_draft_store
from khedmat.applications.uploads import megabytes, upload_check
from khedmat.catalog.models import Service
from khedmat.core.storage import StorageUrlError, s3_private_storage

from .citizen_helpers import PDF_BYTES, pdf
from .conftest import PASSPORT_ANSWERS

BUCKET = "khedmat-test-uploads"


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The "private" storage in an S3 bucket (moto, in process). The document field took its
    storage when the model loaded, as in production after the settings: it is swapped here."""
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        entry = s3_private_storage(f"s3://{BUCKET}/uploads/", region="us-east-1", access_key="testing",
                                   secret_key="testing")
        with override_settings(STORAGES={**settings.STORAGES, "private": entry}):
            # S3Storage has no local path: any code asking for one (FieldFile.path) would fail.
            monkeypatch.setattr(Document._meta.get_field("file"), "storage", storages["private"])
            yield


def _file_and_fetch(passport: Service, citizen: User) -> tuple[Application, Document, bytes]:
    draft = application_draft_store(applicant=citizen, service=passport, data=PASSPORT_ANSWERS, uploads=[
        ("tazkira_copy", upload_check(pdf("tazkira.pdf"), max_bytes=megabytes(5)))])
    application = application_submit(application=draft, idempotency_key="k", actor=citizen)
    document = Document.objects.get(application=application)
    client = Client()
    client.force_login(citizen)
    response = client.get(f"/en/applications/{application.public_id}/documents/{document.public_id}/")
    assert response.status_code == 200
    return application, document, b"".join(response.streaming_content)  # type: ignore[attr-defined]


@pytest.mark.django_db
@pytest.mark.usefixtures("bucket")
def test_an_upload_is_kept_in_the_bucket_and_streamed_back_from_it(passport: Service, citizen: User) -> None:
    _application, document, served = _file_and_fetch(passport, citizen)
    assert served == PDF_BYTES
    keys = [item["Key"] for item in boto3.client("s3", region_name="us-east-1")
            .list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert keys == [f"uploads/{document.file.name}"]
    head = boto3.client("s3", region_name="us-east-1").head_object(Bucket=BUCKET, Key=keys[0])
    assert head["ServerSideEncryption"] == "AES256"


def test_the_bucket_setting_is_read_from_its_url() -> None:
    entry = s3_private_storage("s3://khedmat-uploads/private/kabul", endpoint_url="http://minio.internal:9000",
                               region="af-south-1", access_key="ak", secret_key="sk")
    assert entry["BACKEND"] == "storages.backends.s3.S3Storage"
    options = entry["OPTIONS"]
    assert options["bucket_name"] == "khedmat-uploads" and options["location"] == "private/kabul"
    assert options["endpoint_url"] == "http://minio.internal:9000" and options["default_acl"] == "private"
    assert options["file_overwrite"] is False
    for wrong in ("khedmat-uploads", "https://bucket/x", "s3:///prefix"):
        with pytest.raises(StorageUrlError):
            s3_private_storage(wrong)


def test_the_settings_use_the_bucket_when_the_environment_names_one() -> None:
    code = ("import django; django.setup(); from django.core.files.storage import storages; "
            "s = storages['private']; print(type(s).__name__, s.bucket_name, s.location, s.endpoint_url)")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local",
           "PRIVATE_STORAGE_URL": "s3://khedmat-uploads/private", "PRIVATE_STORAGE_ENDPOINT_URL": "http://127.0.0.1:1"}
    result = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["S3Storage", "khedmat-uploads", "private", "http://127.0.0.1:1"]
