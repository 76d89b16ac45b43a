"""The assisted channel at a center, and the citizen's record of who opened their file.

An operator signs in with the staff sign-in, then: the citizen's number and the service
(start) → the service's own form (form) → the citizen's consent, by a code sent to their
phone or a scanned signed form, which submits (consent) → the receipt (done). Each step
works on a draft the operator started at their own center; any other file is a 404.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from khedmat.accounts.gates import signed_in_user, staff_page
from khedmat.accounts.phone import display_mobile_number
from khedmat.accounts.roles import Role
from khedmat.centers.selectors import ticket_at_center
from khedmat.core.formatting import current_language

from .assisted_forms import AssistedStartForm, ConsentCodeForm, ConsentFormUploadForm
from .forms import ApplicationForm, document_slots, upload_field_limits
from .handover import form_definition
from .models import Application
from .selectors.access_log import access_events
from .selectors.assisted import assisted_draft_get, assisted_recent, assisted_services, consent_of
from .services.assisted import (
    CONSENT_FORM_MAX_SIZE_MB,
    assisted_answers_complete,
    assisted_answers_save,
    assisted_application_start,
    assisted_consent_code_send,
    assisted_submit_with_code,
    assisted_submit_with_signed_form,
)
from .services.core import ApplicationError
from .services.office import application_file_open
from .uploads import megabytes, refused_uploads, too_big_message, upload_limits_install

if TYPE_CHECKING:
    from khedmat.accounts.models import User

# Stored in English in the audit trail; the access record translates it when it shows it.
REASON_GIVING_THE_REFERENCE = gettext_noop("Handing over the reference number")


def _is_operator(user: Any) -> bool:
    return user.role == Role.OPERATOR and user.center_id is not None


# A center operator; anyone else signed in gets a 404: the page is not theirs.
operator_required = staff_page(_is_operator)


def _operator(request: HttpRequest) -> User:
    return signed_in_user(request)


def _draft_or_404(request: HttpRequest, public_id: uuid.UUID) -> Application:
    application = assisted_draft_get(operator=_operator(request), public_id=public_id)
    if application is None:
        raise Http404
    return application


def _new_key() -> str:
    return uuid.uuid4().hex


# --- 1. the citizen and the service ---------------------------------------------------------

def _from_ticket(request: HttpRequest, operator: User) -> dict[str, Any]:
    """What the ticket at the operator's counter tells the form (from the counter screen's
    link, ?ticket=<id>): its service, and its holder's phone if they left one. A ticket of
    another center tells nothing."""
    ticket = ticket_at_center(center_id=operator.center_id, public_id=request.GET.get("ticket", ""))
    if ticket is None:
        return {}
    initial: dict[str, Any] = {"service": ticket.service_id}
    if ticket.phone:
        initial["phone_number"] = display_mobile_number(ticket.phone, "en")
    return initial


@never_cache
@operator_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    operator = _operator(request)
    services = assisted_services(operator=operator)
    initial = _from_ticket(request, operator) if request.method == "GET" else {}
    form = AssistedStartForm(request.POST if request.method == "POST" else None, services=services, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            application = assisted_application_start(
                operator=operator, phone_number=form.cleaned_data["phone_number"],
                service=form.cleaned_data["service"], full_name=form.cleaned_data["full_name"],
                language=form.cleaned_data["language"], request=request,
            )
        except ApplicationError as error:
            form.add_error("service" if error.code == "not_offered" else None, error.message)
        else:
            return redirect("applications:assisted_form", public_id=application.public_id)
    context = {"form": form, "services": services, "center": operator.center,
               "recent": assisted_recent(operator=operator)}
    return render(request, "applications/assisted/start.html", context)


# --- 2. the service's form -------------------------------------------------------------------

@csrf_exempt  # only so the upload limits are installed before the body is read: checked in _fill
@never_cache
@operator_required
@require_http_methods(["GET", "POST"])
def fill(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The service's own form (the citizen's renderer and checks), filled in by the operator."""
    application = _draft_or_404(request, public_id)
    if not application.is_draft:
        return redirect("applications:assisted_done", public_id=application.public_id)
    if request.method == "POST":
        limits = upload_field_limits(document_slots(application.service_version.definition))
        upload_limits_install(request, limits)
    return _fill(request, application)


