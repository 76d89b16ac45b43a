"""Reads for the citizen's pages: their files, one file's timeline and messages, the public
status check, and who may download a document. Internal notes are never read here."""

from __future__ import annotations

import datetime
import hmac
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from khedmat.accounts.roles import Role
from khedmat.catalog import fragments
from khedmat.catalog import selectors as catalog_selectors
from khedmat.catalog.fees import FeeError, fee_for
from khedmat.core.formatting import current_language, format_number
from khedmat.core.i18n import pick

from ..access import can_view_application
from ..formschema import Answer, answers_for_display, field_title
from ..handover import form_definition
from ..models import Application, ApplicationEvent, CorrectionRequest, DecisionReason, Document, Message
from ..workflow import CORRECTION_STATE, Transition, Workflow

if TYPE_CHECKING:
    from khedmat.accounts.models import User
    from khedmat.catalog.models import Service

ONLINE = "online"


def service_for_online_application(*, slug: str) -> Service | None:
    """A published, active service that may be applied for online."""
    service = catalog_selectors.service_get(slug=slug)
    if service is None or service.current_version is None:
        return None
    if ONLINE not in service.current_version.definition.get("channels", []):
        return None
    return service


def online_application_kept(*, slug: str) -> tuple[Service, dict[str, Any]] | None:
    """`service_for_online_application` with its current version's form definition as its form
    is checked (`handover.form_definition`: the collection centres), kept together in the shared
    cache under the catalog version (catalog/fragments.py: any change to a service, its version,
    agency or category, or to a centre, gives a new one at once and on commit). Together, so that
    the application's post reads both in one cache round trip, and neither from the database.
    The definition comes out of the cache as a copy of its own on every call."""
    def read() -> tuple[Service, dict[str, Any]] | None:
        service = service_for_online_application(slug=slug)
        if service is None:
            return None
        assert service.current_version is not None
        return service, form_definition(service.current_version.definition, service_id=service.pk)
    return fragments.cached("apply-post", slug, render=read)


def time_standard_text(days: int) -> str:
    return ngettext("%(days)s working day", "%(days)s working days", days) % {"days": format_number(days)}


def official_fee(definition: dict[str, Any], data: dict[str, Any]) -> int | None:
    """The fee these answers owe (khedmat.catalog.fees.fee_for, the one place it is
    computed), or None if it cannot be told (no option chosen yet)."""
    try:
        return fee_for(definition, data).amount
    except FeeError:
        return None


# --- states in plain words -------------------------------------------------------------------

class _Workflows:
    """Workflows parsed once per service version within one read."""

    def __init__(self) -> None:
        self._by_version: dict[int, Workflow] = {}

    def of(self, application: Application) -> Workflow:
        version_id = application.service_version_id
        if version_id not in self._by_version:
            self._by_version[version_id] = Workflow.of(application.service_version.definition)
        return self._by_version[version_id]


def state_label(application: Application, workflow: Workflow | None = None) -> str:
    """The file's state as its applicant reads it."""
    if application.is_draft:
        return _("Draft: not sent yet")
    workflow = workflow or Workflow.of(application.service_version.definition)
    if application.state in workflow.states:
        return workflow.state(application.state).display_label
    return application.state


# --- my applications -----------------------------------------------------------------------

@dataclass(frozen=True)
class ApplicationRow:
    application: Application
    service_name: str
    agency_name: str
    state_label: str
    is_draft: bool
    is_final: bool
    waiting_for_me: bool
    date: datetime.datetime


def _citizens_files(applicant: User) -> QuerySet[Application]:
    """The citizen's files, less drafts an operator is still preparing for them at a center:
    those become theirs once submitted with their consent."""
    return Application.objects.filter(applicant=applicant).exclude(state=Application.DRAFT, filed_by__isnull=False)


def citizen_applications(*, applicant: User) -> list[ApplicationRow]:
    """The citizen's files, newest first: drafts and submitted ones (three queries in all)."""
    files = (_citizens_files(applicant)
             .select_related("service_version", "agency").order_by("-created_at", "-id"))
    workflows = _Workflows()
    rows = []
    for application in files:
        workflow = workflows.of(application)
        waiting = (not application.is_draft and bool(workflow.available(application.state, "applicant"))
                   and _waits_for_applicant(workflow, application.state))
        rows.append(ApplicationRow(
            application=application, service_name=application.service_version.name,
            agency_name=application.agency.name, state_label=state_label(application, workflow),
            is_draft=application.is_draft, is_final=application.is_final, waiting_for_me=waiting,
            date=application.submitted_at or application.updated_at,
        ))
    return rows


