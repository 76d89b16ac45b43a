"""Changing applications. Every state change goes through `application_transition`."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from khedmat.accounts.roles import Role
from khedmat.audit.services import audit_record, audit_written_together
from khedmat.core.calendar import solar_hijri_year
from khedmat.core.errors import Refusal
from khedmat.core.events import publish
from khedmat.core.inserts import insert_new
from khedmat.core.workdays import add_working_days, working_days_between

from ..events import MILESTONE_EVENTS, ApplicationSubmitted, ApplicationTransitioned
from ..models import Application, ApplicationEvent, Channel, DecisionReason, Relationship
from ..references import reference_next
from ..search import search_text_for
from ..workflow import ROLE_IN_WORKFLOW, Transition, TransitionNotAllowed, Workflow

if TYPE_CHECKING:
    from khedmat.accounts.models import User
    from khedmat.catalog.models import Service


APPLICANT_FIELDS = ("applicant_name", "applicant_tazkira", "applicant_date_of_birth", "applicant_relationship")


class ApplicationError(Refusal):
    """A refusal with a message for the person acting; `code` names it for callers and tests."""


def workflow_role(user: User, application: Application) -> str | None:
    """How `user` may act on `application` in its workflow: None if not at all."""
    if user.role == Role.CITIZEN:
        return "applicant" if application.applicant_id == user.pk else None
    if user.role in (Role.OFFICER, Role.APPROVER, Role.AGENCY_ADMIN):
        return ROLE_IN_WORKFLOW[user.role] if user.agency_id == application.agency_id else None
    return None


# --- drafts and submission --------------------------------------------------------------

@transaction.atomic(savepoint=False)  # inside another service's transaction, no savepoint of its own
def application_draft_save(*, applicant: User, service: Service, data: dict[str, Any],
                           application: Application | None = None, filed_by: User | None = None,
                           channel: str = Channel.ONLINE, applicant_info: dict[str, Any] | None = None) -> Application:
    """Create or update a draft with whatever answers were given so far (nothing validated yet).

    `applicant_info`: who the application is for, when not the account holder
    (`applicant_name`, `applicant_tazkira`, `applicant_date_of_birth`, `applicant_relationship`)."""
    info = {key: value for key, value in (applicant_info or {}).items() if key in APPLICANT_FIELDS}
    if service.current_version is None:
        raise ApplicationError(_("This service is not open for applications."), code="service_closed")
    if application is None:
        return insert_new(Application(
            service=service, service_version=service.current_version, agency=service.agency,
            applicant=applicant, filed_by=filed_by, channel=channel, data=data,
            center=filed_by.center if filed_by is not None else None, **info,
        ))
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not application.is_draft:
        raise ApplicationError(_("This application was already submitted."), code="not_draft")
    application.data = data
    for key, value in info.items():
        setattr(application, key, value)
    application.save(update_fields=["data", "updated_at", *info])
    return application


def application_submit(*, application: Application, idempotency_key: str, actor: User,
                       request: HttpRequest | None = None) -> Application:
    """Submit a complete draft: give it its reference and start its time standard.

    Idempotent: the same key (one per form shown) returns the application already
    submitted with it, so a double click or a re-posted form never files twice.
    """
    # No look for the key first (the page's view has just done so): a key already used makes
    # the save below break the unique (applicant, key) constraint, and the other file is returned.
    try:
        with transaction.atomic():
            return _submit(application=application, idempotency_key=idempotency_key, actor=actor, request=request)
    except IntegrityError:
        # A parallel request with the same key won the race: return what it filed.
        existing = Application.objects.filter(applicant=application.applicant,
                                              idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing


_RELATIONS = ("service", "service_version", "applicant", "agency")
_SUBMITTED_FIELDS = ("applicant_name", "applicant_tazkira", "applicant_date_of_birth", "idempotency_key", "state",
                     "submitted_at", "due_date", "clock_paused_on", "reference", "search_text", "updated_at")


def _relation(model: type[models.Model], name: str) -> models.ForeignKey[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.ForeignKey)
    return field


def _relations_at_hand(application: Application) -> bool:
    """Whether the instance already holds the rows submission reads (no query to find out)."""
    if not all(_relation(Application, name).is_cached(application) for name in _RELATIONS):
        return False
    service = application.service
    return _relation(type(service), "agency").is_cached(service)


def _reuse_relations(locked: Application, known: Application) -> None:
    """Give the freshly locked row the related rows `known` holds, where they are the same rows."""
    for name in _RELATIONS:
        field = _relation(Application, name)
        if getattr(locked, field.attname) == getattr(known, field.attname):
            field.set_cached_value(locked, field.get_cached_value(known))


def _submit(*, application: Application, idempotency_key: str, actor: User,
            request: HttpRequest | None) -> Application:
    # of=("self",): lock the file only. A plain FOR UPDATE with select_related would also
    # lock the service, agency and version rows: every submission of an agency would queue
    # behind every other, and new drafts (whose foreign keys take KEY SHARE) behind them.
    # The file's agency comes along: the payment order opened in this transaction is the agency's.
    known = application
    if _relations_at_hand(known):
        # A draft made by this request (the citizen's page) carries its service, agency, version
        # and applicant as they were read a moment ago: lock and read the row alone.
        application = Application.objects.select_for_update().get(pk=known.pk)
        _reuse_relations(application, known)
    else:
        application = Application.objects.select_for_update(of=("self",)).select_related(
            "service__agency", "service_version", "applicant", "agency").get(pk=known.pk)
    if not application.is_draft:
        return application  # already submitted by an earlier request
    return _submit_draft(application=application, idempotency_key=idempotency_key, actor=actor, request=request)


def application_new(*, applicant: User, service: Service, data: dict[str, Any],
                    applicant_info: dict[str, Any] | None = None) -> Application:
    """A citizen's new application in memory, not yet written: `application_submit_new` writes
    it (a complete post), so its row is written once, already submitted."""
    if service.current_version is None:
        raise ApplicationError(_("This service is not open for applications."), code="service_closed")
    info = {key: value for key, value in (applicant_info or {}).items() if key in APPLICANT_FIELDS}
    return Application(service=service, service_version=service.current_version, agency=service.agency,
                       applicant=applicant, channel=Channel.ONLINE, data=data, **info)


def application_submit_new(*, application: Application, idempotency_key: str, actor: User,
                           request: HttpRequest | None = None, documents: Sequence[Any] = ()) -> Application:
    """Submit a new application (`application_new`) with its `documents` (their files already
    in storage), in the caller's transaction (`drafts.application_file`): the row is written
    once, submitted (an INSERT, where a draft written first and then submitted cost a second
    write of the row and of its twenty indexes). A key already used breaks the unique
    constraint (IntegrityError): the caller's transaction rolls back and it answers."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("submit a new application inside the caller's transaction")
    assert application._state.adding and application.filed_by_id is None
    return _submit_draft(application=application, idempotency_key=idempotency_key, actor=actor, request=request,
                         documents=documents)


