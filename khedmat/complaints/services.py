"""Changing complaints: filing (every channel), the workflow's steps, rating, the escalation ladder.

Every channel files through `complaint_file`; every workflow step goes through
`complaint_transition`, which locks the row, checks the state the actor saw and their role,
applies the step from the table (workflow.py) and writes the history, the audit event and
the domain event the notifications app turns into SMS.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from khedmat.accounts import selectors as account_selectors
from khedmat.accounts.phone import normalize_mobile_number
from khedmat.accounts.roles import AGENCY_ROLES, Role
from khedmat.applications.uploads import (
    DEFAULT_MAX_SIZE_MB,
    CheckedUpload,
    UploadRefused,
    megabytes,
    upload_check,
)
from khedmat.audit.services import audit_record
from khedmat.core.calendar import solar_hijri_year
from khedmat.core.errors import Refusal
from khedmat.core.events import publish
from khedmat.core.workdays import add_working_days, is_working_day

from . import standards, workflow
from .events import ComplaintChanged, ComplaintEscalated, ComplaintFiled
from .models import Complaint, ComplaintAttachment, ComplaintEvent, ComplaintPolicy
from .references import reference_next
from .selectors import OMBUDSMAN_GROUP, complaint_role, ombudsman_desk, reopen_until

if TYPE_CHECKING:
    from khedmat.accounts.models import User
    from khedmat.applications.models import Application
    from khedmat.catalog.models import Agency, Service
    from khedmat.centers.models import Center

DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 4000
ANSWER_MAX = 4000
MAX_ATTACHMENTS = 3
KEY_MAX = 64
LANGUAGES = ("fa", "ps", "en")


class ComplaintError(Refusal):
    """A refusal with a message for the person acting; `code` names it for callers and tests."""


# --- filing -------------------------------------------------------------------------------

def complaint_file(*, about: str, category: str, description: str, phone: str, channel: str, language: str,
                   filed_by: User | None = None, service: Service | None = None, center: Center | None = None,
                   application: Application | None = None, officer: User | None = None, anonymous: bool = False,
                   attachments: Sequence[UploadedFile] = (), idempotency_key: str | None = None,
                   consent: str | None = None, request: HttpRequest | None = None) -> Complaint:
    """File a complaint from any channel, route it and start its time standard.

    Refuses (ComplaintError, nothing written) what is incomplete or not the filer's to
    complain about. Idempotent: the same key (one per form shown, per SMS) returns the
    complaint already filed with it (a key longer than the column is kept as its SHA-256)."""
    if idempotency_key and len(idempotency_key) > KEY_MAX:
        idempotency_key = hashlib.sha256(idempotency_key.encode("utf-8", "surrogatepass")).hexdigest()
    if idempotency_key:
        existing = _by_key(idempotency_key)
        if existing is not None:
            return _replayed(existing, phone)
    try:
        with transaction.atomic():
            return _file(about=about, category=category, description=description, phone=phone, channel=channel,
                         language=language, filed_by=filed_by, service=service, center=center,
                         application=application, officer=officer, anonymous=anonymous, attachments=attachments,
                         idempotency_key=idempotency_key or None, consent=consent, request=request)
    except IntegrityError:
        existing = _by_key(idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return _replayed(existing, phone)


def _by_key(key: str) -> Complaint | None:
    return Complaint.objects.filter(idempotency_key=key).first()


def _replayed(existing: Complaint, phone: str) -> Complaint:
    """The same form sent twice: the complaint it filed, to the same phone only."""
    try:
        same = normalize_mobile_number(phone) == existing.phone
    except ValidationError:
        same = False
    if not same:
        raise ComplaintError(_("This form was already used. Open the page again."), code="key_used")
    return existing


def _file(*, about: str, category: str, description: str, phone: str, channel: str, language: str,
          filed_by: User | None, service: Service | None, center: Center | None, application: Application | None,
          officer: User | None, anonymous: bool, attachments: Sequence[UploadedFile], idempotency_key: str | None,
          consent: str | None, request: HttpRequest | None) -> Complaint:
    description = (description or "").strip()
    if about not in Complaint.About.values:
        raise ComplaintError(_("Choose what the complaint is about."), code="bad_about")
    if category not in Complaint.Category.values:
        raise ComplaintError(_("Choose a category from the list."), code="bad_category")
    if channel not in Complaint.Channel.values:
        raise ComplaintError(_("This channel is not known."), code="bad_channel")
    if len(description) < DESCRIPTION_MIN:
        raise ComplaintError(_("Describe what happened in a few words (at least ten letters)."), code="too_short")
    if len(description) > DESCRIPTION_MAX:
        raise ComplaintError(_("The description is too long: keep it under 4,000 letters."), code="too_long")
    try:
        phone = normalize_mobile_number(phone)
    except ValidationError as error:
        raise ComplaintError(error.messages[0], code="bad_phone") from error
    if len(attachments) > MAX_ATTACHMENTS:
        raise ComplaintError(_("Attach at most three files."), code="too_many_files")
    consent_value = _consent(channel=channel, filed_by=filed_by, consent=consent)
    complainant = filed_by if filed_by is not None and filed_by.role == Role.CITIZEN else None
    if complainant is None and channel == Complaint.Channel.WEB and filed_by is not None:
        raise ComplaintError(_("Staff file complaints for someone at a center, with their consent."),
                             code="staff_on_web")
    agency, center, service = _route(about=about, service=service, center=center, application=application,
                                     officer=officer, complainant=complainant, phone=phone)
    checked: list[CheckedUpload] = []
    for upload in attachments:
        try:
            checked.append(upload_check(upload, max_bytes=megabytes(DEFAULT_MAX_SIZE_MB)))
        except UploadRefused as error:
            raise ComplaintError(error.message, code=error.code) from error

    today = timezone.localdate()
    standard = standards.standard_for(agency_id=agency.pk if agency is not None else None)
    complaint = Complaint(
        about=about, category=category, description=description, phone=phone,
        language=language if language in LANGUAGES else "fa", channel=channel, anonymous=bool(anonymous),
        consent=consent_value, complainant=complainant,
        filed_by=filed_by if filed_by is not None and complainant is None else None,
        service=service, center=center, application=application, officer=officer, agency=agency,
        state=workflow.WORKFLOW.initial, clock_started_on=today, standard_days=standard.standard_days,
        due_date=add_working_days(today, standard.standard_days), idempotency_key=idempotency_key,
    )
    complaint.next_escalation_after = standards.rung_date(standards.SUPERVISOR, started_on=today,
                                                          days=standard.standard_days)
    # The counter row is locked last, for as short a time as possible.
    complaint.reference = reference_next(year=solar_hijri_year(today))
    complaint.save()
    for kept in checked:
        ComplaintAttachment.objects.create(complaint=complaint, file=kept.file, original_name=kept.original_name,
                                           content_type=kept.content_type, size=kept.size, sha256=kept.sha256)
    ComplaintEvent.objects.create(complaint=complaint, actor=filed_by, actor_role=getattr(filed_by, "role", ""),
                                  step="file", to_state=complaint.state)
    audit_record(action="complaints.filed", target_type="complaint", target_id=complaint.reference,
                 actor=filed_by, subject=complainant, request=request,
                 data={"about": about, "category": category, "channel": channel,
                       "agency": agency.pk if agency is not None else None,
                       "center": center.pk if center is not None else None,
                       "application": application.reference if application is not None else None,
                       "officer": officer.pk if officer is not None else None,
                       "anonymous": bool(anonymous), "consent": consent_value, "attachments": len(checked)})
    publish(ComplaintFiled(complaint=complaint), request=request)
    return complaint


def _consent(*, channel: str, filed_by: User | None, consent: str | None) -> str:
    """A complaint filed at a centre is filed by an operator, with the complainant's consent."""
    if channel != Complaint.Channel.CENTER:
        return ""
    if filed_by is None or filed_by.role not in (Role.OPERATOR, Role.CENTER_MANAGER):
        raise ComplaintError(_("Only a center's operator files a complaint for someone."), code="not_operator")
    if consent not in Complaint.Consent.values:
        raise ComplaintError(_("Record the complainant's consent before filing."), code="consent_needed")
    return str(consent)