def _waits_for_applicant(workflow: Workflow, state: str) -> bool:
    """A state in which the file waits for the applicant: the clock stops, or only the
    applicant can move it on."""
    if state not in workflow.states:
        return False
    if workflow.state(state).pauses_clock:
        return True
    return workflow.roles_acting_in(state) == {"applicant"}


def citizen_application_get(*, applicant: User, public_id: uuid.UUID) -> Application | None:
    """One of the citizen's own files; None for anyone else's (the caller answers 404)."""
    return (_citizens_files(applicant).select_related("service", "service_version", "agency")
            .filter(public_id=public_id).first())


def application_by_submission_token(*, applicant: User, token: str) -> Application | None:
    """The application already submitted with this form's idempotency key, if any."""
    return Application.objects.filter(applicant=applicant, idempotency_key=token).first()


# The two reads of the apply page's GET and POST, in plain SQL built once per process and
# database kind: the ORM spent more CPU building each (~1 ms) than the database answering it.
# Portable (quoted names, %s parameters); values pass through the ORM's own converters (a UUID
# and a date from SQLite's text).
_APPLY_READS: dict[str, tuple[str, str, Any, Any]] = {}


def _apply_reads() -> tuple[str, str, Any, Any]:
    plan = _APPLY_READS.get(connection.vendor)
    if plan is None:
        quote = connection.ops.quote_name
        table = quote(Application._meta.db_table)

        def col(name: str) -> str:
            return quote(Application._meta.get_field(name).column)  # type: ignore[union-attr, arg-type]

        def converters(name: str) -> list[tuple[Any, Any]]:
            expression = Application._meta.get_field(name).get_col(Application._meta.db_table)  # type: ignore[union-attr]
            found = [*connection.ops.get_db_converters(expression), *expression.get_db_converters(connection)]
            return [(converter, expression) for converter in found]

        # As `submitted_with_token`'s and `draft_in_progress`'s querysets read (the unique
        # (applicant, key) pair makes the first's order moot).
        submitted = (f"SELECT {col('public_id')} FROM {table} WHERE {col('applicant')} = %s "  # noqa: S608 - our names
                     f"AND {col('idempotency_key')} = %s AND NOT ({col('state')} = %s) LIMIT 1")
        draft = (f"SELECT {col('id')}, {col('public_id')}, {col('updated_at')} FROM {table} "  # noqa: S608 - our names
                 f"WHERE {col('applicant')} = %s AND {col('service')} = %s AND {col('state')} = %s "
                 f"AND {col('filed_by')} IS NULL ORDER BY {col('updated_at')} DESC LIMIT 1")
        plan = _APPLY_READS[connection.vendor] = (submitted, draft, converters("public_id"), converters("updated_at"))
    return plan


def _converted(value: Any, converters: list[tuple[Any, Any]]) -> Any:
    for converter, expression in converters:
        value = converter(value, expression, connection)
    return value


def submitted_with_token(*, applicant: User, token: str) -> uuid.UUID | None:
    """The public id of the application already submitted with this form's idempotency key, if
    any: all a post needs to send a double click to it (one column, no model built)."""
    sql, _draft, public_id, _updated = _apply_reads()
    with connection.cursor() as cursor:
        cursor.execute(sql, [applicant.pk, token, Application.DRAFT])
        row = cursor.fetchone()
    return _converted(row[0], public_id) if row is not None else None


def draft_in_progress(*, applicant: User, service: Service) -> Application | None:
    """The citizen's latest draft for this service, to offer resuming it (its address and date:
    what the offer shows). Not one an operator is preparing for them at a centre (`_citizens_files`)."""
    _submitted, sql, public_id, updated_at = _apply_reads()
    with connection.cursor() as cursor:
        cursor.execute(sql, [applicant.pk, service.pk, Application.DRAFT])
        row = cursor.fetchone()
    if row is None:
        return None
    return Application.from_db(connection.alias, ["id", "public_id", "updated_at"],
                               [row[0], _converted(row[1], public_id), _converted(row[2], updated_at)])


# --- one file ------------------------------------------------------------------------------

@dataclass(frozen=True)
class TimelineEntry:
    occurred_at: datetime.datetime
    title: str
    state_label: str
    by: str
    by_applicant: bool
    reason: str


@dataclass(frozen=True)
class MessageView:
    message: Message
    from_applicant: bool
    documents: list[Document]


