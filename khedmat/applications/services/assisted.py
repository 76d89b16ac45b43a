"""The assisted channel: an operator at a service center files an application for a walk-in.

The steps: find or open the citizen's account by their mobile number; start a draft of a
service the operator's center offers in person; fill it in (the same form and checks as
online); record the citizen's consent — a one-time code sent to their phone, or a scanned
signed consent form — and only then submit. Nothing is submitted without consent.

Consent codes are kept apart from sign-in codes (accounts.PhoneCode): a code the citizen
reads out to an operator must never be good for signing in to their account. They live in
the shared cache (Redis in production, like the sign-in throttles), keyed by the draft:
only a keyed hash, for PHONE_CODE_TTL_SECONDS, dead after PHONE_CODE_MAX_ATTEMPTS wrong tries.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from khedmat.accounts.roles import Role
from khedmat.accounts.services import SignInError, citizen_get_or_create, citizen_update_profile
from khedmat.audit.services import audit_record
from khedmat.core.events import publish
from khedmat.core.formatting import format_number
from khedmat.core.ratelimit import Throttle, Throttled, guard

from ..events import ConsentCodeRequested
from ..formschema import answers_problems
from ..models import Application, Channel, Consent, Document
from ..uploads import DEFAULT_MAX_SIZE_MB, CheckedUpload, UploadRefused, megabytes, upload_check
from .core import ApplicationError, application_draft_save, application_submit
from .documents import document_delete, document_store, files_removed_on_failure

if TYPE_CHECKING:
    from khedmat.accounts.models import User
    from khedmat.catalog.models import Service

CONSENT_FORM_CODE = "consent_form"
CONSENT_FORM_MAX_SIZE_MB = DEFAULT_MAX_SIZE_MB
_CODE_HASH_SALT = "khedmat.applications.assisted.consent"

__all__ = [
    "CONSENT_FORM_CODE",
    "CONSENT_FORM_MAX_SIZE_MB",
    "assisted_answers_complete",
    "assisted_answers_save",
    "assisted_application_start",
    "assisted_consent_code_send",
    "assisted_submit_with_code",
    "assisted_submit_with_signed_form",
    "consent_code_check",
    "consent_code_issue",
    "operator_may_assist",
    "service_offered_in_person",
]


# --- who may file what ------------------------------------------------------------------

def service_offered_in_person(service: Service) -> bool:
    """Whether the service is open and its current definition lists the "center" channel."""
    version = service.current_version
    return bool(service.is_active and version is not None
                and Channel.CENTER in (version.definition.get("channels") or []))


def operator_may_assist(operator: User, service: Service) -> bool:
    """An active operator of a center that offers this service in person."""
    return bool(
        operator.is_active and operator.role == Role.OPERATOR and operator.center_id is not None
        and service_offered_in_person(service)
        and service.centers.filter(pk=operator.center_id, is_active=True).exists()
    )


def _check_operator(operator: User) -> None:
    if not (operator.is_active and operator.role == Role.OPERATOR and operator.center_id is not None):
        raise ApplicationError(_("Only an operator of a service center may file for a citizen."), code="forbidden")


def _check_draft(operator: User, application: Application) -> None:
    """The draft must be this operator's own, started at their center, and not yet submitted."""
    _check_operator(operator)
    if application.filed_by_id != operator.pk or application.center_id != operator.center_id:
        raise ApplicationError(_("You may not act on this file."), code="forbidden")
    if not application.is_draft:
        raise ApplicationError(_("This application was already submitted."), code="not_draft")


# --- starting and filling in --------------------------------------------------------------

@transaction.atomic
def assisted_application_start(*, operator: User, phone_number: str, service: Service, full_name: str = "",
                               language: str = "fa", request: HttpRequest | None = None) -> Application:
    """Find or open the citizen's account by their (normalised) mobile number and start a draft
    of `service` for them, filed by `operator` at their center.

    `full_name` is recorded only on an account that has no name yet: an operator never
    renames a citizen. `language` is the one a new account's messages are sent in.
    """
    _check_operator(operator)
    if not operator_may_assist(operator, service):
        raise ApplicationError(_("Your center does not offer this service in person."), code="not_offered")
    try:
        citizen, created = citizen_get_or_create(phone_number=phone_number, language=language, request=request)
    except SignInError as error:
        raise ApplicationError(error.message, code=error.code) from error
    full_name = " ".join(full_name.split())
    named = False
    if full_name and not citizen.full_name:
        try:
            citizen = citizen_update_profile(user=citizen, full_name=full_name,
                                             tazkira_number=citizen.tazkira_number, request=request)
        except ValidationError as error:
            raise ApplicationError(" ".join(error.messages), code="bad_name") from error
        named = True
    application = application_draft_save(applicant=citizen, service=service, data={}, filed_by=operator,
                                         channel=Channel.CENTER)
    center = operator.center
    assert center is not None
    audit_record(action="applications.assisted_started", target_type="application",
                 target_id=application.public_id, actor=operator, subject=citizen, request=request,
                 data={"center": center.code, "service": service.pk, "new_account": created,
                       "name_recorded": named})
    return application


