"""The citizen's pages: apply online, drafts, my applications, answering the agency, the
public status check, and the checked download of a file's documents (used by the back
office too).

Pages that receive files are `csrf_exempt` outside and `csrf_protect` inside: the upload
limits must be in place before anything (the CSRF check included) reads the request body.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from khedmat.accounts.phone import display_mobile_number
from khedmat.accounts.roles import Role
from khedmat.catalog import fragments
from khedmat.core.formatting import current_language
from khedmat.core.ratelimit import Throttle, Throttled, client_ip, guard

from .forms import (
    ANSWER_DOCUMENT_PREFIX,
    AnswerForm,
    ApplicationForm,
    DocumentSlot,
    RelationshipForm,
    StatusCheckForm,
    WithdrawForm,
    check_uploads,
    document_slots,
    format_solar_hijri_input,
    new_submission_token,
    normalize_reference,
    partial_form,
    submission_token,
    upload_field_limits,
)
from .formschema import answers_for_display
from .handover import version_form_definition
from .models import Application, Document
from .selectors import citizen as selectors
from .services.core import ApplicationError, application_submit
from .services.corrections import application_withdraw, correction_submit, open_correction
from .services.documents import document_download_record
from .services.drafts import application_draft_discard, application_draft_store, application_file
from .services.messages import application_applicant_answer
from .uploads import download_name, refused_uploads, upload_limits_install
from .workflow import WITHDRAWN_STATE, Workflow

if TYPE_CHECKING:
    from khedmat.catalog.models import Service

ACCESS_LOG_TEMPLATE = "applications/citizen/_access_log.html"
View = Callable[..., HttpResponse]


def citizen_required(view: View) -> View:
    """Signed in as a citizen; anyone not signed in goes to the citizen sign-in and comes back."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
        if getattr(user, "role", None) != Role.CITIZEN:
            raise Http404
        return view(request, *args, **kwargs)
    return wrapper


def _own_or_404(request: HttpRequest, public_id: uuid.UUID) -> Application:
    application = selectors.citizen_application_get(applicant=request.user, public_id=public_id)  # type: ignore[arg-type]
    if application is None:
        raise Http404
    return application


# --- applying ---------------------------------------------------------------------------------