def _submit_draft(*, application: Application, idempotency_key: str, actor: User,
                  request: HttpRequest | None, documents: Sequence[Any] = ()) -> Application:
    """Submission proper, on a draft the caller holds (locked), or on a new application not
    yet written (application_submit_new: written here, with its documents)."""
    if application.filed_by_id is not None and actor.pk != application.filed_by_id:
        # A draft prepared at a center is submitted by its operator, with consent recorded.
        raise ApplicationError(_("This application is being filed for you at a service center."),
                               code="filed_by_operator")
    workflow = Workflow.of(application.service_version.definition)
    now = timezone.now()
    today = timezone.localdate(now)
    if application.applicant_relationship == Relationship.SELF:
        # Filed for the account holder: the file names them (what the inbox searches).
        application.applicant_name = application.applicant.full_name
        application.applicant_tazkira = application.applicant.tazkira_number
        application.applicant_date_of_birth = None
    elif not application.applicant_name.strip():
        raise ApplicationError(_("Write the name of the person this application is for."), code="applicant_needed")
    application.idempotency_key = idempotency_key
    application.state = workflow.initial
    application.submitted_at = now
    application.due_date = add_working_days(today, application.service_version.time_standard_days)
    # A first state that waits for the applicant (a payment) starts with the clock stopped.
    application.clock_paused_on = today if workflow.state(workflow.initial).pauses_clock else None
    # The counter row is locked last, for as short a time as possible.
    application.reference = reference_next(service=application.service, year=solar_hijri_year(today))
    application.search_text = search_text_for(application)
    if application._state.adding:
        insert_new(application)
        for document in documents:
            insert_new(document)  # its application's id is taken from the row just written
    else:
        application.save(update_fields=_SUBMITTED_FIELDS)
    insert_new(ApplicationEvent(
        application=application, actor=actor, actor_role=actor.role, transition="submit",
        from_state=Application.DRAFT, to_state=workflow.initial,
    ))
    # The submission's audit event and those its subscribers record (the payment order opened)
    # are written in one INSERT as the block ends, still in this transaction.
    with audit_written_together():
        audit_record(action="applications.submitted", target_type="application", target_id=application.reference,
                     actor=actor, subject=application.applicant, request=request,
                     data={"service": application.service_id, "version": application.service_version.number,
                           "channel": application.channel, "on_behalf": application.filed_by_id is not None},
                     seal_soon=True)  # sealed by this process's pass every few seconds (audit_record)
        # Payments opens the fee's order (or moves a file with nothing to pay past its payment
        # step); the applicant is told, with the payment reference.
        publish(ApplicationSubmitted(application=application, actor=actor), request=request)
    return application


# --- the workflow ------------------------------------------------------------------------

