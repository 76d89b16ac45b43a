"""The complainant's pages: file a complaint, find it again, follow it, rate or reopen the answer."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from khedmat.accounts.roles import Role
from khedmat.applications.selectors import citizen as application_selectors
from khedmat.applications.uploads import (
    ACCEPT_ATTRIBUTE,
    DEFAULT_MAX_SIZE_MB,
    megabytes,
    refused_uploads,
    too_big_message,
    upload_limits_install,
)
from khedmat.catalog import selectors as catalog_selectors
from khedmat.centers import selectors as center_selectors
from khedmat.core.formatting import current_language, western_digits
from khedmat.core.ratelimit import Throttle, Throttled, client_ip, guard

from . import selectors, workflow
from .forms import ComplaintForm, LookupForm, RatingForm, StepForm, form_token, new_form_token
from .models import Complaint
from .references import normalize_reference
from .services import MAX_ATTACHMENTS, ComplaintError, complaint_file, complaint_rate, complaint_transition

ATTACHMENTS_FIELD = "attachments"


def _choices(request: HttpRequest) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    services = [(service.slug, service.name) for service in catalog_selectors.service_list()]
    centers = [(center.slug, center.name) for center in center_selectors.center_list()]
    return services, centers


def _own_application(request: HttpRequest, public_id: str) -> Any:
    """The signed-in citizen's own submitted file named in the link, else None."""
    user = request.user
    if not public_id or not user.is_authenticated or getattr(user, "role", None) != Role.CITIZEN:
        return None
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    application = application_selectors.citizen_application_get(applicant=user, public_id=key)  # type: ignore[arg-type]
    return application if application is not None and not application.is_draft else None


def _filing_throttles(ip: str) -> tuple[Throttle, Throttle]:
    per_ip = Throttle.from_setting("THROTTLE_COMPLAINT_PER_IP", scope="complaint-ip").for_address(ip)
    return per_ip, Throttle.from_setting("THROTTLE_COMPLAINT_PER_PHONE", scope="complaint-phone")


@csrf_exempt  # the upload limits go in before anything reads the body; CSRF is checked below
@never_cache
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    """The public form: anyone may complain, anonymously if they wish, with a number for the answer."""
    if request.method == "POST":
        upload_limits_install(request, {ATTACHMENTS_FIELD: megabytes(DEFAULT_MAX_SIZE_MB)})
    return _new(request)


