"""For agencies, with a key: their files, one file, a workflow step, a note, a request for
information. The key acts as its own system account (decisions/0040), through the
applications app's services: the back office's rules (role, expected state, two-person
approval) apply unchanged."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from khedmat.applications import selectors as application_selectors
from khedmat.applications import services as application_services
from khedmat.applications.services import documents as application_documents
from khedmat.audit.services import audit_record
from khedmat.core.errors import Refusal

from ..auth import KeyAuth, key_service_ids, require
from ..models import ApiKey, Scope
from ..problems import ApiProblem
from ..schemas import FileDetail, FilePage, MessageIn, NoteIn, NoteOut, Problem, StepIn

router = Router(tags=["files (agency key)"], auth=KeyAuth())
ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem, 429: Problem}


class FileFilters(Schema):
    state: str = Field(default="", max_length=40)
    updated_since: datetime.datetime | None = None
    after: str = Field(default="", max_length=40, pattern=rf"^$|{application_selectors.CURSOR_PATTERN}")
    limit: int = Field(default=50, ge=1, le=200)


def _summary(application: Any) -> dict[str, Any]:
    return {"id": application.public_id, "reference": application.reference, "service": application.service.code,
            "state": application.state, "is_final": application.is_final, "channel": application.channel,
            "submitted_at": application.submitted_at, "updated_at": application.updated_at,
            "due_date": application.due_date}


def agency_file(key: ApiKey, file_id: str) -> Any:
    """The key's agency's file, within the key's services; 404 for anyone else's (no hint)."""
    found = application_selectors.agency_file_get(agency_id=key.agency_id, public_id=file_id)
    services = key_service_ids(key)
    if found is None or (services and found.service_id not in services):
        raise ApiProblem(404, "not_found", "No such file, or not your agency's.")
    return found


def _refused(refusal: Refusal) -> ApiProblem:
    # A step the file's state does not allow now is a conflict with that state, like a stale one.
    status = {"forbidden": 403, "four_eyes": 403, "stale": 409, "not_allowed": 409}.get(refusal.code, 422)
    return ApiProblem(status, refusal.code, str(refusal.message))


def _audit(request: HttpRequest, key: ApiKey, action: str, target: object = "", data: dict[str, Any] | None = None,
           *, busy: bool = False) -> None:
    """Every call is on the audit trail. `busy`: a read a system repeats all day (a page of the
    list), sealed by the next pass within seconds rather than by a pass of its own (0032)."""
    audit_record(action=f"api.{action}", target_type="api_key", target_id=key.prefix, actor=key.user,
                 request=request, data={"object": str(target), **(data or {})}, seal_soon=busy)


@router.get("", response={200: FilePage, **ERRORS}, summary="The agency's files, by last change")
def file_list(request: HttpRequest, filters: Query[FileFilters]) -> HttpResponse:
    """Oldest change first; pass `next_cursor` back as `after` for the next page (keyset)."""
    key = require(request, Scope.READ)
    if not 1 <= filters.limit <= 200:
        raise ApiProblem(422, "limit_invalid", "limit is 1 to 200.")
    since = filters.updated_since
    try:
        # In UTC: the database takes offsets of at most 15:59 hours, ISO 8601 allows 23:59.
        since = (since if since.tzinfo else since.replace(tzinfo=datetime.UTC)).astimezone(datetime.UTC) \
            if since is not None else None
        page = application_selectors.agency_files_page(
            agency_id=key.agency_id, service_ids=key_service_ids(key), state=filters.state[:40],
            updated_since=since, after=filters.after[:100], limit=filters.limit)
    except application_selectors.BadCursor as error:
        raise ApiProblem(422, "cursor_invalid", "Pass back a next_cursor as it was given.") from error
    except OverflowError as error:
        raise ApiProblem(422, "updated_since_invalid", "updated_since is out of range.") from error
    _audit(request, key, "files_listed", data={"count": len(page.rows)}, busy=True)
    # Written out directly: checking 100 rows against the schema again cost more than reading them.
    body = {"items": [_summary(row) for row in page.rows], "next_cursor": page.next_cursor}
    return HttpResponse(json.dumps(body, cls=DjangoJSONEncoder), content_type="application/json")


@router.get("/{file_id}", response={200: FileDetail, **ERRORS}, summary="One file with its answers and uploads")
def file_get(request: HttpRequest, file_id: str) -> dict[str, Any]:
    """A read of a person's file: the applicant sees it as the agency's system on their file."""
    key = require(request, Scope.READ)
    found = agency_file(key, file_id)
    application_services.application_file_open(application=found, actor=key.user, request=request,
                                               api_key=key.prefix)
    uploads = application_selectors.file_uploads(application=found)
    return {**_summary(found), "applicant_name": found.applicant_name or found.applicant.full_name,
            "answers": found.data,
            "uploads": [{"id": upload.public_id, "document_code": upload.document_code,
                         "name": upload.original_name, "content_type": upload.content_type, "size": upload.size,
                         "sha256": upload.sha256} for upload in uploads]}


@router.get("/{file_id}/uploads/{upload_id}", response={200: None, **ERRORS}, summary="Download an upload")
def upload_download(request: HttpRequest, file_id: str, upload_id: str) -> FileResponse:
    key = require(request, Scope.READ)
    found = agency_file(key, file_id)
    upload = application_selectors.file_upload_get(application=found, public_id=upload_id)
    if upload is None:
        raise ApiProblem(404, "not_found", "No such upload in this file.")
    application_documents.document_download_record(document=upload, actor=key.user, request=request)
    return FileResponse(upload.file.open("rb"), content_type=upload.content_type, as_attachment=True,
                        filename=upload.original_name)


@router.post("/{file_id}/steps", response={200: FileDetail, **ERRORS}, summary="Take a workflow step")
def step(request: HttpRequest, file_id: str, payload: StepIn) -> Any:
    """The back office's rules: the key's role, the state you saw (`expected_state`), two-person approval."""
    key = require(request, Scope.ACT)
    found = agency_file(key, file_id)
    try:
        application_services.application_act(
            application=found, actor=key.user, transition=payload.transition[:40],
            expected_state=payload.expected_state[:40], reason_code=payload.reason_code[:40],
            reason_text=payload.reason_text[:2000], request=request)
    except Refusal as refusal:
        raise _refused(refusal) from refusal
    _audit(request, key, "step", found.public_id, {"transition": payload.transition[:40]})
    return file_get(request, file_id)


@router.post("/{file_id}/notes", response={201: NoteOut, **ERRORS}, summary="Add an internal note")
def note(request: HttpRequest, file_id: str, payload: NoteIn) -> Status[dict[str, Any]]:
    key = require(request, Scope.ACT)
    found = agency_file(key, file_id)
    try:
        added = application_services.note_add(application=found, author=key.user, text=payload.text,
                                              request=request)
    except Refusal as refusal:
        raise _refused(refusal) from refusal
    _audit(request, key, "note_added", found.public_id)
    return Status(201, {"created_at": added.created_at, "text": added.text})


@router.post("/{file_id}/messages", response={201: NoteOut, **ERRORS},
             summary="Write to the applicant (a request for information)")
def message(request: HttpRequest, file_id: str, payload: MessageIn) -> Status[dict[str, Any]]:
    """The applicant reads it on their file and gets an SMS. To pause the clock and wait for an
    answer, take the workflow's request_information step with the message as its reason."""
    key = require(request, Scope.ACT)
    found = agency_file(key, file_id)
    try:
        sent = application_services.message_to_applicant(application=found, author=key.user, text=payload.text,
                                                         request=request)
    except Refusal as refusal:
        raise _refused(refusal) from refusal
    _audit(request, key, "message_sent", found.public_id)
    return Status(201, {"created_at": sent.created_at, "text": sent.text})
