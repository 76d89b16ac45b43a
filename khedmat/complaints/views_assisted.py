"""A complaint filed for someone at a centre by its operator: what happened (start) → the
complainant's consent by a code sent to their phone (consent) → the reference to hand over
(done). What was written waits in the operator's own session under a one-time token until
the code is read out: another operator, or another session, finds nothing there (404).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from khedmat.accounts.gates import signed_in_user, staff_page
from khedmat.accounts.phone import display_mobile_number
from khedmat.applications.selectors import citizen as application_selectors
from khedmat.catalog import selectors as catalog_selectors
from khedmat.centers import selectors as center_selectors

from . import selectors
from .assisted import (
    assisted_complaint_code_send,
    assisted_complaint_file,
    assisted_complaint_open,
    idempotency_key,
    may_file_for_someone,
)
from .assisted_forms import AssistedComplaintForm, ConsentCodeForm, well_formed_token
from .models import Complaint
from .services import ComplaintError

SESSION_KEY = "complaints_assisted"
DRAFTS_KEPT = 10  # a session keeps the latest drafts only

operator_required = staff_page(may_file_for_someone)


def _drafts(request: HttpRequest) -> dict[str, dict[str, Any]]:
    drafts = request.session.get(SESSION_KEY)
    return drafts if isinstance(drafts, dict) else {}


def _keep(request: HttpRequest, token: str, draft: dict[str, Any]) -> None:
    drafts = _drafts(request)
    drafts[token] = draft
    request.session[SESSION_KEY] = dict(list(drafts.items())[-DRAFTS_KEPT:])


def _draft_or_404(request: HttpRequest, token: str) -> dict[str, Any]:
    draft = _drafts(request).get(token) if well_formed_token(token) else None
    if draft is None:
        raise Http404
    return draft


def _choices() -> tuple[list[Any], list[Any]]:
    return list(catalog_selectors.service_list()), list(center_selectors.center_list())


def _resolved(draft: dict[str, Any]) -> dict[str, Any]:
    """The draft's service, centre and application as objects, read again (the application
    checked again against the complainant's number)."""
    service = catalog_selectors.services_by_ids(ids=[draft["service_id"]]).get(draft["service_id"]) \
        if draft.get("service_id") else None
    center = center_selectors.center_by_id(pk=draft["center_id"]) if draft.get("center_id") else None
    application = application_selectors.application_for_phone(
        reference=draft["application_reference"], phone_number=draft["phone"]) \
        if draft.get("application_reference") else None
    return {"service": service, "center": center, "application": application}


def _summary(draft: dict[str, Any]) -> dict[str, Any]:
    resolved = _resolved(draft)
    what = resolved["application"].reference if resolved["application"] is not None else \
        resolved["service"].name if resolved["service"] is not None else \
        resolved["center"].name if resolved["center"] is not None else ""
    return {"about": Complaint.About(draft["about"]).label, "what": what,
            "category": Complaint.Category(draft["category"]).label, "description": draft["description"],
            "phone_display": display_mobile_number(draft["phone"])}


# --- 1. what happened -----------------------------------------------------------------------------

def _from_ticket(request: HttpRequest, operator: Any) -> dict[str, Any]:
    """What the ticket at the operator's counter tells the form (the counter screen's link,
    ?ticket=<id>): its service and its holder's phone. A ticket of another centre tells nothing."""
    ticket = center_selectors.ticket_at_center(center_id=operator.center_id, public_id=request.GET.get("ticket", ""))
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
    operator = signed_in_user(request)
    services, centers = _choices()
    if request.method == "GET":
        initial = {"center": operator.center_id, "form_token": uuid.uuid4().hex, "language": "fa",
                   **_from_ticket(request, operator)}
        form = AssistedComplaintForm(initial=initial, services=services, centers=centers)
        return _start_page(request, form)
    form = AssistedComplaintForm(request.POST, services=services, centers=centers)
    if not form.is_valid():
        return _start_page(request, form, status=400)
    data = form.cleaned_data
    token = data["form_token"]
    if token in _drafts(request):  # the same form sent twice: one code, not two
        return redirect("complaints_assisted:consent", token=token)
    try:
        assisted_complaint_code_send(operator=operator, token=token, phone=data["phone_number"],
                                     language=data["language"], request=request)
    except ComplaintError as error:
        form.add_error(None, error.message)
        return _start_page(request, form, status=429 if error.code == "throttled" else 400)
    _keep(request, token, {
        "phone": data["phone_number"], "language": data["language"], "about": data["about"],
        "category": data["category"], "description": data["description"],
        "service_id": data["service"].pk if data["service"] is not None else None,
        "center_id": data["center"].pk if data["center"] is not None else None,
        "application_reference": data["application"].reference if data["application"] is not None else "",
    })
    messages.success(request, _("The code was sent. Ask the complainant to read it to you from their phone."))
    return redirect("complaints_assisted:consent", token=token)


