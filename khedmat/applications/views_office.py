"""The agency back office: the inbox and the file page. Thin views over selectors and services.

Every page here is for an officer, approver or agency administrator who gave their second
factor (`agency_staff_required`); a file of another agency is a 404. Every display of a
file is written to the audit trail with the applicant as subject.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from khedmat.accounts.roles import Role
from khedmat.core.formatting import format_number
from khedmat.core.parsing import parse_int_or_none
from khedmat.core.redirects import safe_next_url

from .access import agency_staff_required, agency_supervisor_required
from .models import Application
from .office_forms import ActionForm, AssignForm, BulkAssignForm, InboxFilterForm, MessageForm, NoteForm
from .selectors.inbox import PAGE_SIZE, inbox_page
from .selectors.office import (
    agency_colleagues,
    inbox_filter_choices,
    inbox_rows,
    office_application_get,
    office_file,
    state_label,
)
from .selectors.workload import agency_workload
from .services import (
    ApplicationError,
    application_act,
    application_assign,
    application_claim,
    application_file_open,
    application_release,
    applications_assign_bulk,
    correction_request,
    message_to_applicant,
    note_add,
    workflow_role,
)

if TYPE_CHECKING:
    from khedmat.accounts.models import User

# --- the inbox -------------------------------------------------------------------------------


def _chosen_service(request: HttpRequest) -> int | None:
    """The service the inbox's filter names (any number: the form checks it is the agency's)."""
    return parse_int_or_none(request.GET.get("service", ""), minimum=1, maximum=2**63 - 1)


@never_cache
@agency_staff_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    choices = inbox_filter_choices(agency_id=user.agency_id, service_id=_chosen_service(request))  # type: ignore[arg-type]
    form = InboxFilterForm(request.GET or None, choices=choices)
    filters = form.filters()
    after = request.GET.get("after", "")
    page = inbox_page(officer=user, filters=filters, after=after, limit=PAGE_SIZE)
    query = {key: value for key, value in form.data.items() if key != "after"}
    context = {
        "form": form,
        "rows": inbox_rows(page.rows),
        "is_first_page": not after,
        "is_search": bool(filters.search),
        "first_url": _with_query(request.path, query),
        "next_url": _with_query(request.path, {**query, "after": page.next_cursor}) if page.next_cursor else "",
        "here": request.get_full_path(),
        "bulk_form": BulkAssignForm(colleagues=choices.colleagues),
        "is_supervisor": user.role == Role.AGENCY_ADMIN,
        "agency_name": choices.agency_name or user.agency.name,  # type: ignore[union-attr]
    }
    return render(request, "applications/office/inbox.html", context)


@never_cache
@agency_staff_required
@require_POST
def assign_bulk(request: HttpRequest) -> HttpResponse:
    """Assign the files ticked in the inbox to one colleague; back to the inbox with a report."""
    user: User = request.user  # type: ignore[assignment]
    form = BulkAssignForm(request.POST, colleagues=agency_colleagues(agency_id=user.agency_id))  # type: ignore[arg-type]
    back = safe_next_url(request, request.POST.get("next")) or reverse("applications:office_inbox")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    assignee = form.cleaned_data["assignee"]
    try:
        result = applications_assign_bulk(actor=user, assignee=assignee, items=form.cleaned_data["ticked"],
                                          request=request)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(back)
    name = assignee.full_name or assignee.username
    done = len(result.assigned) + len(result.unchanged)
    if done:
        messages.success(request, ngettext(
            "%(count)s file is assigned to %(name)s.", "%(count)s files are assigned to %(name)s.", done)
            % {"count": format_number(done), "name": name})
    for refusal in result.refused:
        messages.warning(request, refusal)
    if result.missing:
        messages.error(request, ngettext(
            "%(count)s ticked file is not an open file of your agency: it was left alone.",
            "%(count)s ticked files are not open files of your agency: they were left alone.", result.missing)
            % {"count": format_number(result.missing)})
    return redirect(back)


@never_cache
@agency_supervisor_required
@require_GET
def workload(request: HttpRequest) -> HttpResponse:
    """Open files per officer against the time standard: for the agency's supervisors only."""
    user: User = request.user  # type: ignore[assignment]
    view = agency_workload(agency_id=user.agency_id)  # type: ignore[arg-type]
    return render(request, "applications/office/workload.html", {"workload": view})


def _with_query(path: str, query: dict[str, Any]) -> str:
    return f"{path}?{urlencode(query)}" if query else path


# --- the file page ----------------------------------------------------------------------------

def _file_or_404(request: HttpRequest, public_id: uuid.UUID) -> Application:
    user: User = request.user  # type: ignore[assignment]
    application = office_application_get(officer=user, public_id=public_id)
    if application is None:
        raise Http404
    # The file is of the officer's own agency (the selector says so): the officer's agency is
    # the one read with it, not read again (the audit record names its code).
    agency = user._meta.get_field("agency")
    if application.agency_id == user.agency_id and not agency.is_cached(user):  # type: ignore[union-attr]
        agency.set_cached_value(user, application.agency)  # type: ignore[union-attr]
    return application


def _file_url(application: Application) -> str:
    return reverse("applications:office_file", kwargs={"public_id": application.public_id})