@transaction.atomic
def application_transition(*, application: Application, actor: User | None, transition: str,
                           expected_state: str, reason_code: str = "", reason_text: str = "",
                           request: HttpRequest | None = None, as_system: bool = False) -> Application:
    """Take one workflow step on a file, or refuse with an ApplicationError.

    The row is locked and its state compared with the one the actor saw
    (`expected_state`): of two officers acting at once, one wins and the other is told,
    and nothing is applied twice.
    """
    locked = Application.objects.select_for_update(of=("self",)).select_related("service_version").get(
        pk=application.pk)
    if locked.state != expected_state:
        raise ApplicationError(
            _("Someone else acted on this file a moment ago; it is now “%(state)s”. Look again before acting.")
            % {"state": _state_label(locked, locked.state)}, code="stale")
    if as_system:
        role = "system"
    elif actor is None or (role := workflow_role(actor, locked)) is None:  # type: ignore[assignment]
        raise ApplicationError(_("You may not act on this file."), code="forbidden")
    workflow = Workflow.of(locked.service_version.definition)
    try:
        step = workflow.find(locked.state, transition, role)
    except TransitionNotAllowed as error:
        raise ApplicationError(_("This step is not possible now."), code="not_allowed") from error
    _check_reason(step, reason_code, reason_text)
    # Two-person approval: whoever reviewed the file in another role (an officer who
    # recommended it, say) may not take this step, even if they hold this role now. Earlier
    # steps in this same role (an approver who sent the file back) do not count.
    if step.four_eyes and actor is not None and locked.events.filter(actor=actor).exclude(
            transition="submit").exclude(actor_role=actor.role).exists():
        raise ApplicationError(_("Two-person approval: someone other than the reviewer must take this step."),
                               code="four_eyes")

    today = timezone.localdate()
    from_state = locked.state
    target = _returning_to(locked, workflow) if step.returns else step.target
    _move_clock(locked, leaving=workflow.state(from_state).pauses_clock,
                entering=workflow.state(target).pauses_clock, today=today)
    locked.state = target
    locked.is_final = workflow.is_final(target)
    if locked.is_final:
        locked.decided_at = timezone.now()
    locked.save()
    ApplicationEvent.objects.create(
        application=locked, actor=actor, actor_role=role if as_system else getattr(actor, "role", ""),
        transition=step.name, from_state=from_state, to_state=target,
        reason_code=reason_code, reason_text=reason_text,
    )
    audit_record(action=f"applications.{step.name}", target_type="application", target_id=locked.reference,
                 actor=actor, subject=locked.applicant, reason=reason_text, request=request,
                 data={"from": from_state, "to": target, "reason_code": reason_code})
    # Documents issues the service's document on entering an issuing state; payments moves a
    # file that reaches its payment step with the fee paid straight on (and refreshes `locked`).
    publish(ApplicationTransitioned(
        application=locked, actor=None if as_system else actor, step=step.name, from_state=from_state,
        to_state=target, actor_role=role if as_system else getattr(actor, "role", ""),
        reason_code=reason_code, reason_text=reason_text), request=request)
    milestone = workflow.state(target).milestone
    if milestone:
        publish(MILESTONE_EVENTS[milestone](application=locked, state=target, reason_code=reason_code,
                                            reason_text=reason_text), request=request)
    return locked


def _returning_to(application: Application, workflow: Workflow) -> str:
    """Where a file sent back for correction goes once corrected: the state it was sent from."""
    sent = application.events.filter(to_state=application.state).order_by("-occurred_at", "-id").first()
    if sent is None or sent.from_state not in workflow.states or workflow.is_final(sent.from_state):
        raise ApplicationError(_("This step is not possible now."), code="not_allowed")
    return sent.from_state


def _check_reason(step: Transition, reason_code: str, reason_text: str) -> None:
    if reason_code and reason_code not in DecisionReason.values:
        raise ApplicationError(_("Choose a reason from the list."), code="bad_reason")
    if step.needs_reason and not (reason_code or reason_text.strip()):
        raise ApplicationError(_("Give a reason for this step: the applicant will read it."), code="reason_needed")
    if reason_code == DecisionReason.OTHER and not reason_text.strip():
        raise ApplicationError(_("Explain the reason in a few words."), code="reason_needed")


def _move_clock(application: Application, *, leaving: bool, entering: bool, today: datetime.date) -> None:
    """Stop the time standard while the file waits for the applicant; on return, push the
    deadline back by the working days it waited."""
    if entering and not leaving:
        application.clock_paused_on = today
    elif leaving and not entering and application.clock_paused_on is not None:
        waited = working_days_between(application.clock_paused_on, today)
        if application.due_date is not None and waited > 0:
            application.due_date = add_working_days(application.due_date, waited)
        application.clock_paused_on = None


def _state_label(application: Application, state: str) -> str:
    if state == Application.DRAFT:  # not a workflow state: the file was never submitted
        return _("Draft")
    return Workflow.of(application.service_version.definition).state(state).display_label
