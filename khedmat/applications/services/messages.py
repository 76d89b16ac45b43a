"""The applicant's side of the conversation with the agency: answering a request for more
information (text and new files), or another step the workflow gives the applicant."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from khedmat.core.formatting import format_number

from ..models import Application, Message
from ..uploads import CheckedUpload
from ..workflow import TransitionNotAllowed, Workflow
from .core import ApplicationError, application_transition
from .documents import document_limits, document_store, files_removed_on_failure

if TYPE_CHECKING:
    from khedmat.accounts.models import User

MAX_ANSWER_LENGTH = 5000


@transaction.atomic
def application_applicant_answer(*, application: Application, applicant: User, transition: str,
                                 expected_state: str, text: str = "",
                                 uploads: list[tuple[str, CheckedUpload]] | None = None,
                                 request: HttpRequest | None = None) -> Application:
    """Take the applicant's workflow step (e.g. provide_information) with a message and files.

    An answer that moves the file on (not to a final state) must say or attach something.
    The step, the message and the files are kept together or not at all; a stale
    `expected_state` (the page was old) refuses everything.
    """
    uploads = uploads or []
    text = text.strip()
    if len(text) > MAX_ANSWER_LENGTH:
        raise ApplicationError(_("Your answer is too long: keep it under %(count)s characters.") % {
            "count": format_number(MAX_ANSWER_LENGTH)}, code="too_long")
    workflow = Workflow.of(application.service_version.definition)
    try:
        step = workflow.find(expected_state, transition, "applicant")
    except TransitionNotAllowed as error:
        raise ApplicationError(_("This step is not possible now."), code="not_allowed") from error
    if not workflow.is_final(step.target) and not text and not uploads:
        raise ApplicationError(_("Write your answer, attach a file, or both."), code="empty_answer")
    allowed_codes = document_limits(application.service_version.definition, with_other=True)
    if any(code not in allowed_codes for code, _upload in uploads):
        raise ApplicationError(_("This document is not one the service asks for."), code="bad_document")

    with files_removed_on_failure() as written:
        moved = application_transition(application=application, actor=applicant, transition=transition,
                                       expected_state=expected_state, request=request)
        if text or uploads:
            message = Message.objects.create(application=moved, author=applicant,
                                             direction=Message.Direction.FROM_APPLICANT, text=text)
            for code, upload in uploads:
                document_store(application=moved, document_code=code, upload=upload, uploaded_by=applicant,
                               message=message, written=written)
    return moved
