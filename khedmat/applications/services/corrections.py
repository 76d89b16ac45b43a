"""Correcting a filed application, and withdrawing it.

A member of staff sends the file back naming the form fields to correct (engine step
`request_correction`, khedmat/applications/workflow.py); the applicant changes those fields
and nothing else, and the file returns to the state it was sent from (`submit_correction`).
Each corrected answer keeps its old and new value (FieldCorrection); each step is audited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from khedmat.audit.services import audit_record
from khedmat.core.formatting import current_language, format_number

from ..formschema import correctable_fields, field_title
from ..models import Application, CorrectionRequest, FieldCorrection, Message
from ..workflow import CORRECTION_STATE, REQUEST_CORRECTION, SUBMIT_CORRECTION, WITHDRAWN_STATE, Workflow
from .core import ApplicationError, application_transition
from .office import MESSAGE_MAX_LENGTH, _message_create

if TYPE_CHECKING:
    from khedmat.accounts.models import User

WITHDRAW_REASON_MAX = 500
@transaction.atomic
def correction_request(*, application: Application, actor: User, fields: list[str], message: str,
                       expected_state: str, request: HttpRequest | None = None) -> CorrectionRequest:
    """Send the file back to the applicant to correct `fields`, with `message` saying what is wrong."""
    allowed = correctable_fields(application.service_version.definition)
    chosen = [name for name in allowed if name in set(fields)]
    if not fields or len(chosen) != len(set(fields)):
        raise ApplicationError(_("Choose the questions the applicant must correct."), code="bad_fields")
    message = (message or "").strip()
    if not message:
        raise ApplicationError(_("Say what is wrong: the applicant will read it."), code="reason_needed")
    if len(message) > MESSAGE_MAX_LENGTH:
        raise ApplicationError(_("Write at most %(limit)s characters.") % {
            "limit": format_number(MESSAGE_MAX_LENGTH)}, code="too_long")
    moved = application_transition(application=application, actor=actor, transition=REQUEST_CORRECTION,
                                   expected_state=expected_state, reason_text=message, request=request)
    correction = CorrectionRequest.objects.create(application=moved, fields=chosen, message=message,
                                                  from_state=expected_state, requested_by=actor)
    # The applicant hears of it by the state's milestone (one SMS); the message stays on the file.
    _message_create(application=moved, author=actor, text=message, request=request, notify=False)
    audit_record(action="applications.correction_requested", target_type="application",
                 target_id=moved.reference, actor=actor, subject=moved.applicant, reason=message, request=request,
                 data={"fields": chosen, "correction": correction.pk})
    return correction


def open_correction(application: Application) -> CorrectionRequest | None:
    """The request the applicant is answering now, if the file waits for a correction."""
    if application.state != CORRECTION_STATE:
        return None
    return application.correction_requests.filter(corrected_at__isnull=True).order_by("-requested_at", "-id").first()


@transaction.atomic
def correction_submit(*, application: Application, applicant: User, expected_state: str,
                      answers: dict[str, Any], request: HttpRequest | None = None) -> Application:
    """Take the applicant's corrected answers for the named fields only, keep the old values,
    and return the file to where it was. Any other answer posted is ignored."""
    locked = Application.objects.select_for_update(of=("self",)).select_related("service_version").get(
        pk=application.pk)
    if locked.applicant_id != applicant.pk:
        raise ApplicationError(_("You may not act on this file."), code="forbidden")
    correction = open_correction(locked) if expected_state == locked.state else None
    if correction is None:
        raise ApplicationError(_("The agency is not waiting for a correction on this file now."), code="stale")
    data = dict(locked.data or {})
    changed: list[str] = []
    for name in correction.fields:
        old, new = data.get(name), answers.get(name)
        if new is None:
            data.pop(name, None)
        else:
            data[name] = new
        if old != new:
            FieldCorrection.objects.create(application=locked, request=correction, field=name, old_value=old,
                                           new_value=new, corrected_by=applicant)
            changed.append(name)
    locked.data = data
    locked.save(update_fields=["data", "updated_at"])
    correction.corrected_at = timezone.now()
    correction.save(update_fields=["corrected_at"])
    Message.objects.create(application=locked, author=applicant, direction=Message.Direction.FROM_APPLICANT,
                           text=_("I corrected: %(fields)s") % {"fields": ", ".join(
                               _field_title(locked, name) for name in changed)} if changed
                           else _("I checked the answers and they are right."))
    audit_record(action="applications.corrected", target_type="application", target_id=locked.reference,
                 actor=applicant, subject=applicant, request=request,
                 data={"correction": correction.pk, "fields": correction.fields, "changed": changed})
    return application_transition(application=locked, actor=applicant, transition=SUBMIT_CORRECTION,
                                  expected_state=CORRECTION_STATE, request=request)


def _field_title(application: Application, name: str) -> str:
    schema = correctable_fields(application.service_version.definition, by_applicant=False).get(name) or {}
    return field_title(schema, current_language(), name)


@transaction.atomic
def application_withdraw(*, application: Application, applicant: User, reason: str = "",
                         request: HttpRequest | None = None) -> Application:
    """The applicant withdraws the file before a decision; it closes as withdrawn.

    Idempotent: withdrawing a withdrawn file again changes nothing. After a decision, refused.
    Payments cancels an unpaid order when the file closes (payments.subscribers).
    """
    locked = Application.objects.select_for_update(of=("self",)).select_related("service_version").get(
        pk=application.pk)
    if locked.applicant_id != applicant.pk:
        raise ApplicationError(_("You may not act on this file."), code="forbidden")
    if locked.is_draft:
        raise ApplicationError(_("This application has not been submitted."), code="not_submitted")
    if locked.state == WITHDRAWN_STATE:
        return locked
    if locked.is_final:
        raise ApplicationError(_("A decision was already taken on this application: it can no longer be "
                                 "withdrawn."), code="decided")
    reason = " ".join((reason or "").split())
    if len(reason) > WITHDRAW_REASON_MAX:
        raise ApplicationError(_("Write at most %(limit)s characters.") % {
            "limit": format_number(WITHDRAW_REASON_MAX)}, code="too_long")
    step = Workflow.of(locked.service_version.definition).withdraw_step(locked.state)
    if step is None:
        raise ApplicationError(_("This application can no longer be withdrawn."), code="not_allowed")
    return application_transition(application=locked, actor=applicant, transition=step.name,
                                  expected_state=locked.state, reason_text=reason, request=request)


@transaction.atomic
def application_correct_by_officer(*, application: Application, actor: User, answers: dict[str, Any], reason: str,
                                   request: HttpRequest | None = None) -> list[str]:
    """An officer corrects answers of a decided file (before its document is issued anew),
    keeping the old and new values. Returns the names of the fields that changed."""
    locked = Application.objects.select_for_update(of=("self",)).select_related("service_version").get(
        pk=application.pk)
    if actor.agency_id is None or actor.agency_id != locked.agency_id:
        raise ApplicationError(_("You may not act on this file."), code="forbidden")
    allowed = correctable_fields(locked.service_version.definition, by_applicant=False)
    data = dict(locked.data or {})
    changed = []
    for name, new in answers.items():
        if name not in allowed or data.get(name) == new:
            continue
        FieldCorrection.objects.create(application=locked, field=name, old_value=data.get(name), new_value=new,
                                       corrected_by=actor, reason=reason)
        data[name] = new
        changed.append(name)
    if changed:
        locked.data = data
        locked.save(update_fields=["data", "updated_at"])
        audit_record(action="applications.corrected_by_officer", target_type="application",
                     target_id=locked.reference, actor=actor, subject=locked.applicant, reason=reason,
                     request=request, data={"changed": changed})
    application.data = locked.data
    return changed