@dataclass
class CitizenFile:
    application: Application
    service_name: str
    agency_name: str
    state_label: str
    timeline: list[TimelineEntry]
    messages: list[MessageView]
    documents: list[Document]
    answers: list[Answer]
    answering_actions: list[Transition]
    closing_actions: list[Transition]
    asked: str
    clock_paused: bool
    fee: int | None
    time_standard: str
    document_names: dict[str, str] = field(default_factory=dict)
    correction: CorrectionRequest | None = None
    correction_titles: list[str] = field(default_factory=list)
    can_withdraw: bool = False

    @property
    def actions(self) -> list[Transition]:
        """The steps the applicant may take now: answers first, then steps that end the file."""
        return [*self.answering_actions, *self.closing_actions]


def _by(event: ApplicationEvent, applicant_id: int) -> str:
    if event.actor_id is not None and event.actor_id == applicant_id:
        return _("You")
    if event.actor_role == "system" or event.actor_id is None:
        return _("Automatically")
    if event.actor_role == Role.OPERATOR:
        return _("A service center")
    return _("The agency")


def _reason(event: ApplicationEvent) -> str:
    return decision_reason_text(reason_code=event.reason_code, reason_text=event.reason_text)


def decision_reason_text(*, reason_code: str, reason_text: str) -> str:
    """A step's reason as the applicant reads it (in the active language): the reason chosen
    from the list, then the officer's words."""
    parts = []
    if reason_code and reason_code in DecisionReason.values:
        parts.append(str(DecisionReason(reason_code).label))
    if reason_text:
        parts.append(reason_text)
    return " — ".join(parts)


def citizen_file(*, application: Application) -> CitizenFile:
    """What the applicant sees of their file: history, messages, documents, their answers,
    and the steps they may take now. Never internal notes."""
    definition = application.service_version.definition
    workflow = Workflow.of(definition)
    events = list(application.events.all())
    timeline = []
    for event in events:
        if event.transition == "submit":
            title = _("Application sent")
        else:
            step = next((t for t in workflow.transitions if t.name == event.transition), None)
            title = step.display_label if step else event.transition
        timeline.append(TimelineEntry(
            occurred_at=event.occurred_at, title=title,
            state_label=workflow.state(event.to_state).display_label if event.to_state in workflow.states
            else event.to_state,
            by=_by(event, application.applicant_id), by_applicant=event.actor_id == application.applicant_id,
            reason=_reason(event),
        ))
    messages = [
        MessageView(message=message, from_applicant=message.direction == Message.Direction.FROM_APPLICANT,
                    documents=list(message.documents.all()))
        for message in application.messages.prefetch_related(
            Prefetch("documents", queryset=Document.objects.order_by("uploaded_at", "id")))
    ]
    every = workflow.available(application.state, "applicant") if not application.is_draft else []
    # The engine's own steps (correcting, withdrawing) have their own pages.
    actions = [step for step in every if not step.engine]
    asked = ""
    if actions and events:
        # What the agency asked, as it was written when the file came to the applicant.
        entering = next((e for e in reversed(events) if e.to_state == application.state), None)
        if entering is not None:
            asked = _reason(entering)
            later = [view.message.text for view in messages
                     if not view.from_applicant and view.message.created_at >= entering.occurred_at]
            if later and not entering.reason_text:
                asked = later[-1]
    names = {document["code"]: _document_name(document) for document in definition.get("required_documents", [])}
    correction = (application.correction_requests.filter(corrected_at__isnull=True).order_by("-requested_at", "-id")
                  .first() if application.state == CORRECTION_STATE else None)
    properties = definition["form"].get("properties") or {}
    withdraw = workflow.withdraw_step(application.state)
    return CitizenFile(
        application=application, service_name=application.service_version.name,
        agency_name=application.agency.name, state_label=state_label(application, workflow),
        timeline=timeline, messages=messages,
        documents=list(application.documents.filter(message__isnull=True).order_by("uploaded_at", "id")),
        answers=answers_for_display(
            form_definition(definition, service_id=application.service_version.service_id)["form"],
            application.data or {}, current_language()),
        answering_actions=[step for step in actions if not workflow.is_final(step.target)],
        closing_actions=[step for step in actions if workflow.is_final(step.target)],
        asked=asked, clock_paused=application.clock_paused_on is not None,
        fee=official_fee(definition, application.data or {}),
        time_standard=time_standard_text(application.service_version.time_standard_days), document_names=names,
        correction=correction, correction_titles=[field_title(properties.get(name) or {}, current_language(), name)
                                                  for name in (correction.fields if correction else [])],
        # A withdrawal the definition writes itself is among the closing steps; the engine's has its page.
        can_withdraw=bool(withdraw and withdraw.engine and not application.is_draft),
    )


def _document_name(document: dict[str, Any]) -> str:
    return pick(document["name"], None)