def _start_page(request: HttpRequest, form: AssistedComplaintForm, status: int = 200) -> HttpResponse:
    operator = signed_in_user(request)
    return render(request, "complaints/assisted/start.html", {
        "form": form, "center": operator.center,
        "recent": selectors.complaints_filed_by_operator(operator=operator)}, status=status)


# --- 2. consent, then filing ------------------------------------------------------------------------

def _filed(request: HttpRequest, token: str) -> Complaint | None:
    return selectors.complaint_filed_by_operator(operator=signed_in_user(request),
                                                 idempotency_key=idempotency_key(token))


def _consent_page(request: HttpRequest, token: str, draft: dict[str, Any], form: ConsentCodeForm | None = None,
                  status: int = 200) -> HttpResponse:
    return render(request, "complaints/assisted/consent.html", {
        "token": token, "summary": _summary(draft), "form": form or ConsentCodeForm()}, status=status)


@never_cache
@operator_required
@require_GET
def consent(request: HttpRequest, token: str) -> HttpResponse:
    draft = _draft_or_404(request, token)
    filed = _filed(request, token)
    if filed is not None:  # back to a page already done: its reference, not a second filing
        return redirect("complaints_assisted:done", public_id=filed.public_id)
    return _consent_page(request, token, draft)


@never_cache
@operator_required
@require_POST
def code_send(request: HttpRequest, token: str) -> HttpResponse:
    draft = _draft_or_404(request, token)
    filed = _filed(request, token)
    if filed is not None:  # filed already: no new code to anyone's phone
        return redirect("complaints_assisted:done", public_id=filed.public_id)
    try:
        assisted_complaint_code_send(operator=signed_in_user(request), token=token, phone=draft["phone"],
                                     language=draft["language"], request=request)
    except ComplaintError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("A new code was sent. Only the latest code is good."))
    return redirect("complaints_assisted:consent", token=token)


@never_cache
@operator_required
@require_POST
def file_with_code(request: HttpRequest, token: str) -> HttpResponse:
    draft = _draft_or_404(request, token)
    form = ConsentCodeForm(request.POST)
    if form.is_valid():
        resolved = _resolved(draft)
        try:
            complaint = assisted_complaint_file(
                operator=signed_in_user(request), token=token, code=form.cleaned_data["code"], about=draft["about"],
                category=draft["category"], description=draft["description"], phone=draft["phone"],
                language=draft["language"], service=resolved["service"], center=resolved["center"],
                application=resolved["application"], request=request)
        except ComplaintError as error:
            form.add_error("code" if error.code in ("wrong", "expired", "exhausted") else None, error.message)
        else:
            return redirect("complaints_assisted:done", public_id=complaint.public_id)
    return _consent_page(request, token, draft, form, status=400)


# --- 3. the reference to hand over ------------------------------------------------------------------

@never_cache
@operator_required
@require_GET
def done(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    operator = signed_in_user(request)
    complaint = selectors.complaint_filed_at_center(operator=operator, public_id=public_id)
    if complaint is None:
        raise Http404
    assisted_complaint_open(operator=operator, complaint=complaint, request=request)
    return render(request, "complaints/assisted/done.html", {
        "complaint": complaint, "phone_display": display_mobile_number(complaint.phone)})