@csrf_protect
def _new(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    application = _own_application(request, str(source.get("application", "")))
    services, centers = _choices(request)
    user: Any = request.user
    citizen = user if user.is_authenticated and getattr(user, "role", None) == Role.CITIZEN else None
    if request.method == "GET":
        about = Complaint.About.APPLICATION if application is not None else \
            Complaint.About.CENTER if request.GET.get("center") else Complaint.About.SERVICE
        initial = {"about": about, "service": request.GET.get("service", ""), "center": request.GET.get("center", ""),
                   "phone": getattr(citizen, "phone_number", "") or ""}
        form = ComplaintForm(initial=initial, services=services, centers=centers,
                             with_application=application is not None)
        return _new_page(request, form, application, new_form_token())
    form = ComplaintForm(request.POST, services=services, centers=centers, with_application=application is not None)
    token = form_token(request.POST) or new_form_token()
    refused = refused_uploads(request)
    if refused:
        form.add_error(None, too_big_message(megabytes(DEFAULT_MAX_SIZE_MB)))
    if not form.is_valid():
        return _new_page(request, form, application, token, status=400)
    data = form.cleaned_data
    ip = client_ip(request)
    per_ip, per_phone = _filing_throttles(ip)
    try:
        guard((per_ip, ip), (per_phone, data["phone"]))
    except Throttled as throttled:
        form.add_error(None, throttled.message)
        return _new_page(request, form, application, token, status=429)
    slugs = dict(services)
    try:
        complaint = complaint_file(
            about=data["about"], category=data["category"], description=data["description"], phone=data["phone"],
            channel=Complaint.Channel.WEB, language=current_language(), filed_by=citizen,
            service=catalog_selectors.service_get(slug=data["service"]) if data["service"] in slugs else None,
            center=center_selectors.center_by_slug(slug=data["center"]) if data["center"] else None,
            application=application if data["about"] == Complaint.About.APPLICATION else None,
            anonymous=data["anonymous"], attachments=request.FILES.getlist(ATTACHMENTS_FIELD),
            idempotency_key=token, request=request)
    except ComplaintError as error:
        form.add_error(None, error.message)
        return _new_page(request, form, application, token, status=400)
    messages.success(request, _("Your complaint was received. We sent its reference to your phone."))
    return redirect("complaints:detail", public_id=complaint.public_id)


def _new_page(request: HttpRequest, form: ComplaintForm, application: Any, token: str,
              status: int = 200) -> HttpResponse:
    return render(request, "complaints/new.html", {
        "form": form, "application": application, "form_token": token, "accept": ACCEPT_ATTRIBUTE,
        "max_files": MAX_ATTACHMENTS, "max_mb": DEFAULT_MAX_SIZE_MB}, status=status)


def _lookup_throttles(ip: str) -> tuple[Throttle, Throttle]:
    per_ip = Throttle.from_setting("THROTTLE_COMPLAINT_LOOKUP_PER_IP", scope="complaint-lookup-ip").for_address(ip)
    return per_ip, Throttle.from_setting("THROTTLE_COMPLAINT_LOOKUP_PER_REFERENCE",
                                         scope="complaint-lookup-reference")


@never_cache
@require_http_methods(["GET", "POST"])
def find(request: HttpRequest) -> HttpResponse:
    """A reference and the number it was filed with → the complaint's page. Any wrong pair gets
    the same answer; attempts are counted per address and per reference."""
    form = LookupForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST":
        ip = client_ip(request)
        per_ip, per_reference = _lookup_throttles(ip)
        try:
            guard((per_ip, ip), (per_reference, normalize_reference(str(request.POST.get("reference", "")))))
        except Throttled as throttled:
            context["throttle_message"] = throttled.message
            return render(request, "complaints/find.html", context, status=429)
        if form.is_valid():
            complaint = selectors.complaint_by_reference_and_phone(reference=form.cleaned_data["reference"],
                                                                   phone=form.cleaned_data["phone"])
            if complaint is not None:
                return redirect("complaints:detail", public_id=complaint.public_id)
            context["not_found"] = True
    return render(request, "complaints/find.html", context)


@never_cache
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """A signed-in citizen's complaints (anyone else: the look-up)."""
    user: Any = request.user
    if not user.is_authenticated or getattr(user, "role", None) != Role.CITIZEN:
        return redirect("complaints:find")
    return render(request, "complaints/mine.html", {"complaints": selectors.complaints_of(user=user)})


def _complaint_or_404(public_id: uuid.UUID) -> Complaint:
    complaint = selectors.complaint_by_public_id(public_id=public_id)
    if complaint is None:
        raise Http404
    return complaint


def _detail_page(request: HttpRequest, complaint: Complaint, *, error: str = "", status: int = 200,
                 step_form: StepForm | None = None) -> HttpResponse:
    can = {t.name for t in workflow.steps_available(complaint.state, workflow.COMPLAINANT)}
    until = selectors.reopen_until(complaint)
    may_reopen = workflow.REOPEN in can and until is not None and timezone.localdate() <= until
    return render(request, "complaints/detail.html", {
        "complaint": complaint, "state_label": workflow.STATE_TEXT[complaint.state],
        "history": [(event, workflow.STEP_TEXT.get(event.step, event.step))
                    for event in selectors.history(complaint=complaint, internal=False)],
        "may_rate": complaint.answered_at is not None and complaint.rating is None
        and complaint.state in (workflow.ANSWERED, workflow.CLOSED),
        "may_accept": workflow.ACCEPT in can, "may_reopen": may_reopen, "reopen_until": until,
        "rating_form": RatingForm(), "step_form": step_form or StepForm(), "error": error,
        "about_text": complaint.get_about_display(), "category_text": complaint.get_category_display(),
    }, status=status)


@never_cache
@require_GET
def detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The complaint's own page: its link, sent by SMS to the number it was filed with, is its key."""
    return _detail_page(request, _complaint_or_404(public_id))


@never_cache
@require_POST
def act(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The complainant accepts the answer or reopens the complaint."""
    complaint = _complaint_or_404(public_id)
    form = StepForm(request.POST)
    if not form.is_valid() or form.cleaned_data["step"] not in (workflow.ACCEPT, workflow.REOPEN):
        return _detail_page(request, complaint, error=_("This step is not possible now."), status=400)
    try:
        complaint_transition(complaint=complaint, step=form.cleaned_data["step"],
                             expected_state=form.cleaned_data["expected_state"], as_complainant=True,
                             text=form.cleaned_data["text"], request=request)
    except ComplaintError as error:
        status = 409 if error.code == "stale" else 400
        return _detail_page(request, complaint, error=error.message, status=status, step_form=form)
    messages.success(request, _("Done. We sent you an SMS."))
    return redirect("complaints:detail", public_id=complaint.public_id)


@never_cache
@require_POST
def rate(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    complaint = _complaint_or_404(public_id)
    form = RatingForm({"rating": western_digits(str(request.POST.get("rating", "")))[:2]})  # "۴" is 4
    if not form.is_valid():
        return _detail_page(request, complaint, error=_("Choose from 1 to 5."), status=400)
    try:
        complaint_rate(complaint=complaint, rating=form.cleaned_data["rating"], request=request)
    except ComplaintError as error:
        return _detail_page(request, complaint, error=error.message, status=400)
    messages.success(request, _("Thank you for rating the answer."))
    return redirect("complaints:detail", public_id=complaint.public_id)