def _route(*, about: str, service: Service | None, center: Center | None, application: Application | None,
           officer: User | None, complainant: User | None, phone: str) -> tuple[Any, Any, Any]:
    """(agency, centre, service) answering for the complaint: the service's agency, the
    application's agency, the centre itself, or the staff member's agency or centre."""
    if about == Complaint.About.SERVICE:
        if service is None:
            raise ComplaintError(_("Choose the service the complaint is about."), code="service_needed")
        return service.agency, center, service
    if about == Complaint.About.APPLICATION:
        if application is None or application.reference is None:
            raise ComplaintError(_("Give the reference of the application the complaint is about."),
                                 code="application_needed")
        # Only the applicant complains about their own file (by account, or by its phone number).
        mine = (application.applicant_id == complainant.pk) if complainant is not None \
            else application.applicant.phone_number == phone
        if not mine:
            raise ComplaintError(_("No application of yours has this reference."), code="not_yours")
        return application.agency, center, application.service
    if about == Complaint.About.CENTER:
        if center is None:
            raise ComplaintError(_("Choose the service center the complaint is about."), code="center_needed")
        return None, center, service
    # About a member of staff: their agency answers, or their centre's manager.
    if officer is not None and (officer.role == Role.CITIZEN or not officer.is_active):
        raise ComplaintError(_("Say which member of staff the complaint is about."), code="officer_needed")
    if officer is not None and officer.role in AGENCY_ROLES and officer.agency_id is not None:
        return officer.agency, center, service
    if officer is not None and officer.center_id is not None:
        return None, officer.center, service
    # Staff not named (a citizen rarely knows a name), or platform staff: where it happened answers.
    if application is not None and application.reference is not None:
        mine = (application.applicant_id == complainant.pk) if complainant is not None \
            else application.applicant.phone_number == phone
        if not mine:
            raise ComplaintError(_("No application of yours has this reference."), code="not_yours")
        return application.agency, center, application.service
    if service is not None:
        return service.agency, center, service
    if center is not None:
        return None, center, service
    raise ComplaintError(_("Say where this happened: a service or a service center."), code="place_needed")


