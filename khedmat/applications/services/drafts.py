"""A citizen's draft with its documents: saved together, resumed later, or thrown away."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ..models import Application, ApplicationEvent, Document
from ..uploads import CheckedUpload
from .core import ApplicationError, application_draft_save, application_new, application_submit_new
from .documents import document_delete, document_prepare, document_store, files_removed_on_failure

if TYPE_CHECKING:
    from khedmat.accounts.models import User
    from khedmat.catalog.models import Service


@transaction.atomic
def application_draft_store(*, applicant: User, service: Service, data: dict[str, Any],
                            application: Application | None = None,
                            uploads: list[tuple[str, CheckedUpload]] | None = None,
                            remove_documents: list[Document] | None = None,
                            applicant_info: dict[str, Any] | None = None,
                            kept: list[Document] | None = None) -> Application:
    """Save the answers given so far and the files just uploaded (each replacing the earlier
    file for the same document); create the draft if there is none yet. The documents stored
    are appended to `kept` when given (a new draft has no others: the page need not read them)."""
    if application is not None and application.applicant_id != applicant.pk:
        raise ApplicationError(_("You may not change this file."), code="forbidden")
    with files_removed_on_failure() as written:
        draft = application_draft_save(applicant=applicant, service=service, data=data, application=application,
                                       applicant_info=applicant_info)
        for document in remove_documents or []:
            if document.application_id == draft.pk and document.message_id is None:
                document_delete(document)
        codes: set[str] = set()
        for code, upload in uploads or []:
            stored = document_store(application=draft, document_code=code, upload=upload, uploaded_by=applicant,
                                    written=written, first_of_new_draft=application is None and code not in codes)
            codes.add(code)
            if kept is not None:
                kept.append(stored)
    return draft


def application_file(*, applicant: User, service: Service, data: dict[str, Any], idempotency_key: str,
                     uploads: list[tuple[str, CheckedUpload]] | None = None,
                     applicant_info: dict[str, Any] | None = None,
                     request: HttpRequest | None = None) -> Application:
    """A complete application sent in one post with nothing saved before (the citizen's page:
    every answer right, every required document among the files sent): the draft, its files and
    the submission in one transaction. Idempotent like `application_submit`: when the key was
    used by a parallel post, nothing of this one is kept and the application filed with the key
    is returned."""
    try:
        with files_removed_on_failure() as written, transaction.atomic():
            application = application_new(applicant=applicant, service=service, data=data,
                                          applicant_info=applicant_info)
            # The files go to storage before the first statement (their names need no row), and
            # a later file for the same document replaces an earlier one, as on a draft.
            last_per_document = dict(uploads or [])
            documents = [document_prepare(application=application, document_code=code, upload=upload,
                                          uploaded_by=applicant, written=written)
                         for code, upload in last_per_document.items()]
            return application_submit_new(application=application, idempotency_key=idempotency_key,
                                          actor=applicant, request=request, documents=documents)
    except IntegrityError:
        existing = Application.objects.filter(applicant=applicant, idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing


@transaction.atomic
def application_draft_discard(*, applicant: User, application: Application) -> None:
    """Delete a draft and its files; a submitted application is never deleted."""
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.applicant_id != applicant.pk:
        raise ApplicationError(_("You may not change this file."), code="forbidden")
    if not locked.is_draft or ApplicationEvent.objects.filter(application=locked).exists():
        raise ApplicationError(_("A submitted application cannot be deleted."), code="not_draft")
    for document in locked.documents.all():
        document_delete(document)
    locked.delete()