@transaction.atomic
def assisted_answers_save(*, operator: User, application: Application, data: dict[str, Any],
                          uploads: list[tuple[str, CheckedUpload]] | None = None,
                          remove_documents: list[Document] | None = None) -> Application:
    """Keep the answers the operator typed so far and the files they scanned (each replacing the
    earlier file for the same document), as the citizen's own draft page does."""
    _check_draft(operator, application)
    with files_removed_on_failure() as written:
        draft = application_draft_save(applicant=application.applicant, service=application.service, data=data,
                                       application=application)
        for document in remove_documents or []:
            if document.application_id == draft.pk and document.message_id is None:
                document_delete(document)
        for code, upload in uploads or []:
            document_store(application=draft, document_code=code, upload=upload, uploaded_by=operator,
                           written=written)
    return draft


# --- consent by a one-time code -------------------------------------------------------------

# The code store is keyed by a subject: a draft's public id here, and whatever else an
# operator files for a citizen at a center (a complaint, in the complaints app), so one
# store, one hash and one count of wrong tries serve every assisted filing.

def _code_key(subject: str) -> str:
    return f"assisted-consent:{subject}"


def _fails_key(nonce: str) -> str:
    return f"assisted-consent-fails:{nonce}"


def _code_hash(subject: str, nonce: str, code: str) -> str:
    # Keyed with SECRET_KEY and bound to this subject: a copy of the cache gives nothing away.
    return salted_hmac(_CODE_HASH_SALT, f"{subject}:{nonce}:{code}", algorithm="sha256").hexdigest()


def _send_throttle() -> Throttle:
    return Throttle.from_setting("THROTTLE_CODE_SEND_PER_PHONE", scope="assisted-consent-send")


def consent_code_issue(*, subject: str, phone_number: str) -> str:
    """A new one-time consent code for `subject`, replacing the previous one; the caller sends
    it to `phone_number`. Raises ApplicationError "throttled" when this phone was sent too
    many codes lately (every assisted filing counts against the same limit)."""
    try:
        guard((_send_throttle(), phone_number))
    except Throttled as throttled:
        raise ApplicationError(ngettext(
            "Too many codes were sent to this phone. Try again in %(minutes)s minute, or use a signed consent form.",
            "Too many codes were sent to this phone. Try again in %(minutes)s minutes, or use a signed consent form.",
            throttled.minutes) % {"minutes": format_number(throttled.minutes)}, code="throttled") from None
    length = settings.PHONE_CODE_LENGTH
    code = str(secrets.randbelow(10**length)).zfill(length)
    nonce = secrets.token_hex(8)
    cache.set(_code_key(subject), {"nonce": nonce, "hash": _code_hash(subject, nonce, code)},
              timeout=settings.PHONE_CODE_TTL_SECONDS)
    return code


def assisted_consent_code_send(*, operator: User, application: Application,
                               request: HttpRequest | None = None) -> None:
    """Send the citizen a one-time code by SMS, in their language, saying who files what for them.

    A new code replaces the previous one. Raises ApplicationError: "incomplete" while the
    form is not complete, "throttled" when this phone was sent too many codes lately.
    """
    _check_draft(operator, application)
    _check_answers(application)
    citizen = application.applicant
    code = consent_code_issue(subject=str(application.public_id), phone_number=citizen.phone_number or "")
    center = operator.center
    assert center is not None
    with transaction.atomic():
        publish(ConsentCodeRequested(application=application, code=code), request=request)
        audit_record(action="applications.consent_code_sent", target_type="application",
                     target_id=application.public_id, actor=operator, subject=citizen, request=request,
                     data={"center": center.code})