def _render_file(request: HttpRequest, application: Application, *, status: int = 200,
                 action_error: str = "", bound_action: tuple[str, ActionForm] | None = None,
                 note_form: NoteForm | None = None, message_form: MessageForm | None = None,
                 correction: tuple[list[str], str] = ([], "")) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    # Every display of a file is on the applicant's record, the first and each after it.
    application_file_open(application=application, actor=user, request=request)
    role = workflow_role(user, application)
    view = office_file(application=application, viewer=user, workflow_role=role)
    action_forms = []
    for action in view.actions:
        name = action.transition.name
        if bound_action is not None and bound_action[0] == name:
            form = bound_action[1]
        else:
            form = ActionForm(prefix=name, initial={"expected_state": application.state})
        action_forms.append((action, form))
    context = {
        "file": view,
        "application": application,
        "action_forms": action_forms,
        "action_error": action_error,
        "assign_form": AssignForm(colleagues=view.colleagues, initial={"assignee": application.assigned_to_id}),
        "note_form": note_form or NoteForm(),
        "message_form": message_form or MessageForm(),
        "correction_fields": correction[0],
        "correction_message": correction[1],
    }
    return render(request, "applications/office/file.html", context, status=status)


@never_cache
@agency_staff_required
@require_GET
def file(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _render_file(request, _file_or_404(request, public_id))


@never_cache
@agency_staff_required
@require_POST
def act(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Take one workflow step; a refusal (stale, four-eyes, no reason…) is shown on the file page."""
    application = _file_or_404(request, public_id)
    transition = request.POST.get("transition", "")
    form = ActionForm(request.POST, prefix=transition or "action")
    if not form.is_valid():
        return _render_file(request, application, status=400, bound_action=(transition, form),
                            action_error=_("Check the form below and try again."))
    try:
        application = application_act(
            application=application, actor=request.user, transition=transition,  # type: ignore[arg-type]
            expected_state=form.cleaned_data["expected_state"], reason_code=form.cleaned_data["reason_code"],
            reason_text=form.cleaned_data["reason_text"], request=request,
        )
    except ApplicationError as error:
        application.refresh_from_db()
        if error.code == "stale":  # show the current state's steps, not the stale form
            return _render_file(request, application, status=409, action_error=error.message)
        return _render_file(request, application, status=400, action_error=error.message,
                            bound_action=(transition, form))
    messages.success(request, _("Done. The file is now “%(state)s”.")
                     % {"state": state_label(application)})
    return redirect(_file_url(application))


@never_cache
@agency_staff_required
@require_POST
def send_for_correction(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Send the file back to the applicant to correct the questions ticked (and only those)."""
    application = _file_or_404(request, public_id)
    fields = [str(name)[:40] for name in request.POST.getlist("fields")[:100]]
    message = str(request.POST.get("message", ""))
    try:
        correction_request(application=application, actor=request.user,  # type: ignore[arg-type]
                           fields=fields, message=message,
                           expected_state=str(request.POST.get("expected_state", ""))[:40], request=request)
    except ApplicationError as error:
        application.refresh_from_db()
        return _render_file(request, application, status=409 if error.code == "stale" else 400,
                            action_error=error.message, correction=(fields, message[:2000]))
    messages.success(request, _("The application is sent back to the applicant for correction."))
    return redirect(_file_url(application))


@never_cache
@agency_staff_required
@require_POST
def note_create(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    application = _file_or_404(request, public_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            note_add(application=application, author=request.user, text=form.cleaned_data["text"],  # type: ignore[arg-type]
                     request=request)
        except ApplicationError as error:
            form.add_error("text", error.message)
        else:
            messages.success(request, _("Note added."))
            return redirect(f"{_file_url(application)}#notes")
    return _render_file(request, application, status=400, note_form=form)


@never_cache
@agency_staff_required
@require_POST
def message_send(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    application = _file_or_404(request, public_id)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            message_to_applicant(application=application, author=request.user,  # type: ignore[arg-type]
                                 text=form.cleaned_data["text"], request=request)
        except ApplicationError as error:
            form.add_error("text", error.message)
        else:
            messages.success(request, _("Message sent to the applicant."))
            return redirect(f"{_file_url(application)}#messages")
    return _render_file(request, application, status=400, message_form=form)


# --- assignment ---------------------------------------------------------------------------------

def _back(request: HttpRequest, application: Application) -> HttpResponseRedirect:
    """Back where the form was (the inbox keeps its filters), else to the file page."""
    next_url = safe_next_url(request, request.POST.get("next"))
    return redirect(next_url or _file_url(application))


@never_cache
@agency_staff_required
@require_POST
def claim(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    application = _file_or_404(request, public_id)
    try:
        application_claim(application=application, officer=request.user, request=request)  # type: ignore[arg-type]
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(reference)s is assigned to you.") % {"reference": application.reference})
    return _back(request, application)


@never_cache
@agency_staff_required
@require_POST
def release(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    application = _file_or_404(request, public_id)
    try:
        application_release(application=application, actor=request.user, request=request)  # type: ignore[arg-type]
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(reference)s is no longer assigned.") % {"reference": application.reference})
    return _back(request, application)


@never_cache
@agency_staff_required
@require_POST
def assign(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    application = _file_or_404(request, public_id)
    form = AssignForm(request.POST, colleagues=agency_colleagues(agency_id=application.agency_id))
    if not form.is_valid():
        messages.error(request, _("Choose a colleague of this agency."))
        return _back(request, application)
    assignee = form.cleaned_data["assignee"]
    try:
        application_assign(application=application, actor=request.user, assignee=assignee,  # type: ignore[arg-type]
                           request=request)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(reference)s is assigned to %(name)s.")
                         % {"reference": application.reference, "name": assignee.full_name or assignee.username})
    return _back(request, application)