# --- the workflow -------------------------------------------------------------------------

@transaction.atomic
def complaint_transition(*, complaint: Complaint, step: str, expected_state: str, actor: User | None = None,
                         as_complainant: bool = False, text: str = "",
                         request: HttpRequest | None = None) -> Complaint:
    """Take one workflow step, or refuse with a ComplaintError.

    `as_complainant`: the person holding the complaint's own link (its public id, sent to
    their phone) acts, signed in or not; otherwise `actor` acts as staff and must be allowed
    on this complaint (never the officer it is about)."""
    locked = Complaint.objects.select_for_update(of=("self",)).get(pk=complaint.pk)
    if locked.state != expected_state:
        raise ComplaintError(
            _("Someone acted on this complaint a moment ago; it is now “%(state)s”. Look again before acting.")
            % {"state": workflow.STATE_TEXT[locked.state]}, code="stale")
    if as_complainant:
        role = workflow.COMPLAINANT
    elif actor is None or complaint_role(actor, locked) is None:
        raise ComplaintError(_("You may not act on this complaint."), code="forbidden")
    else:
        role = workflow.HANDLER
    try:
        transition = workflow.step_for(locked.state, step, role)
    except workflow.TransitionNotAllowed as error:
        raise ComplaintError(_("This step is not possible now."), code="not_allowed") from error
    text = (text or "").strip()
    if transition.needs_reason and not text:
        raise ComplaintError(_("Write a few words: the complainant will read them.") if role == workflow.HANDLER
                             else _("Say in a few words what is still wrong."), code="text_needed")
    if len(text) > ANSWER_MAX:
        raise ComplaintError(_("The text is too long: keep it under 4,000 letters."), code="too_long")
    today = timezone.localdate()
    now = timezone.now()
    from_state = locked.state
    if step == workflow.OPEN_INVESTIGATION:
        if locked.investigation_opened_at is not None:
            raise ComplaintError(_("An investigation is already open."), code="investigation_open")
        standard = standards.standard_for(agency_id=locked.agency_id)
        locked.investigation_opened_at = now
        if locked.assigned_to_id is None:
            locked.assigned_to = actor
        _restart_clock(locked, days=standard.investigation_days, started_on=locked.clock_started_on,
                       keep_level=True)
    elif step == workflow.TAKE:
        locked.assigned_to = actor
    elif step == workflow.ANSWER:
        locked.answer = text
        locked.answered_at = now
        locked.answered_in_time = today <= locked.due_date
        locked.next_escalation_after = None
        if locked.assigned_to_id is None:
            locked.assigned_to = actor
    elif step in (workflow.CLOSE, workflow.ACCEPT):
        locked.closed_at = now
    elif step == workflow.REOPEN:
        _check_reopen(locked, today=today)
        locked.reopened_count += 1
        locked.closed_at = None
        locked.investigation_opened_at = None
        locked.answered_in_time = None
        standard = standards.standard_for(agency_id=locked.agency_id)
        _restart_clock(locked, days=standard.standard_days, started_on=today, keep_level=False)
    locked.state = transition.target
    locked.save()
    ComplaintEvent.objects.create(complaint=locked, actor=None if as_complainant else actor,
                                  actor_role=role if as_complainant else getattr(actor, "role", ""),
                                  step=step, from_state=from_state, to_state=locked.state, text=text)
    audit_record(action=f"complaints.{step}", target_type="complaint", target_id=locked.reference,
                 actor=None if as_complainant else actor, subject=locked.complainant, request=request,
                 reason=text[:500] if step != workflow.ANSWER else "",
                 data={"from": from_state, "to": locked.state, "due_date": str(locked.due_date)})
    publish(ComplaintChanged(complaint=locked, step=step, from_state=from_state, to_state=locked.state),
            request=request)
    return locked