@csrf_protect
def _fill(request: HttpRequest, application: Application) -> HttpResponse:
    operator = _operator(request)
    definition = form_definition(application.service_version.definition,
                                 service_id=application.service_version.service_id)
    language = current_language()
    if request.method == "GET":
        form = ApplicationForm(definition=definition, language=language, draft=application)
        return _render_fill(request, application, form)
    form = ApplicationForm(definition=definition, language=language, draft=application, post=request.POST,
                           files=request.FILES, refused=refused_uploads(request))
    try:
        application = assisted_answers_save(operator=operator, application=application, data=form.draft_data,
                                            uploads=form.uploads,
                                            remove_documents=form.documents_to_remove(application))
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("applications:assisted_start")
    form.attach_stored(application)
    if form.action == "submit":
        if form.is_valid():
            return redirect("applications:assisted_consent", public_id=application.public_id)
    elif form.action == "save" and not form.has_upload_errors:
        messages.success(request, _("The answers are saved. You can come back to them from the start page."))
        return redirect("applications:assisted_form", public_id=application.public_id)
    return _render_fill(request, application, form)


def _render_fill(request: HttpRequest, application: Application, form: ApplicationForm) -> HttpResponse:
    return render(request, "applications/assisted/form.html", {
        "application": application, "form": form, "errors": form.error_list(),
        "phone_display": display_mobile_number(application.applicant.phone_number or ""),
    })


# --- 3. consent, then submission ----------------------------------------------------------------

# The consent page holds two forms: their fields' ids must differ.
CODE_IDS, SCAN_IDS = "code_%s", "scan_%s"


def _consent_context(application: Application, *, code_form: ConsentCodeForm | None = None,
                     upload_form: ConsentFormUploadForm | None = None, code_sent: bool = False) -> dict[str, Any]:
    key = _new_key()
    return {
        "application": application,
        "phone_display": display_mobile_number(application.applicant.phone_number or ""),
        "code_form": code_form or ConsentCodeForm(initial={"idempotency_key": key}, auto_id=CODE_IDS),
        "upload_form": upload_form or ConsentFormUploadForm(initial={"idempotency_key": key}, auto_id=SCAN_IDS),
        "code_sent": code_sent,
    }


