"""The staff side: the complaints inbox and a complaint's page with its actions (under /office/)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from khedmat.accounts.gates import staff_page
from khedmat.accounts.roles import AGENCY_ROLES, Role
from khedmat.applications.uploads import download_name
from khedmat.audit.services import audit_record

from . import selectors, workflow
from .forms import StepForm
from .models import Complaint
from .services import ComplaintError, complaint_transition


def _answers_complaints(user: Any) -> bool:
    return (user.role in AGENCY_ROLES and user.agency_id is not None) or \
        (user.role == Role.CENTER_MANAGER and user.center_id is not None) or selectors.is_ombudsman(user)


complaints_staff_required = staff_page(
    _answers_complaints, audience=gettext_lazy("an agency's staff, a center's managers and the ombudsman desk"))
SHOWS = ("open", "answered", "closed")


@never_cache
@complaints_staff_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    show = show if show in SHOWS else "open"
    rows = list(selectors.staff_inbox(user=request.user, show=show)[:200])  # type: ignore[arg-type]
    return render(request, "complaints/staff/inbox.html", {
        "rows": [(complaint, workflow.STATE_TEXT[complaint.state]) for complaint in rows], "show": show,
        "shows": [("open", _("Open")), ("answered", _("Answered")), ("closed", _("Closed"))],
    })


def _get_or_404(request: HttpRequest, public_id: uuid.UUID) -> Complaint:
    complaint = selectors.staff_complaint_get(user=request.user, public_id=public_id)  # type: ignore[arg-type]
    if complaint is None:
        raise Http404
    return complaint


def _page(request: HttpRequest, complaint: Complaint, *, form: StepForm | None = None, error: str = "",
          status: int = 200) -> HttpResponse:
    steps = workflow.steps_available(complaint.state, workflow.HANDLER)
    if complaint.investigation_opened_at is not None:
        steps = [step for step in steps if step.name != workflow.OPEN_INVESTIGATION]
    return render(request, "complaints/staff/detail.html", {
        "complaint": complaint, "state_label": workflow.STATE_TEXT[complaint.state],
        "steps": [(step, workflow.ACTION_TEXT[step.name]) for step in steps],
        "history": [(event, workflow.STEP_TEXT.get(event.step, event.step))
                    for event in selectors.history(complaint=complaint, internal=True)],
        "form": form or StepForm(), "error": error,
        "about_text": complaint.get_about_display(), "category_text": complaint.get_category_display(),
        "attachments": list(complaint.attachments.all()),
    }, status=status)


@never_cache
@complaints_staff_required
@require_GET
def detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """A complaint, for those who answer for it; every reading is audited (who opened my file)."""
    complaint = _get_or_404(request, public_id)
    audit_record(action="complaints.viewed", target_type="complaint", target_id=complaint.reference,
                 actor=request.user, subject=complaint.complainant, request=request, seal_soon=True)
    return _page(request, complaint)


@never_cache
@complaints_staff_required
@require_POST
def act(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    complaint = _get_or_404(request, public_id)
    form = StepForm(request.POST)
    if not form.is_valid():
        return _page(request, complaint, form=form, error=_("This step is not possible now."), status=400)
    try:
        complaint_transition(complaint=complaint, step=form.cleaned_data["step"],
                             expected_state=form.cleaned_data["expected_state"], actor=request.user,  # type: ignore[arg-type]
                             text=form.cleaned_data["text"], request=request)
    except ComplaintError as error:
        return _page(request, complaint, form=form, error=error.message, status=409 if error.code == "stale" else 400)
    messages.success(request, _("Done. The complainant is told by SMS."))
    return redirect("complaints:staff_detail", public_id=complaint.public_id)


@never_cache
@complaints_staff_required
@require_GET
def attachment(request: HttpRequest, public_id: uuid.UUID, attachment_id: uuid.UUID) -> HttpResponse:
    complaint = _get_or_404(request, public_id)
    item = complaint.attachments.filter(public_id=attachment_id).first()
    if item is None:
        raise Http404
    audit_record(action="complaints.attachment_downloaded", target_type="complaint", target_id=complaint.reference,
                 actor=request.user, subject=complaint.complainant, request=request, data={"sha256": item.sha256})
    response = FileResponse(item.file.open("rb"), as_attachment=True, content_type=item.content_type,
                            filename=download_name(item.original_name, item.content_type))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response  # type: ignore[return-value]  # a FileResponse streams