def _restart_clock(complaint: Complaint, *, days: int, started_on: datetime.date, keep_level: bool) -> None:
    """A new time standard from `started_on`; the ladder goes on from its rung (investigation)
    or starts again (reopened)."""
    complaint.clock_started_on = started_on
    complaint.standard_days = days
    complaint.due_date = add_working_days(started_on, days)
    if not keep_level:
        complaint.escalation_level = 0
    complaint.next_escalation_after = standards.rung_date(complaint.escalation_level + 1, started_on=started_on,
                                                          days=days)


def _check_reopen(complaint: Complaint, *, today: datetime.date) -> None:
    until = reopen_until(complaint)
    if until is None or today > until:
        raise ComplaintError(_("The time to reopen this complaint has passed. You may file a new one."),
                             code="reopen_too_late")
    if complaint.reopened_count >= settings.COMPLAINTS_REOPEN_TIMES:
        raise ComplaintError(_("This complaint was already reopened as often as allowed. You may file a new one."),
                             code="reopen_limit")


@transaction.atomic
def complaint_rate(*, complaint: Complaint, rating: int, request: HttpRequest | None = None) -> Complaint:
    """The complainant rates the answer, 1 to 5, once."""
    locked = Complaint.objects.select_for_update(of=("self",)).get(pk=complaint.pk)
    if locked.answered_at is None or locked.state not in (workflow.ANSWERED, workflow.CLOSED):
        raise ComplaintError(_("You can rate the answer once it has come."), code="not_answered")
    if locked.rating is not None:
        raise ComplaintError(_("You have already rated this answer. Thank you."), code="already_rated")
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ComplaintError(_("Choose from 1 to 5."), code="bad_rating")
    locked.rating = rating
    locked.rated_at = timezone.now()
    locked.save(update_fields=["rating", "rated_at", "updated_at"])
    ComplaintEvent.objects.create(complaint=locked, actor_role=workflow.COMPLAINANT, step="rate",
                                  from_state=locked.state, to_state=locked.state, text=str(rating))
    audit_record(action="complaints.rated", target_type="complaint", target_id=locked.reference,
                 subject=locked.complainant, request=request, data={"rating": rating})
    return locked


