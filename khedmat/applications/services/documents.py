"""Keeping an applicant's documents: in private storage, under generated names, with their hash.

A file reaches these functions only after `uploads.upload_check` has read it (size, type by
content, SHA-256). Downloads by anyone but the applicant are written to the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from khedmat.audit.services import audit_record
from khedmat.core.inserts import insert_new

from ..models import Application, Document, Message, private_storage
from ..uploads import DEFAULT_MAX_SIZE_MB, CheckedUpload, megabytes
from .core import ApplicationError

if TYPE_CHECKING:
    from khedmat.accounts.models import User

# The code of a file sent with an answer that is none of the service's documents.
OTHER_DOCUMENT = "other"


def document_limits(definition: dict[str, Any], *, with_other: bool = False) -> dict[str, int]:
    """Each document code of a service definition → the largest file accepted, in bytes."""
    limits = {document["code"]: megabytes(document.get("max_size_mb") or DEFAULT_MAX_SIZE_MB)
              for document in definition.get("required_documents", [])}
    if with_other:
        limits[OTHER_DOCUMENT] = megabytes(DEFAULT_MAX_SIZE_MB)
    return limits


@contextmanager
def files_removed_on_failure() -> Iterator[list[str]]:
    """Collect the names of files written inside the block; if the block fails (and so its
    transaction rolls back), delete them: storage is not part of the transaction."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        storage = private_storage()
        for name in written:
            storage.delete(name)
        raise


def document_prepare(*, application: Application, document_code: str, upload: CheckedUpload, uploaded_by: User,
                     written: list[str]) -> Document:
    """A new application's document with its file put in storage now (its name is generated:
    the application need not be written yet), its row left for the caller to write with the
    application's (`core.application_submit_new`). `written` collects the file's name, so
    that it is removed if the transaction fails."""
    document = Document(
        application=application, document_code=document_code, original_name=upload.original_name,
        content_type=upload.content_type, size=upload.size, sha256=upload.sha256, uploaded_by=uploaded_by,
    )
    document.file.save("upload", upload.file, save=False)
    written.append(document.file.name)
    return document


def _save(*, application: Application, document_code: str, upload: CheckedUpload, uploaded_by: User,
          message: Message | None, written: list[str] | None) -> Document:
    document = Document(
        application=application, document_code=document_code, original_name=upload.original_name,
        content_type=upload.content_type, size=upload.size, sha256=upload.sha256, uploaded_by=uploaded_by,
        message=message,
    )
    # The name given here is ignored: the storage path is generated (models._document_path).
    document.file.save("upload", upload.file, save=False)
    if written is not None:
        written.append(document.file.name)
    return insert_new(document)


@transaction.atomic(savepoint=False)  # inside another service's transaction, no savepoint of its own
def document_store(*, application: Application, document_code: str, upload: CheckedUpload, uploaded_by: User,
                   message: Message | None = None, written: list[str] | None = None,
                   first_of_new_draft: bool = False) -> Document:
    """Keep one checked file for `application`.

    On a draft, a new file for a document replaces the one sent before (the applicant is
    still putting the application together). After submission files only arrive with a
    message (an answer to a request for information), and nothing is replaced.

    `first_of_new_draft`: the caller created this draft in the same transaction and keeps no
    other file for this document on it: nobody else can see the row yet, so it is not locked
    again, and there is no earlier file to look for.
    """
    locked = application if first_of_new_draft else Application.objects.select_for_update().get(pk=application.pk)
    if uploaded_by.pk != locked.applicant_id and uploaded_by.pk != locked.filed_by_id:
        raise ApplicationError(_("You may not add documents to this file."), code="forbidden")
    if message is None:
        if not locked.is_draft:
            raise ApplicationError(_("This application was already submitted; send new documents with "
                                     "an answer to the agency."), code="not_draft")
        if not first_of_new_draft:
            for earlier in locked.documents.filter(document_code=document_code, message__isnull=True):
                document_delete(earlier)
    if written is None:
        with files_removed_on_failure() as own:
            return _save(application=locked, document_code=document_code, upload=upload, uploaded_by=uploaded_by,
                         message=message, written=own)
    return _save(application=locked, document_code=document_code, upload=upload, uploaded_by=uploaded_by,
                 message=message, written=written)


@transaction.atomic
def document_remove_from_draft(*, application: Application, document: Document, actor: User) -> None:
    """Take a file off a draft (before submission only)."""
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if actor.pk != locked.applicant_id or document.application_id != locked.pk:
        raise ApplicationError(_("You may not change this file."), code="forbidden")
    if not locked.is_draft:
        raise ApplicationError(_("A submitted application keeps its documents."), code="not_draft")
    document_delete(document)


def document_delete(document: Document) -> None:
    """Delete a document row now and its file once that is committed (drafts only; callers check)."""
    name, storage = document.file.name, document.file.storage
    document.delete()
    # The file goes only once the row's deletion is committed.
    transaction.on_commit(lambda: storage.delete(name))


def document_download_record(*, document: Document, actor: User, request: HttpRequest | None = None) -> None:
    """Write a download by staff to the audit trail, about the applicant (the applicant's own
    downloads are not: they are no one else's look at the file)."""
    application = document.application
    if actor.pk == application.applicant_id:
        return
    audit_record(
        action="applications.document_downloaded", target_type="document", target_id=document.public_id,
        actor=actor, subject=application.applicant, request=request,
        data={"application": application.reference or str(application.public_id),
              "document_code": document.document_code, "sha256": document.sha256},
    )
