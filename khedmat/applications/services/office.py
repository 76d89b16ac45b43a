"""The back office's writes: opening a file, claiming and assigning it, notes, messages to
the applicant, taking a workflow step from the file page, and escalating overdue files."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from khedmat.accounts import selectors as account_selectors
from khedmat.accounts.roles import AGENCY_ROLES, Role
from khedmat.audit.services import audit_record
from khedmat.core.events import publish

from ..events import ApplicationMessageSent, ApplicationsEscalated
from ..models import Application, DecisionReason, Message, Note, Relationship
from ..search import search_text_for
from ..workflow import REQUEST_CORRECTION, Workflow
from .core import ApplicationError, application_transition

if TYPE_CHECKING:
    from khedmat.accounts.models import User

# Stored in English in the audit trail; pages translate it when they show it.
REASON_WORKING_THE_FILE = gettext_noop("Working the file")
NOTE_MAX_LENGTH = 5000
MESSAGE_MAX_LENGTH = 2000


def _agency_staff_of(user: User | None, application: Application) -> bool:
    return bool(user is not None and user.is_active and user.role in AGENCY_ROLES
                and user.agency_id is not None and user.agency_id == application.agency_id)


def _locked(application: Application) -> Application:
    return Application.objects.select_for_update(of=("self",)).select_related("assigned_to").get(pk=application.pk)


def _require_staff(actor: User, application: Application) -> None:
    if not _agency_staff_of(actor, application):
        raise ApplicationError(_("You may not act on this file."), code="forbidden")


def _require_open(application: Application) -> None:
    if application.is_final:
        raise ApplicationError(_("This file is closed."), code="closed")
    if application.is_draft:
        raise ApplicationError(_("This application has not been submitted."), code="not_submitted")


# --- opening a file ----------------------------------------------------------------------

def application_file_open(*, application: Application, actor: User, request: HttpRequest | None = None,
                          reason: str = REASON_WORKING_THE_FILE, api_key: str = "") -> None:
    """Record that a member of staff opened the file: the applicant sees it on their own file.

    `api_key`: the agency's system read it through the API with this key (its prefix); the
    applicant's page then names the agency's system, not an officer."""
    data: dict[str, object] = {"assigned_to_other": application.assigned_to_id not in (None, actor.pk)}
    if api_key:
        data = {"api_key": api_key}
    audit_record(
        action="applications.file_opened", target_type="application",
        target_id=application.reference or application.public_id, actor=actor, subject=application.applicant,
        reason=reason, request=request, data=data,
        seal_soon=True,  # every page view records it: sealed by the next pass (audit_record)
    )


# --- assignment ---------------------------------------------------------------------------

@transaction.atomic
def application_claim(*, application: Application, officer: User, request: HttpRequest | None = None) -> Application:
    """Assign the file to `officer` themselves; refused if a colleague holds it."""
    locked = _locked(application)
    _require_staff(officer, locked)
    _require_open(locked)
    if locked.assigned_to_id == officer.pk:
        return locked
    if locked.assigned_to_id is not None:
        raise ApplicationError(
            _("%(name)s took this file a moment ago. Ask them, or assign it from the file page.")
            % {"name": _staff_name(locked.assigned_to)}, code="taken")
    return _assign(locked, assignee=officer, actor=officer, action="applications.claimed", request=request)


@transaction.atomic
def application_assign(*, application: Application, actor: User, assignee: User,
                       request: HttpRequest | None = None, check_seen: bool = False,
                       seen_assignee_id: int | None = None) -> Application:
    """Give the file to a colleague of the same agency (or take it over).

    With `check_seen`, the file must still be assigned as the actor saw it (`seen_assignee_id`,
    None for nobody): a file a colleague has just given to someone else is refused ("taken"),
    not silently taken from them.
    """
    locked = _locked(application)
    _require_staff(actor, locked)
    _require_open(locked)
    if not _agency_staff_of(assignee, locked) or assignee.is_system:  # a key's account is no one to give work to
        raise ApplicationError(_("Choose a colleague of this agency."), code="bad_assignee")
    if locked.assigned_to_id == assignee.pk:
        return locked
    if check_seen and locked.assigned_to_id != seen_assignee_id:
        if locked.assigned_to_id is None:
            raise ApplicationError(_("%(reference)s was released a moment ago: look at it again.")
                                   % {"reference": locked.reference}, code="taken")
        raise ApplicationError(
            _("%(reference)s was assigned to %(name)s a moment ago: it stays with them.")
            % {"reference": locked.reference, "name": _staff_name(locked.assigned_to)}, code="taken")
    return _assign(locked, assignee=assignee, actor=actor, action="applications.assigned", request=request)


BULK_ASSIGN_MAX = 100


@dataclass(frozen=True)
class BulkItem:
    """A ticked file and whom the officer saw it assigned to (None: nobody)."""

    public_id: uuid.UUID
    seen_assignee_id: int | None


@dataclass
class BulkAssignResult:
    assigned: list[str] = field(default_factory=list)  # references given to the assignee now
    unchanged: list[str] = field(default_factory=list)  # already theirs (a second click)
    refused: list[str] = field(default_factory=list)  # why each of the others was not assigned
    missing: int = 0  # ticked files that are not the actor's agency's open files


def applications_assign_bulk(*, actor: User, assignee: User, items: list[BulkItem],
                             request: HttpRequest | None = None) -> BulkAssignResult:
    """Give several files to one colleague, each by `application_assign`'s rules.

    Each file is its own transaction, so one refused file (closed, taken by a colleague a
    moment ago) leaves the others assigned; each is audited. Files of another agency, or that
    do not exist, are only counted: nothing says whether they exist.
    """
    result = BulkAssignResult()
    if len(items) > BULK_ASSIGN_MAX:
        raise ApplicationError(_("Assign at most %(count)s files at once.") % {"count": BULK_ASSIGN_MAX},
                               code="too_many")
    files: dict[uuid.UUID, Application] = {}
    if actor.agency_id is not None:
        files = {application.public_id: application for application in
                 Application.objects.filter(public_id__in=[item.public_id for item in items],
                                            agency_id=actor.agency_id).exclude(state=Application.DRAFT)}
    for item in items:
        application = files.get(item.public_id)
        if application is None:
            result.missing += 1
            continue
        was_theirs = application.assigned_to_id == assignee.pk
        try:
            application_assign(application=application, actor=actor, assignee=assignee, request=request,
                               check_seen=True, seen_assignee_id=item.seen_assignee_id)
        except ApplicationError as error:
            result.refused.append(error.message)
        else:
            (result.unchanged if was_theirs else result.assigned).append(application.reference or "")
    return result


@transaction.atomic
def application_release(*, application: Application, actor: User, request: HttpRequest | None = None) -> Application:
    """Put the file back in the agency's unassigned pile."""
    locked = _locked(application)
    _require_staff(actor, locked)
    if locked.assigned_to_id is None:
        return locked
    if locked.assigned_to_id != actor.pk and actor.role != Role.AGENCY_ADMIN:
        raise ApplicationError(
            _("Only %(name)s or an agency administrator can release this file.")
            % {"name": _staff_name(locked.assigned_to)}, code="not_yours")
    return _assign(locked, assignee=None, actor=actor, action="applications.released", request=request)


