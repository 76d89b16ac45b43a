"""Uploads read through the API (recorded on the citizen's page), replays of a step, and the
idempotency answers forgotten after their hours."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone

from khedmat.api.models import IdempotentAnswer
from khedmat.api.services import idempotent_answers_prune
from khedmat.applications.models import Document
from khedmat.applications.selectors.access_log import access_events
from khedmat.applications.services import application_submit
from khedmat.applications.services.drafts import application_draft_store
from khedmat.applications.tests.citizen_helpers import PDF_BYTES, pdf
from khedmat.applications.tests.conftest import PASSPORT_ANSWERS
from khedmat.applications.tests.office_helpers import submitted
from khedmat.applications.uploads import megabytes, upload_check

from .conftest import bearer

pytestmark = pytest.mark.django_db


def test_an_upload_is_downloaded_by_the_agency_and_the_citizen_sees_it(api, keys, passport, citizen):
    draft = application_draft_store(applicant=citizen, service=passport, data=PASSPORT_ANSWERS, uploads=[
        ("tazkira_copy", upload_check(pdf("tazkira.pdf"), max_bytes=megabytes(5)))])
    file = application_submit(application=draft, idempotency_key="k", actor=citizen)
    detail = api.get(f"/api/v1/files/{file.public_id}", **bearer(keys["read"])).json()
    [upload] = detail["uploads"]
    assert upload["document_code"] == "tazkira_copy"
    path = f"/api/v1/files/{file.public_id}/uploads/{upload['id']}"
    response = api.get(path, **bearer(keys["read"]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES
    assert api.get(path, **bearer(keys["other"])).status_code == 404
    assert api.get(path, **bearer(keys["pay"])).status_code == 403
    other = submitted(passport, citizen)
    # an upload of this file asked for under another file of the same agency: not found
    assert api.get(f"/api/v1/files/{other.public_id}/uploads/{upload['id']}", **bearer(keys["read"])).status_code == 404
    assert Document.objects.count() == 1
    assert any(entry.what == "downloaded a document from your file" for entry in access_events(file))


def test_a_step_retried_with_its_key_is_taken_once(api, keys, passport, citizen):
    file = submitted(passport, citizen)
    body = json.dumps({"transition": "start_review", "expected_state": file.state})
    path = f"/api/v1/files/{file.public_id}/steps"
    first = api.post(path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="s-1", **bearer(keys["act"]))
    again = api.post(path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="s-1", **bearer(keys["act"]))
    assert first.status_code == again.status_code == 200 and first.content == again.content
    assert file.events.filter(transition="start_review").count() == 1
    # without the key, the same step again is told the file moved on: nothing is applied twice either
    late = api.post(path, body, content_type="application/json", **bearer(keys["act"]))
    assert late.status_code == 409 and late.json()["code"] == "stale"


def test_kept_answers_are_forgotten_after_their_hours(api, keys, passport, citizen, settings):
    file = submitted(passport, citizen)
    path = f"/api/v1/files/{file.public_id}/notes"
    api.post(path, json.dumps({"text": "one"}), content_type="application/json", HTTP_IDEMPOTENCY_KEY="n-1",
             **bearer(keys["act"]))
    assert IdempotentAnswer.objects.count() == 1
    assert idempotent_answers_prune() == 0
    IdempotentAnswer.objects.update(created_at=timezone.now() - datetime.timedelta(
        hours=settings.API_IDEMPOTENCY_KEEP_HOURS + 1))
    # past its hours the key is free again: the same request is a new note
    again = api.post(path, json.dumps({"text": "one"}), content_type="application/json", HTTP_IDEMPOTENCY_KEY="n-1",
                     **bearer(keys["act"]))
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert file.notes.count() == 2
    IdempotentAnswer.objects.update(created_at=timezone.now() - datetime.timedelta(
        hours=settings.API_IDEMPOTENCY_KEEP_HOURS + 1))
    assert idempotent_answers_prune() == 1 and IdempotentAnswer.objects.count() == 0


def test_an_idempotency_key_too_long_is_refused(api, keys, passport, citizen):
    file = submitted(passport, citizen)
    response = api.post(f"/api/v1/files/{file.public_id}/notes", json.dumps({"text": "x"}),
                        content_type="application/json", HTTP_IDEMPOTENCY_KEY="k" * 201, **bearer(keys["act"]))
    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_invalid"
    assert file.notes.count() == 0