# --- time standards per agency ---------------------------------------------------------------

@transaction.atomic
def complaint_policy_set(*, agency: Agency, standard_days: int, investigation_days: int, actor: User | None = None,
                         request: HttpRequest | None = None) -> ComplaintPolicy:
    """Set an agency's own complaint time standards (working days); complaints filed from now
    on, and investigations opened from now on, use them."""
    if not 1 <= standard_days <= investigation_days <= 365:
        raise ComplaintError(_("The time standard must be at least one working day, and the one with an "
                               "investigation at least as long."), code="bad_standard")
    policy, _created = ComplaintPolicy.objects.update_or_create(
        agency=agency, defaults={"standard_days": standard_days, "investigation_days": investigation_days})
    audit_record(action="complaints.time_standard_set", target_type="agency", target_id=agency.pk, actor=actor,
                 request=request, data={"standard_days": standard_days, "investigation_days": investigation_days})
    return policy


# --- the ombudsman desk ---------------------------------------------------------------------

@transaction.atomic
def ombudsman_desk_add(*, user: User, actor: User | None = None, request: HttpRequest | None = None) -> None:
    """Seat a member of platform staff at the ombudsman desk (decision 0033); idempotent."""
    if user.role != Role.PLATFORM_ADMIN:
        raise ComplaintError(_("Only platform staff sit at the ombudsman desk."), code="not_platform_staff")
    group, _created = Group.objects.get_or_create(name=OMBUDSMAN_GROUP)
    if user.groups.filter(pk=group.pk).exists():
        return
    user.groups.add(group)
    audit_record(action="complaints.ombudsman_desk_joined", target_type="user", target_id=user.pk, actor=actor,
                 request=request, data={})


# --- by the clock ---------------------------------------------------------------------------

LADDER_STEPS = {standards.SUPERVISOR: "escalate_supervisor", standards.HEAD: "escalate_head",
                standards.OMBUDSMAN: "escalate_ombudsman"}


def complaints_escalate(*, today: datetime.date | None = None) -> list[tuple[str, int]]:
    """Climb the ladder for every unanswered complaint whose next rung has passed.

    Each rung once: the level only rises, under the row's lock, so a second run (or two at
    once) finds nothing left to do. Only on working days: a rung passed before a weekend or
    a holiday is climbed on the next working day, when someone is there to act on it.
    Returns (reference, level) of each rung climbed."""
    today = today or timezone.localdate()
    if not is_working_day(today):
        return []
    due = list(Complaint.objects.filter(next_escalation_after__lt=today, state__in=workflow.OPEN_STATES)
               .order_by("next_escalation_after", "id").values_list("id", flat=True))
    climbed: list[tuple[str, int]] = []
    for pk in due:
        climbed.extend(_escalate_one(pk=pk, today=today))
    return climbed