@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def apply(request: HttpRequest, slug: str) -> HttpResponse:
    """A new application for a service, from its current definition.

    What the page needs of the service is kept under the catalog version and read in one cache
    round trip a request: the form with the service (GET), the service with the definition its
    post is checked against (POST)."""
    if request.method == "POST":
        found = selectors.online_application_kept(slug=slug)
        if found is None:
            raise Http404
        service, definition = found
        assert service.current_version is not None
        upload_limits_install(request, upload_field_limits(document_slots(service.current_version.definition)))
        return _application_page(request, service=service, draft=None, definition=definition)
    language = current_language()
    # A new application's form is the same for everyone in a language until the catalog
    # changes: its parts are rendered once and kept (no token, no person in them), and each
    # process keeps its own copy while the catalog version stays (the page only reads them).
    page = fragments.cached("apply-page", slug, language, render=lambda: _blank_page(slug, language),
                            in_process=True)
    if page is None:
        raise Http404
    service, fee_box, fields = page
    return _application_page(request, service=service, draft=None, blank_parts=(fee_box, fields))


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def draft_edit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Resume a draft, under the definition it was started with."""
    draft = _own_or_404(request, public_id)
    if not draft.is_draft:
        return redirect(draft.get_absolute_url())
    if request.method == "POST":
        upload_limits_install(request, upload_field_limits(document_slots(draft.service_version.definition)))
    return _application_page(request, service=draft.service, draft=draft)


@csrf_protect
def _application_page(request: HttpRequest, *, service: Service, draft: Application | None,
                      definition: dict[str, Any] | None = None,
                      blank_parts: tuple[str, str] | None = None) -> HttpResponse:
    """`definition`: the form definition already at hand (a new application's post);
    `blank_parts`: the kept fee schedule and fields of a new application's blank form (its GET)."""
    user = request.user
    version = draft.service_version if draft is not None else service.current_version
    assert version is not None
    language = current_language()
    if request.method == "GET" and draft is None:
        assert blank_parts is not None
        earlier = selectors.draft_in_progress(applicant=user, service=service)  # type: ignore[arg-type]
        return _render_application_page(request, service, version, None, None, new_submission_token(),
                                        earlier_draft=earlier, parts=blank_parts)
    if definition is None:
        definition = version_form_definition(version)
    if request.method == "GET":
        form = ApplicationForm(definition=definition, language=language, draft=draft)
        form.applicant_form = RelationshipForm(initial=_applicant_initial(draft))
        return _render_application_page(request, service, version, draft, form, new_submission_token())

    token = submission_token(request.POST) or new_submission_token()
    form = ApplicationForm(definition=definition, language=language, draft=draft, post=request.POST,
                           files=request.FILES, refused=refused_uploads(request))
    form.applicant_form = RelationshipForm(request.POST)
    applicant_ok = form.applicant_form.is_valid()
    applicant_info = dict(form.applicant_form.cleaned_data) if applicant_ok else None
    if draft is None and form.action == "submit" and applicant_ok and form.complete_as_sent():
        # Complete in one post: the application, its files and the submission in one
        # transaction. A token already used (a double click, a browser retry) breaks its
        # unique constraint: nothing of this post is kept and the application filed with it
        # is shown, with no look for it first on every post.
        filed = application_file(applicant=user, service=service, data=form.draft_data,  # type: ignore[arg-type]
                                 idempotency_key=token, uploads=form.uploads, applicant_info=applicant_info,
                                 request=request)
        return redirect("applications:submitted", public_id=filed.public_id)
    done = selectors.submitted_with_token(applicant=user, token=token)  # type: ignore[arg-type]
    if done is not None:
        # A double click, a browser retry or a re-posted page: the application already went.
        return redirect("applications:submitted", public_id=done)
    created_now = False
    if form.action in ("save", "submit", "remove_document") or form.uploads or draft is not None:
        kept: list[Document] = []
        try:
            stored = application_draft_store(applicant=user, service=service, data=form.draft_data,  # type: ignore[arg-type]
                                             application=draft, uploads=form.uploads,
                                             remove_documents=form.documents_to_remove(draft),
                                             applicant_info=applicant_info, kept=kept)
        except ApplicationError as error:
            messages.error(request, error.message)
            if draft is not None:
                return redirect(draft.get_absolute_url())
            return redirect(service.get_absolute_url())
        created_now, draft = draft is None, stored
        # A draft made just now holds only the files this post sent: no need to read them back.
        form.attach_stored(draft, kept if created_now else None)

    if form.action == "submit" and draft is not None:
        if form.is_valid() and applicant_ok:
            submitted = application_submit(application=draft, idempotency_key=token, actor=user,  # type: ignore[arg-type]
                                           request=request)
            if submitted.pk != draft.pk and created_now:
                # A parallel post of the same page won: the draft this one made is not needed.
                application_draft_discard(applicant=user, application=draft)  # type: ignore[arg-type]
            return redirect("applications:submitted", public_id=submitted.public_id)
    elif form.action == "save" and draft is not None and not form.has_upload_errors:
        messages.success(request, _("Your draft is saved. Come back to it any time from My applications."))
        return redirect("applications:draft_edit", public_id=draft.public_id)
    return _render_application_page(request, service, version, draft, form, token)


def _applicant_initial(draft: Application | None) -> dict[str, Any]:
    if draft is None or not draft.for_someone_else:
        return {"applicant_for": RelationshipForm.FOR_ME}
    born = draft.applicant_date_of_birth
    return {"applicant_for": RelationshipForm.FOR_SOMEONE, "applicant_name": draft.applicant_name,
            "applicant_tazkira": draft.applicant_tazkira, "applicant_relationship": draft.applicant_relationship,
            "applicant_date_of_birth": format_solar_hijri_input(born) if born else ""}


def _applicant_errors(applicant_form: RelationshipForm | None) -> list[tuple[str, str]]:
    if applicant_form is None or not applicant_form.is_bound:
        return []
    return [(f"id_{name}", f"{applicant_form.fields[name].label}: {message}")
            for name, errors in applicant_form.errors.items() if name in applicant_form.fields for message in errors]


def _blank_page(slug: str, language: str) -> tuple[Service, str, str] | None:
    """The service open for online applications at `slug` (None if there is none), with the fee
    schedule and the fields of its blank form in `language`: what `apply` keeps."""
    found = selectors.online_application_kept(slug=slug)  # the post's kept read, made ready here too
    if found is None:
        return None
    service, definition = found
    return (service, *_blank_form_parts(service, service.current_version, definition, language))


def _blank_form_parts(service: Service, version: Any, definition: dict[str, Any], language: str) -> tuple[str, str]:
    """The fee schedule and the fields of a new application's form, as every applicant first
    sees them (rendered without the request: nothing of the visitor goes in)."""
    form = ApplicationForm(definition=definition, language=language)
    form.applicant_form = RelationshipForm(initial=_applicant_initial(None))
    context = {"service": service, "version": version, "draft": None, "form": form,
               "applicant_form": form.applicant_form}
    return (get_template("applications/citizen/_apply_fee.html").render(context),
            get_template("applications/citizen/_apply_fields.html").render(context))


def _render_application_page(request: HttpRequest, service: Service, version: Any, draft: Application | None,
                             form: ApplicationForm | None, token: str,
                             earlier_draft: Application | None = None,
                             parts: tuple[str, str] | None = None) -> HttpResponse:
    """The application page; `parts` are the kept fee schedule and fields of a blank form
    (then `form` is None), otherwise they are rendered from `form`."""
    action = (reverse("applications:draft_edit", kwargs={"public_id": draft.public_id}) if draft is not None
              else reverse("applications:apply", kwargs={"slug": service.slug}))
    applicant_form = form.applicant_form if form is not None else None
    return render(request, "applications/citizen/apply.html", {
        "service": service, "version": version, "draft": draft, "form": form, "token": token,
        "action": action, "earlier_draft": earlier_draft, "applicant_form": applicant_form,
        "errors": (form.error_list() + _applicant_errors(applicant_form)) if form is not None else [],
        "time_standard": selectors.time_standard_text(version.time_standard_days),
        "fee_box": mark_safe(parts[0]) if parts else None,  # noqa: S308 - our own templates' output
        "fields": mark_safe(parts[1]) if parts else None,  # noqa: S308
    })


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def draft_delete(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Throw a draft away (asks first)."""
    draft = _own_or_404(request, public_id)
    if not draft.is_draft:
        return redirect(draft.get_absolute_url())
    if request.method == "POST":
        application_draft_discard(applicant=request.user, application=draft)  # type: ignore[arg-type]
        messages.success(request, _("The draft is deleted."))
        return redirect("applications:mine")
    return render(request, "applications/citizen/draft_delete.html", {
        "draft": draft, "service_name": draft.service_version.name})


@never_cache
@require_GET
@citizen_required
def submitted(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The confirmation: the reference, the date, the deadline, a link to the receipt."""
    application = _own_or_404(request, public_id)
    if application.is_draft:
        return redirect("applications:draft_edit", public_id=application.public_id)
    return render(request, "applications/citizen/submitted.html", _receipt_context(application))


@never_cache
@require_GET
@citizen_required
def receipt(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """A receipt to print or keep: reference, service, dates, official fee, documents sent."""
    application = _own_or_404(request, public_id)
    if application.is_draft:
        return redirect("applications:draft_edit", public_id=application.public_id)
    return render(request, "applications/citizen/receipt.html", _receipt_context(application))


def _receipt_context(application: Application) -> dict[str, Any]:
    file = selectors.citizen_file(application=application)
    phone = application.applicant.phone_number
    return {
        "application": application, "file": file,
        "phone_display": display_mobile_number(phone) if phone else "",
    }


# --- my applications and one file -------------------------------------------------------------

@never_cache
@require_GET
@citizen_required
def mine(request: HttpRequest) -> HttpResponse:
    rows = selectors.citizen_applications(applicant=request.user)  # type: ignore[arg-type]
    return render(request, "applications/citizen/mine.html", {
        "drafts": [row for row in rows if row.is_draft],
        "files": [row for row in rows if not row.is_draft],
    })


@never_cache
@require_GET
@citizen_required
def detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    application = _own_or_404(request, public_id)
    if application.is_draft:
        return redirect("applications:draft_edit", public_id=application.public_id)
    return _detail_page(request, application)


def _detail_page(request: HttpRequest, application: Application, *, answer_form: AnswerForm | None = None,
                 answer_slots: list[DocumentSlot] | None = None, closing_error: str = "",
                 status: int = 200) -> HttpResponse:
    file = selectors.citizen_file(application=application)
    definition = application.service_version.definition
    context: dict[str, Any] = {
        "application": application, "file": file,
        "answer_form": answer_form or AnswerForm(initial={"expected_state": application.state}),
        "answer_slots": answer_slots or document_slots(definition, prefix=ANSWER_DOCUMENT_PREFIX, with_other=True,
                                                       all_optional=True),
        "closing_error": closing_error,
    }
    context.update(_access_log_context(application))
    return render(request, "applications/citizen/detail.html", context, status=status)


def _access_log_context(application: Application) -> dict[str, Any]:
    """The "who opened my file" record, shown on the file page when its include is installed."""
    try:
        get_template(ACCESS_LOG_TEMPLATE)
    except TemplateDoesNotExist:
        return {"access_log_template": None}
    context: dict[str, Any] = {"access_log_template": ACCESS_LOG_TEMPLATE}
    try:
        from .selectors.access_log import access_events
    except ImportError:
        return context
    context["access_events"] = access_events(application)
    return context


@csrf_exempt
@never_cache
@require_POST
@citizen_required
def answer(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Answer a request for more information (text and new files), or another step the
    workflow gives the applicant (such as withdrawing)."""
    application = _own_or_404(request, public_id)
    if application.is_draft:
        raise Http404
    slots = document_slots(application.service_version.definition, prefix=ANSWER_DOCUMENT_PREFIX,
                           with_other=True, all_optional=True)
    upload_limits_install(request, upload_field_limits(slots))
    return _answer(request, application=application, slots=slots)


@csrf_protect
def _answer(request: HttpRequest, *, application: Application, slots: list[DocumentSlot]) -> HttpResponse:
    form = AnswerForm(request.POST)
    uploads = check_uploads(slots, request.FILES, refused_uploads(request))
    workflow = Workflow.of(application.service_version.definition)
    steps = [step for step in workflow.available(application.state, "applicant") if not step.engine]
    if not steps:
        messages.error(request, _("The agency is not waiting for anything from you on this file now."))
        return redirect(application.get_absolute_url())
    transition = str(request.POST.get("transition") or steps[0].name)
    step = next((candidate for candidate in steps if candidate.name == transition), None)
    closing = step is not None and workflow.is_final(step.target)
    if closing and request.POST.get("confirm") != "yes":
        return _detail_page(request, application, closing_error=_("Tick the box to confirm."), status=200)
    if form.is_valid() and not any(slot.errors for slot in slots):
        try:
            application_applicant_answer(
                application=application, applicant=request.user, transition=transition,  # type: ignore[arg-type]
                expected_state=form.cleaned_data["expected_state"], text=form.cleaned_data["text"],
                uploads=[] if closing else uploads, request=request,
            )
        except ApplicationError as error:
            if error.code in ("stale", "not_allowed", "forbidden"):
                messages.error(request, error.message)
                return redirect(application.get_absolute_url())
            form.add_error("text", error.message)
        else:
            messages.success(request, _("Your application is withdrawn.") if closing
                             else _("Your answer is sent to the agency."))
            return redirect(application.get_absolute_url())
    if uploads:
        form.add_error(None, _("Choose your files again: files are not kept when the page comes back."))
    return _detail_page(request, application, answer_form=form, answer_slots=slots)


# --- correcting and withdrawing ---------------------------------------------------------------

@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def correct(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The fields the agency sent back for correction, and only those, to change and send."""
    application = _own_or_404(request, public_id)
    correction = open_correction(application)
    if correction is None:
        if request.method == "POST":
            messages.error(request, _("The agency is not waiting for a correction on this file now."))
        return redirect(application.get_absolute_url())
    definition = application.service_version.definition
    language = current_language()
    if request.method == "POST":
        form = partial_form(definition, correction.fields, language=language, post=request.POST)
        if form.is_valid():
            try:
                correction_submit(application=application, applicant=request.user,  # type: ignore[arg-type]
                                  expected_state=str(request.POST.get("expected_state", "")),
                                  answers=form.cleaned_data, request=request)
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Your corrections are sent to the agency."))
            return redirect(application.get_absolute_url())
        status = 400
    else:
        form = partial_form(definition, correction.fields, language=language, data=application.data)
        status = 200
    schema = definition["form"]
    others = {**schema, "properties": {name: field for name, field in (schema.get("properties") or {}).items()
                                       if name not in correction.fields}}
    return render(request, "applications/citizen/correct.html", {
        "application": application, "file": selectors.citizen_file(application=application),
        "correction": correction, "form": form,
        "errors": [(bound.focus_id, f"{bound.label}: {message}") if bound is not None else ("", message)
                   for bound, message in form.error_list()] if form.show_errors else [],
        "others": answers_for_display(others, application.data or {}, language),
    }, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def withdraw(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Withdraw the application before a decision: asks first; the reason is optional."""
    application = _own_or_404(request, public_id)
    if application.is_draft:
        return redirect("applications:draft_edit", public_id=application.public_id)
    file = selectors.citizen_file(application=application)
    if Workflow.of(application.service_version.definition).withdraw_step(application.state) is None:
        if request.method == "POST" and application.state != WITHDRAWN_STATE:
            messages.error(request, _("This application can no longer be withdrawn."))
        return redirect(application.get_absolute_url())
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            application_withdraw(application=application, applicant=request.user,  # type: ignore[arg-type]
                                 reason=form.cleaned_data["reason"], request=request)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your application is withdrawn."))
        return redirect(application.get_absolute_url())
    return render(request, "applications/citizen/withdraw.html", {
        "application": application, "file": file, "form": form,
    }, status=400 if form.is_bound else 200)


# --- documents -------------------------------------------------------------------------------

@never_cache
@require_GET
def document_download(request: HttpRequest, public_id: uuid.UUID, document_id: uuid.UUID) -> FileResponse:
    """A document of a file, as an attachment, for the applicant and the responsible
    agency's staff only (404 for anyone else); downloads by staff are audited."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("accounts:login"))  # type: ignore[return-value]
    document = selectors.document_for_viewer(user=request.user, application_public_id=public_id,
                                             document_public_id=document_id)
    if document is None:
        raise Http404
    document_download_record(document=document, actor=request.user, request=request)  # type: ignore[arg-type]
    response = FileResponse(document.file.open("rb"), as_attachment=True, content_type=document.content_type,
                            filename=download_name(document.original_name, document.content_type))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- the public status check -------------------------------------------------------------------

def _status_throttles(ip: str) -> tuple[Throttle, Throttle]:
    per_ip = Throttle.from_setting("THROTTLE_STATUS_CHECK_PER_IP", scope="status-ip").for_address(ip)
    return per_ip, Throttle.from_setting("THROTTLE_STATUS_CHECK_PER_REFERENCE", scope="status-reference")


@never_cache
@require_http_methods(["GET", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    """A reference and the mobile number it was filed with → its state and since when.

    Any wrong pair gets the same answer; attempts are counted per address and per reference.
    """
    form = StatusCheckForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST":
        ip = client_ip(request)
        per_ip, per_reference = _status_throttles(ip)
        reference_key = normalize_reference(str(request.POST.get("reference", "")))
        try:
            guard((per_ip, ip), (per_reference, reference_key))
        except Throttled as throttled:
            context["throttle_message"] = throttled.message
            return render(request, "applications/citizen/status.html", context, status=429)
        if form.is_valid():
            result = selectors.status_lookup(reference=form.cleaned_data["reference"],
                                             phone_number=form.cleaned_data["phone_number"])
            context["result"] = result
            context["not_found"] = result is None
    return render(request, "applications/citizen/status.html", context)