def _assign(locked: Application, *, assignee: User | None, actor: User, action: str,
            request: HttpRequest | None) -> Application:
    previous = locked.assigned_to_id
    locked.assigned_to = assignee
    locked.save(update_fields=["assigned_to", "updated_at"])
    audit_record(action=action, target_type="application", target_id=locked.reference, actor=actor,
                 request=request, data={"from": previous, "to": assignee.pk if assignee else None})
    return locked


def _staff_name(user: User | None) -> str:
    return (user.full_name or user.username) if user is not None else ""


# --- notes and messages ---------------------------------------------------------------------

def _clean_text(text: str, *, limit: int, empty: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ApplicationError(empty, code="empty")
    if len(text) > limit:
        raise ApplicationError(
            _("Write at most %(limit)s characters.") % {"limit": limit}, code="too_long")
    return text


@transaction.atomic
def note_add(*, application: Application, author: User, text: str, request: HttpRequest | None = None) -> Note:
    """An internal note on the file, for colleagues only: never shown to the applicant."""
    _require_staff(author, application)
    text = _clean_text(text, limit=NOTE_MAX_LENGTH, empty=_("Write the note."))
    note = Note.objects.create(application=application, author=author, text=text)
    # No subject: the note is the agency's, and its text stays out of the trail.
    audit_record(action="applications.note_added", target_type="application", target_id=application.reference,
                 actor=author, request=request, data={"note": note.pk})
    return note


@transaction.atomic
def message_to_applicant(*, application: Application, author: User, text: str,
                         request: HttpRequest | None = None) -> Message:
    """Write to the applicant: they read it on their file and get an SMS saying so."""
    _require_staff(author, application)
    if application.is_draft:
        raise ApplicationError(_("This application has not been submitted."), code="not_submitted")
    text = _clean_text(text, limit=MESSAGE_MAX_LENGTH, empty=_("Write the message."))
    return _message_create(application=application, author=author, text=text, request=request)


def _message_create(*, application: Application, author: User, text: str,
                    request: HttpRequest | None, notify: bool = True) -> Message:
    message = Message.objects.create(application=application, author=author,
                                     direction=Message.Direction.TO_APPLICANT, text=text)
    audit_record(action="applications.message_sent", target_type="application", target_id=application.reference,
                 actor=author, subject=application.applicant, request=request, data={"message": message.pk})
    if notify:  # the applicant hears of it by SMS (notifications subscribes)
        publish(ApplicationMessageSent(application=application, message=message), request=request)
    return message


# --- a workflow step from the file page ----------------------------------------------------

@transaction.atomic
def application_act(*, application: Application, actor: User, transition: str, expected_state: str,
                    reason_code: str = "", reason_text: str = "", request: HttpRequest | None = None) -> Application:
    """Take a workflow step as an officer (see `application_transition`).

    A step into a state where the file waits for the applicant (a request for more
    information) is also a message to them: the reason given is that message, written once.
    """
    reason_text = (reason_text or "").strip()
    if transition == REQUEST_CORRECTION:  # it names the fields to correct: services.corrections
        raise ApplicationError(_("Choose the questions the applicant must correct."), code="bad_fields")
    moved = application_transition(application=application, actor=actor, transition=transition,
                                   expected_state=expected_state, reason_code=reason_code,
                                   reason_text=reason_text, request=request)
    workflow = Workflow.of(moved.service_version.definition)
    if workflow.state(moved.state).pauses_clock and (reason_text or reason_code):
        text = reason_text
        if not text:  # only a reason from the list: write it in the applicant's language
            with translation.override(moved.applicant.preferred_language):
                text = str(DecisionReason(reason_code).label)
        # The applicant is told of the request itself (the state's milestone): one SMS, not two.
        _message_create(application=moved, author=actor, text=text, request=request, notify=False)
    return moved


# --- search -------------------------------------------------------------------------------

def applications_search_text_refresh(*, applicant_id: int) -> int:
    """Write again what the account holder's submitted files are found by (after their name or
    Tazkira number changed); returns how many changed. Files they filed for themselves name
    them, so those follow the new name and number; files for someone else keep that person's.
    Runs in the caller's transaction."""
    changed = []
    for application in (Application.objects.filter(applicant_id=applicant_id).exclude(state=Application.DRAFT)
                        .select_related("applicant")
                        .only("id", "reference", "search_text", "applicant", "applicant_name",
                              "applicant_tazkira", "applicant_relationship")):
        if application.applicant_relationship == Relationship.SELF:
            application.applicant_name = application.applicant.full_name
            application.applicant_tazkira = application.applicant.tazkira_number
        text = search_text_for(application)
        if text != application.search_text:
            application.search_text = text
            changed.append(application)
    Application.objects.bulk_update(changed, ["search_text", "applicant_name", "applicant_tazkira"])
    return len(changed)


# --- escalation ---------------------------------------------------------------------------

def _overdue_to_escalate(*, today: datetime.date) -> list[tuple[int, int]]:
    """(id, agency id) of open, running (not paused), overdue files not escalated yet."""
    return list(
        Application.objects.filter(is_final=False, due_date__lt=today, clock_paused_on__isnull=True,
                                   escalated_at__isnull=True)
        .exclude(state=Application.DRAFT).order_by("agency_id", "due_date", "id").values_list("id", "agency_id")
    )


def applications_escalate_overdue(*, today: datetime.date | None = None) -> list[Application]:
    """Flag every overdue file once and tell its agency's administrators by SMS.

    Idempotent: a file is escalated once (`escalated_at`), so running it again notifies
    nobody twice. One transaction and one SMS per administrator per agency and run.
    """
    today = today or timezone.localdate()
    by_agency: dict[int, list[int]] = defaultdict(list)
    for pk, agency_id in _overdue_to_escalate(today=today):
        by_agency[agency_id].append(pk)
    escalated: list[Application] = []
    for agency_id, ids in by_agency.items():
        escalated.extend(_escalate_agency(agency_id=agency_id, ids=ids, today=today))
    return escalated


@transaction.atomic
def _escalate_agency(*, agency_id: int, ids: list[int], today: datetime.date) -> list[Application]:
    files = list(
        Application.objects.select_for_update(of=("self",)).select_related("applicant")
        .filter(pk__in=ids, agency_id=agency_id, escalated_at__isnull=True, is_final=False,
                clock_paused_on__isnull=True, due_date__lt=today)
        .order_by("due_date", "id")
    )
    if not files:
        return []
    supervisors = sorted(account_selectors.agency_staff(agency_id=agency_id, roles={Role.AGENCY_ADMIN}),
                         key=lambda user: user.pk)
    notified = [user.pk for user in supervisors if user.phone_number]
    now = timezone.now()
    for application in files:
        application.escalated_at = now
        application.save(update_fields=["escalated_at", "updated_at"])
        audit_record(action="applications.escalated", target_type="application", target_id=application.reference,
                     subject=application.applicant,
                     data={"due_date": str(application.due_date), "notified": notified})
    publish(ApplicationsEscalated(agency_id=agency_id,
                                  references=[application.reference or "" for application in files],
                                  supervisor_ids=[user.pk for user in supervisors]))
    return files