@transaction.atomic
def _escalate_one(*, pk: int, today: datetime.date) -> list[tuple[str, int]]:
    complaint = (Complaint.objects.select_for_update(of=("self",), skip_locked=_skip_locked())
                 .filter(pk=pk, next_escalation_after__lt=today, state__in=workflow.OPEN_STATES).first())
    if complaint is None:
        return []
    climbed = []
    # A job that did not run for a while climbs every rung passed since, each once.
    while complaint.next_escalation_after is not None and complaint.next_escalation_after < today:
        level = complaint.escalation_level + 1
        complaint.escalation_level = level
        complaint.next_escalation_after = standards.rung_date(level + 1, started_on=complaint.clock_started_on,
                                                              days=complaint.standard_days)
        recipients = escalation_recipients(complaint, level)
        step = LADDER_STEPS[level]
        ComplaintEvent.objects.create(complaint=complaint, actor_role="system", step=step,
                                      from_state=complaint.state, to_state=complaint.state, internal=True)
        audit_record(action=f"complaints.{step}", target_type="complaint", target_id=complaint.reference,
                     subject=complaint.complainant,
                     data={"level": level, "due_date": str(complaint.due_date), "notified": [u.pk for u in recipients]})
        publish(ComplaintEscalated(complaint=complaint, level=level, recipient_ids=[u.pk for u in recipients]))
        climbed.append((complaint.reference, level))
    complaint.save(update_fields=["escalation_level", "next_escalation_after", "updated_at"])
    return climbed


def _skip_locked() -> bool:
    return bool(connection.features.has_select_for_update_skip_locked)


def escalation_recipients(complaint: Complaint, level: int) -> list[User]:
    """Who hears of rung `level`: the supervisors (approvers; the head where there are none),
    the head (agency administrators), the ombudsman desk; for a centre, its managers until the
    desk. Never the member of staff the complaint is about; when that leaves nobody at a rung
    (a complaint about a centre's only manager), the desk hears at once, so that someone always does."""
    if level >= standards.OMBUDSMAN:
        people = ombudsman_desk()
    elif complaint.agency_id is None:
        people = account_selectors.center_staff(center_id=complaint.center_id or 0, roles={Role.CENTER_MANAGER})
    elif level == standards.SUPERVISOR:
        people = account_selectors.agency_staff(agency_id=complaint.agency_id, roles={Role.APPROVER}) or \
            account_selectors.agency_staff(agency_id=complaint.agency_id, roles={Role.AGENCY_ADMIN})
    else:
        people = account_selectors.agency_staff(agency_id=complaint.agency_id, roles={Role.AGENCY_ADMIN})
    heard = [person for person in people if person.pk != complaint.officer_id]
    if not heard and level < standards.OMBUDSMAN:
        heard = [person for person in ombudsman_desk() if person.pk != complaint.officer_id]
    return sorted(heard, key=lambda person: person.pk)


@transaction.atomic
def complaints_close_unreopened(*, today: datetime.date | None = None) -> list[str]:
    """Close answered complaints whose time to reopen has passed (the complainant said nothing)."""
    today = today or timezone.localdate()
    closed = []
    for complaint in (Complaint.objects.select_for_update(of=("self",)).filter(state=workflow.ANSWERED)
                      .order_by("answered_at", "id")):
        until = reopen_until(complaint)
        if until is None or today <= until:
            continue
        complaint.state = workflow.CLOSED
        complaint.closed_at = timezone.now()
        complaint.save(update_fields=["state", "closed_at", "updated_at"])
        ComplaintEvent.objects.create(complaint=complaint, actor_role="system", step="auto_close",
                                      from_state=workflow.ANSWERED, to_state=workflow.CLOSED)
        audit_record(action="complaints.auto_closed", target_type="complaint", target_id=complaint.reference,
                     subject=complaint.complainant, data={})
        closed.append(complaint.reference)
    return closed


__all__ = [
    "OMBUDSMAN_GROUP",
    "ComplaintError",
    "complaint_file",
    "complaint_rate",
    "complaint_transition",
    "complaints_close_unreopened",
    "complaints_escalate",
    "escalation_recipients",
    "ombudsman_desk_add",
    "reopen_until",
]