# --- the public status check -------------------------------------------------------------------

@dataclass(frozen=True)
class StatusResult:
    reference: str
    state_label: str
    since: datetime.datetime


def status_lookup(*, reference: str, phone_number: str) -> StatusResult | None:
    """The state of the application with this reference, if it was filed with this mobile
    number; None for any wrong pair (the caller gives the same answer whatever was wrong).

    One plain statement of the few columns the answer needs (the date of the last event as a
    subquery): anyone may ask, so it reads no more than it shows. Plain SQL because building
    the ORM's statement (a subquery, three tables) cost eight times what running it did
    (docs/performance.md, "Status check"). The definition (for the state's label) is parsed
    once per process, by its field.
    """
    row = _status_row(reference)
    filed_with = (row[4] or "") if row is not None else ""
    # Compared in constant time, and compared even when there is no such file.
    matches = hmac.compare_digest(filed_with.encode(), phone_number.encode())
    if row is None or not matches:
        return None
    found_reference, state, submitted_at, updated_at, _phone, definition_text, last_at = row
    definition = _definition_field().from_db_value(definition_text, None, connection)
    workflow = Workflow.of(definition)
    label = workflow.state(state).display_label if state in workflow.states else state
    since = _aware(last_at) or _aware(submitted_at) or _aware(updated_at)
    return StatusResult(reference=found_reference or "", state_label=label, since=since)  # type: ignore[arg-type]


def _related_meta(name: str) -> Any:
    return Application._meta.get_field(name).related_model._meta  # type: ignore[union-attr]


def _definition_field() -> Any:
    """ServiceVersion.definition: parses each text once per process (core.fields)."""
    return _related_meta("service_version").get_field("definition")


def _status_row(reference: str) -> tuple[Any, ...] | None:
    """reference, state, submitted_at, updated_at, the applicant's number, the definition's
    text, the last event's time: of the filed (not draft) application with this reference."""
    quote = connection.ops.quote_name
    applications, events = quote(Application._meta.db_table), quote(ApplicationEvent._meta.db_table)
    users, versions = quote(_related_meta("applicant").db_table), quote(_related_meta("service_version").db_table)
    sql = (
        "SELECT a.reference, a.state, a.submitted_at, a.updated_at, u.phone_number, v.definition, "  # noqa: S608
        f"(SELECT e.occurred_at FROM {events} e WHERE e.application_id = a.id "
        "ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1) "
        f"FROM {applications} a INNER JOIN {users} u ON u.id = a.applicant_id "
        f"INNER JOIN {versions} v ON v.id = a.service_version_id "
        "WHERE a.reference = %s AND NOT (a.state = %s) LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [reference, Application.DRAFT])
        return cursor.fetchone()


def _aware(value: datetime.datetime | str | None) -> datetime.datetime | None:
    """A time from plain SQL as the ORM would give it (SQLite gives text, in UTC, without its offset)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return timezone.make_aware(value, datetime.UTC) if timezone.is_naive(value) else value


# --- documents ------------------------------------------------------------------------------

def document_for_viewer(*, user: Any, application_public_id: uuid.UUID,
                        document_public_id: uuid.UUID) -> Document | None:
    """The document, if `user` may see its file (the applicant, the responsible agency's
    staff, the operator who filed it); None otherwise, whether or not it exists."""
    document = (Document.objects.select_related("application__applicant", "application__agency")
                .filter(public_id=document_public_id, application__public_id=application_public_id).first())
    if document is None or not can_view_application(user, document.application):
        return None
    return document


# --- by phone (SMS and USSD) -------------------------------------------------------------------

def applications_for_phone(*, phone_number: str, limit: int = 8) -> list[Application]:
    """The files sent by the account holding this mobile number, newest first."""
    return list(Application.objects.select_related("service_version", "applicant")
                .filter(applicant__phone_number=phone_number).exclude(state=Application.DRAFT)
                .order_by("-submitted_at", "-id")[:limit])


def application_for_phone(*, reference: str, phone_number: str) -> Application | None:
    """The file with this reference if, and only if, it belongs to this mobile number."""
    application = (Application.objects.select_related("service_version", "applicant")
                   .filter(reference=reference).exclude(state=Application.DRAFT).first())
    filed_with = (application.applicant.phone_number or "") if application is not None else ""
    if application is None or not hmac.compare_digest(filed_with.encode(), phone_number.encode()):
        return None
    return application


def waits_for_applicant(application: Application) -> bool:
    """Whether the file's current state waits for the applicant (to answer, or to pay)."""
    return _waits_for_applicant(Workflow.of(application.service_version.definition), application.state)