def consent_code_check(*, subject: str, code: str) -> None:
    """Accept the live code of `subject` once, or raise ApplicationError (expired /
    exhausted / wrong, with the tries left)."""
    stored = cache.get(_code_key(subject))
    if not isinstance(stored, dict):
        raise ApplicationError(_("This code has expired or has already been used. Send a new code."),
                               code="expired")
    nonce = stored["nonce"]
    max_attempts = settings.PHONE_CODE_MAX_ATTEMPTS
    fails_key = _fails_key(nonce)
    fails = int(cache.get(fails_key, 0))
    if fails >= max_attempts:
        raise ApplicationError(_("The code was entered wrongly too many times. Send a new code."),
                               code="exhausted")
    if constant_time_compare(stored["hash"], _code_hash(subject, nonce, code)):
        cache.delete_many([_code_key(subject), fails_key])
        return
    if cache.add(fails_key, 1, timeout=settings.PHONE_CODE_TTL_SECONDS):
        fails = 1
    else:
        try:
            fails = int(cache.incr(fails_key))
        except ValueError:  # expired in between
            cache.set(fails_key, 1, timeout=settings.PHONE_CODE_TTL_SECONDS)
            fails = 1
    left = max_attempts - fails
    if left <= 0:
        cache.delete(_code_key(subject))
        raise ApplicationError(_("The code was entered wrongly too many times. Send a new code."),
                               code="exhausted")
    raise ApplicationError(ngettext(
        "That is not the code in the latest SMS. You can try %(count)s more time.",
        "That is not the code in the latest SMS. You can try %(count)s more times.",
        left) % {"count": format_number(left)}, code="wrong")


def assisted_submit_with_code(*, operator: User, application: Application, code: str, idempotency_key: str,
                              request: HttpRequest | None = None) -> Application:
    """Check the code the citizen read out, then record their consent and submit.

    Idempotent: the same form posted again returns the file it submitted.
    """
    done = _already_submitted(operator, application, idempotency_key)
    if done is not None:
        return done
    _check_draft(operator, application)
    _check_answers(application)
    consent_code_check(subject=str(application.public_id), code=code)
    return _submit_with_consent(operator=operator, application=application, method=Consent.Method.SMS_CODE,
                                idempotency_key=idempotency_key, request=request)


# --- consent by a scanned signed form -------------------------------------------------------

def assisted_submit_with_signed_form(*, operator: User, application: Application, upload: Any,
                                     idempotency_key: str, request: HttpRequest | None = None) -> Application:
    """Keep the scanned consent form (checked like every upload), record consent and submit."""
    done = _already_submitted(operator, application, idempotency_key)
    if done is not None:
        return done
    _check_draft(operator, application)
    _check_answers(application)
    try:
        checked = upload_check(upload, max_bytes=megabytes(CONSENT_FORM_MAX_SIZE_MB))
    except UploadRefused as error:
        raise ApplicationError(error.message, code=error.code) from error
    with transaction.atomic(), files_removed_on_failure() as written:
        document = document_store(application=application, document_code=CONSENT_FORM_CODE, upload=checked,
                                  uploaded_by=operator, written=written)
        return _submit_with_consent(operator=operator, application=application,
                                    method=Consent.Method.SIGNED_FORM, signed_form=document,
                                    idempotency_key=idempotency_key, request=request)


# --- submitting ---------------------------------------------------------------------------

def _already_submitted(operator: User, application: Application, idempotency_key: str) -> Application | None:
    """The file this form already submitted (a double click, a re-posted page), if any."""
    done = Application.objects.filter(applicant_id=application.applicant_id, idempotency_key=idempotency_key,
                                      filed_by=operator).first()
    if done is not None and Consent.objects.filter(application=done).exists():
        return done
    return None


def assisted_answers_complete(application: Application) -> bool:
    """Whether the answers and documents pass the service's own checks (as online)."""
    return not answers_problems(application=application)


def _check_answers(application: Application) -> None:
    """The stored answers must pass the service's form checks before consent is asked for."""
    if not assisted_answers_complete(application):
        raise ApplicationError(_("Some answers are missing or not right. Go back to the form."),
                               code="incomplete")


@transaction.atomic
def _submit_with_consent(*, operator: User, application: Application, method: str, idempotency_key: str,
                         request: HttpRequest | None, signed_form: Document | None = None) -> Application:
    center = operator.center
    assert center is not None
    _consent, created = Consent.objects.get_or_create(
        application=application,
        defaults={"method": method, "recorded_by": operator, "signed_form": signed_form},
    )
    if created:
        audit_record(action="applications.consent_recorded", target_type="application",
                     target_id=application.public_id, actor=operator, subject=application.applicant,
                     request=request, data={"method": method, "center": center.code,
                                            **({"sha256": signed_form.sha256} if signed_form else {})})
    return application_submit(application=application, idempotency_key=idempotency_key, actor=operator,
                              request=request)