@never_cache
@operator_required
@require_GET
def consent(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    application = _draft_or_404(request, public_id)
    if not application.is_draft:
        return redirect("applications:assisted_done", public_id=application.public_id)
    if not assisted_answers_complete(application):
        messages.error(request, _("Some answers are missing or not right. Go back to the form."))
        return redirect("applications:assisted_form", public_id=application.public_id)
    context = _consent_context(application, code_sent=request.GET.get("sent") == "1")
    return render(request, "applications/assisted/consent.html", context)


@never_cache
@operator_required
@require_POST
def consent_code_send(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    application = _draft_or_404(request, public_id)
    if not application.is_draft:
        return redirect("applications:assisted_done", public_id=application.public_id)
    try:
        assisted_consent_code_send(operator=_operator(request), application=application, request=request)
    except ApplicationError as error:
        messages.error(request, error.message)
        if error.code == "incomplete":
            return redirect("applications:assisted_form", public_id=application.public_id)
        return redirect("applications:assisted_consent", public_id=application.public_id)
    messages.success(request, _("The code was sent. Ask the citizen to read it to you from their phone."))
    url = reverse("applications:assisted_consent", kwargs={"public_id": application.public_id})
    return redirect(f"{url}?sent=1#consent-code")


@never_cache
@operator_required
@require_POST
def consent_code_submit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    application = _draft_or_404(request, public_id)
    form = ConsentCodeForm(request.POST, auto_id=CODE_IDS)
    if form.is_valid():
        try:
            submitted = assisted_submit_with_code(
                operator=_operator(request), application=application, code=form.cleaned_data["code"],
                idempotency_key=form.cleaned_data["idempotency_key"], request=request,
            )
        except ApplicationError as error:
            if error.code == "incomplete":
                messages.error(request, error.message)
                return redirect("applications:assisted_form", public_id=application.public_id)
            form.add_error("code" if error.code in ("wrong", "expired", "exhausted") else None, error.message)
        else:
            return redirect("applications:assisted_done", public_id=submitted.public_id)
    if not application.is_draft:
        return redirect("applications:assisted_done", public_id=application.public_id)
    context = _consent_context(application, code_form=form, code_sent=True)
    return render(request, "applications/assisted/consent.html", context, status=400)


@csrf_exempt  # only so the upload limit is installed before the body is read: checked just below
@never_cache
@operator_required
@require_POST
def consent_form_submit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    upload_limits_install(request, {"signed_form": megabytes(CONSENT_FORM_MAX_SIZE_MB)})
    return _consent_form_submit(request, public_id)


@csrf_protect
def _consent_form_submit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    application = _draft_or_404(request, public_id)
    form = ConsentFormUploadForm(request.POST, request.FILES, auto_id=SCAN_IDS)
    if refused_uploads(request).get("signed_form") == "too_big":
        form.add_error("signed_form", too_big_message(megabytes(CONSENT_FORM_MAX_SIZE_MB)))
    if form.is_valid():
        try:
            submitted = assisted_submit_with_signed_form(
                operator=_operator(request), application=application, upload=form.cleaned_data["signed_form"],
                idempotency_key=form.cleaned_data["idempotency_key"], request=request,
            )
        except ApplicationError as error:
            if error.code == "incomplete":
                messages.error(request, error.message)
                return redirect("applications:assisted_form", public_id=application.public_id)
            form.add_error("signed_form" if error.code not in ("forbidden", "not_draft") else None, error.message)
        else:
            return redirect("applications:assisted_done", public_id=submitted.public_id)
    if not application.is_draft:
        return redirect("applications:assisted_done", public_id=application.public_id)
    context = _consent_context(application, upload_form=form)
    return render(request, "applications/assisted/consent.html", context, status=400)


@never_cache
@operator_required
@require_GET
def consent_form_print(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The consent form to print, have signed (or thumb-printed), scan and upload."""
    application = _draft_or_404(request, public_id)
    context = {"application": application, "operator": _operator(request),
               "phone_display": display_mobile_number(application.applicant.phone_number or "")}
    return render(request, "applications/assisted/consent_print.html", context)


# --- 4. the receipt ------------------------------------------------------------------------------

@never_cache
@operator_required
@require_GET
def done(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    application = _draft_or_404(request, public_id)
    if application.is_draft:
        return redirect("applications:assisted_form", public_id=application.public_id)
    # Once submitted it is the citizen's file: every look at it is on their access record.
    application_file_open(application=application, actor=_operator(request), request=request,
                          reason=REASON_GIVING_THE_REFERENCE)
    context = {"application": application, "consent": consent_of(application),
               "phone_display": display_mobile_number(application.applicant.phone_number or "")}
    return render(request, "applications/assisted/done.html", context)


@never_cache
@operator_required
@require_GET
def slip(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The receipt slip to print and hand over: reference, fee, payment reference, where to
    pay. A page of its own, laid out for an 80 mm receipt printer or A6 (print CSS): the
    browser's Print works on it without JavaScript."""
    application = _draft_or_404(request, public_id)
    if application.is_draft:
        return redirect("applications:assisted_form", public_id=application.public_id)
    application_file_open(application=application, actor=_operator(request), request=request,
                          reason=REASON_GIVING_THE_REFERENCE)
    context = {"application": application,
               "phone_display": display_mobile_number(application.applicant.phone_number or "")}
    return render(request, "applications/assisted/slip.html", context)


# --- the citizen: who opened my file --------------------------------------------------------------

@never_cache
@login_required
@require_GET
def access_log(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The full access record of one of the citizen's own files; anyone else's is a 404."""
    application = get_object_or_404(
        Application.objects.select_related("service_version", "center", "agency"),
        public_id=public_id, applicant_id=request.user.pk,
    )
    context = {"application": application, "access_events": access_events(application),
               "consent": consent_of(application)}
    return render(request, "applications/assisted/access_log_page.html", context)
