"""Reads for the back office: inbox rows with their time-standard countdown, and the file page.

Each list here costs a fixed number of queries whatever its length: holidays are read once
for all the rows of a page, workflow labels are worked out once per service version.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from khedmat.accounts import selectors as account_selectors
from khedmat.accounts.roles import Role
from khedmat.catalog import fragments
from khedmat.catalog import selectors as catalog_selectors
from khedmat.core.formatting import format_date, format_number
from khedmat.core.i18n import pick
from khedmat.core.workdays import holidays_between, is_working_day

from ..formschema import correctable_fields
from ..handover import form_definition
from ..models import Application, ApplicationEvent, Consent, DecisionReason, Document, Message, Note
from ..workflow import REQUEST_CORRECTION, Transition, Workflow

if TYPE_CHECKING:
    from khedmat.accounts.models import User
    from khedmat.catalog.models import ServiceVersion

# --- the time standard -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sla:
    """Where a file stands against its deadline, in words for the inbox and the file page."""

    kind: str  # "closed", "paused", "due_today", "left" or "overdue"
    days: int
    text: str

    @property
    def is_overdue(self) -> bool:
        return self.kind == "overdue"


def holidays_for(dates: Iterable[datetime.date | None], today: datetime.date) -> set[datetime.date]:
    """The public holidays between today and the furthest of `dates` (one query)."""
    known = [day for day in dates if day is not None]
    if not known:
        return set()
    start, end = min([*known, today]), max([*known, today])
    return holidays_between(start, end)


def _working_days_between(start: datetime.date, end: datetime.date, holidays: set[datetime.date]) -> int:
    """Working days after `start` up to and including `end` (`start` <= `end`)."""
    count = 0
    day = start
    while day < end:
        day += datetime.timedelta(days=1)
        if is_working_day(day, holidays):
            count += 1
    return count


def sla_for(application: Application, *, today: datetime.date, holidays: set[datetime.date]) -> Sla:
    if application.is_final:
        return Sla("closed", 0, _("Closed"))
    if application.clock_paused_on is not None:
        return Sla("paused", 0, _("Paused: waiting for the applicant"))
    due = application.due_date
    if due is None:
        return Sla("left", 0, "")
    if due == today:
        return Sla("due_today", 0, _("Due today"))
    if due > today:
        days = _working_days_between(today, due, holidays)
        if days == 0:  # only weekend days and holidays before the deadline
            return Sla("due_today", 0, _("Due on the next working day"))
        return Sla("left", days, ngettext("%(count)s working day left", "%(count)s working days left", days)
                   % {"count": format_number(days)})
    days = _working_days_between(due, today, holidays)
    if days == 0:
        return Sla("overdue", 0, _("Overdue: the deadline has passed"))
    return Sla("overdue", days, ngettext("Overdue by %(count)s working day", "Overdue by %(count)s working days", days)
               % {"count": format_number(days)})


# --- workflow labels ------------------------------------------------------------------------

class _Workflows:
    """Workflows of the service versions met on a page, each parsed once."""

    def __init__(self) -> None:
        self._by_version: dict[int, Workflow] = {}

    def of(self, application: Application) -> Workflow:
        version = application.service_version
        if version.pk not in self._by_version:
            self._by_version[version.pk] = Workflow.of(version.definition)
        return self._by_version[version.pk]

    def state_label(self, application: Application, state: str) -> str:
        workflow = self.of(application)
        if state == Application.DRAFT:
            return _("Draft")
        return workflow.states[state].display_label if state in workflow.states else state


def person_name(user: User | None) -> str:
    """How staff pages name a person: their full name, else their mobile number or username."""
    if user is None:
        return ""
    return user.full_name or user.phone_number or user.username


# --- the inbox ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class InboxRow:
    """One file of the inbox, with what its row shows already worked out: the template reads
    plain attributes (a row is drawn 25 times a page, each lookup through the file costs)."""

    application: Application
    service_name: str
    applicant_name: str  # may be empty: many citizens are known by their mobile number only
    applicant_phone: str
    filed_by_name: str  # the account holder, when the application is for someone else
    state_label: str
    assigned_name: str
    sla: Sla
    file_url: str = ""
    claim_url: str = ""
    due_date_text: str = ""

    @property
    def is_escalated(self) -> bool:
        return self.application.escalated_at is not None

    @property
    def is_open(self) -> bool:
        return not self.application.is_final

    @property
    def public_id(self) -> uuid.UUID:
        return self.application.public_id

    @property
    def reference(self) -> str | None:
        return self.application.reference

    @property
    def assigned_to_id(self) -> int | None:
        return self.application.assigned_to_id


_NO_FILE = uuid.UUID(int=0)


def _file_links(name: str) -> Callable[[uuid.UUID], str]:
    """The link of URL `name` for any file, from one reverse() (in the current language)."""
    head, _found, tail = reverse(f"applications:{name}", kwargs={"public_id": _NO_FILE}).partition(str(_NO_FILE))
    return lambda public_id: f"{head}{public_id}{tail}"


def inbox_rows(applications: list[Application], *, today: datetime.date | None = None) -> list[InboxRow]:
    """Inbox rows for a page of `inbox_page` (one query for the holidays, whatever the length)."""
    today = today or timezone.localdate()
    holidays = holidays_for((a.due_date for a in applications), today)
    workflows = _Workflows()
    file_url, claim_url = _file_links("office_file"), _file_links("office_claim")
    dates: dict[datetime.date | None, str] = {}
    rows = []
    for application in applications:
        due = application.due_date
        if due not in dates:
            dates[due] = format_date(due)
        rows.append(InboxRow(
            application=application,
            service_name=application.service_version.name,
            applicant_name=application.applicant_name or application.applicant.full_name,
            applicant_phone=application.applicant.phone_number or "",
            filed_by_name=person_name(application.applicant) if application.for_someone_else else "",
            state_label=workflows.state_label(application, application.state),
            assigned_name=person_name(application.assigned_to),
            sla=sla_for(application, today=today, holidays=holidays),
            file_url=file_url(application.public_id),
            claim_url=claim_url(application.public_id),
            due_date_text=dates[due],
        ))
    return rows


@dataclass(frozen=True)
class FilterChoices:
    services: list[tuple[int, str]]
    states: list[tuple[str, str]]
    colleagues: list[User] = field(default_factory=list)
    agency_name: str = ""


def _agency_catalog(agency_id: int) -> dict[str, Any]:
    """The agency's name, its services (by name) and the states each one's workflow names, in
    the current language: what the inbox's filters offer (one query)."""
    services = list(catalog_selectors.services_with_a_version(agency_id=agency_id).order_by("code"))
    states: dict[int, list[tuple[str, str]]] = {}
    for service in services:
        workflow = Workflow.of(service.current_version.definition)  # type: ignore[union-attr]
        states[service.pk] = [(name, str(state.display_label)) for name, state in workflow.states.items()]
    return {
        "agency_name": str(services[0].agency.name) if services else "",
        "services": sorted(((s.pk, str(s.name)) for s in services), key=lambda choice: choice[1]),
        "states": states,
    }


def inbox_filter_choices(*, agency_id: int, service_id: int | None = None) -> FilterChoices:
    """The agency's services, the states their workflows name and the colleagues files are
    assigned to, for the inbox filters. With a service chosen, only that service's states:
    another service's states would find nothing.

    The services and states are the same for every officer of the agency until the catalog
    changes: kept in the cache under the catalog version (`catalog.fragments`, renewed on every
    save of an agency, service or version), per agency and language. The colleagues are read
    each time (one query): who works at the agency is not part of the catalog."""
    catalog = fragments.cached("office-filters", agency_id, get_language(),
                               render=lambda: _agency_catalog(agency_id))
    by_service: dict[int, list[tuple[str, str]]] = catalog["states"]
    chosen = [service_id] if service_id in by_service else list(by_service)
    states: dict[str, str] = {}
    for pk in chosen:
        for name, label in by_service[pk]:
            states.setdefault(name, label)
    colleagues = agency_colleagues(agency_id=agency_id)
    return FilterChoices(services=list(catalog["services"]), states=list(states.items()), colleagues=colleagues,
                         agency_name=catalog["agency_name"])


# --- the file page --------------------------------------------------------------------------

def agency_colleagues(*, agency_id: int) -> list[User]:
    """The agency's active officers, approvers and administrators: whom a file may be given to."""
    return account_selectors.agency_staff(agency_id=agency_id)


def state_label(application: Application) -> str:
    """The file's current state, as its workflow names it in the reader's language."""
    return _Workflows().state_label(application, application.state)


def office_application_get(*, officer: User, public_id: uuid.UUID | str) -> Application | None:
    """The submitted file with this public id, if it belongs to the officer's agency."""
    if officer.agency_id is None:
        return None
    # The public id is unique: the first row without ordering (`.first()` sorts by id).
    # Joined: what every file page shows. Not joined: the service (the page reads none of it)
    # and the operator and centre of a file filed at a centre (read when there is one): with
    # eight tables joined, PostgreSQL spent 2 ms planning a statement it runs in 0.2.
    found = list(Application.objects.exclude(state=Application.DRAFT)
                 .select_related("service_version", "agency", "applicant", "assigned_to")
                 .filter(public_id=public_id, agency_id=officer.agency_id)[:1])
    return found[0] if found else None


@dataclass(frozen=True)
class Answer:
    title: str
    value: str = ""
    groups: list[list[Answer]] = field(default_factory=list)


@dataclass(frozen=True)
class DocumentRow:
    document: Document
    name: str
    size: str
    download_url: str | None


@dataclass(frozen=True)
class HistoryRow:
    event: ApplicationEvent
    what: str
    from_label: str
    to_label: str
    who: str
    reason_label: str


@dataclass(frozen=True)
class ActionChoice:
    transition: Transition
    label: str
    needs_reason: bool
    four_eyes: bool


@dataclass(frozen=True)
class CorrectionRow:
    """One corrected answer in the file's correction history."""

    field: str
    old: str
    new: str
    who: str
    when: datetime.datetime
    reason: str


@dataclass
class FileView:
    application: Application
    service_name: str
    state_label: str
    sla: Sla
    answers: list[Answer]
    documents: list[DocumentRow]
    history: list[HistoryRow]
    notes: list[Note]
    messages: list[Message]
    actions: list[ActionChoice]
    colleagues: list[User]
    consent: Consent | None
    assigned_to_viewer: bool
    reason_choices: list[tuple[str, str]]
    correction_action: ActionChoice | None = None
    correctable: list[tuple[str, str]] = field(default_factory=list)
    corrections: list[CorrectionRow] = field(default_factory=list)


def _text(value: Any) -> str:
    return pick(value, None) if isinstance(value, dict) else str(value or "")


def _title(schema: dict[str, Any], name: str) -> str:
    return pick({"en": schema.get("title") or name, **(schema.get("x-title") or {})}, None)


def _value(schema: dict[str, Any], value: Any) -> str:
    if value is None or value == "":
        return _("Not answered")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    enum_titles = schema.get("x-enum-titles") or {}
    if str(value) in enum_titles:
        return _text(enum_titles[str(value)])
    if schema.get("format") == "date" and isinstance(value, str):
        try:
            return format_date(datetime.date.fromisoformat(value), with_gregorian=True)
        except ValueError:
            return value
    if isinstance(value, int | float) and schema.get("type") in ("integer", "number"):
        return format_number(value)
    if isinstance(value, list):
        return "، ".join(_value(schema.get("items") or {}, item) for item in value)
    return str(value)


def answers_for(form: dict[str, Any], data: dict[str, Any]) -> list[Answer]:
    """The submitted answers in the form's order, titled in the reader's language."""
    answers = []
    for name, schema in (form.get("properties") or {}).items():
        value = data.get(name)
        title = _title(schema, name)
        if schema.get("type") == "object" and isinstance(value, dict):
            answers.append(Answer(title, groups=[answers_for(schema, value)]))
        elif (schema.get("type") == "array" and (schema.get("items") or {}).get("type") == "object"
              and isinstance(value, list)):
            groups = [answers_for(schema["items"], item) for item in value if isinstance(item, dict)]
            answers.append(Answer(title, value="" if groups else _("Not answered"), groups=groups))
        else:
            answers.append(Answer(title, _value(schema, value)))
    return answers


def document_download_url(application: Application, document: Document) -> str | None:
    """The checked, audited download view of the citizen side, if it is installed."""
    try:
        return reverse("applications:document_download",
                       kwargs={"public_id": application.public_id, "document_id": document.public_id})
    except NoReverseMatch:
        return None


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return _("%(size)s MB") % {"size": format_number(round(size / (1024 * 1024), 1))}
    return _("%(size)s KB") % {"size": format_number(max(1, round(size / 1024)))}


def _role_label(role: str) -> str:
    if role == "system":
        return _("The platform")
    return str(Role(role).label) if role in Role.values else role


def _answers_form(version: ServiceVersion) -> dict[str, Any]:
    """The version's form as its answers are titled: for a service that hands over at a centre,
    the centre's field with the centres' names (`handover.form_definition`: a query and a copy
    of the definition). Those depend only on the version (never changed) and on the centres
    and what they offer, which renew the catalog version: kept under it, per version."""
    definition = version.definition
    if not definition.get("handover"):
        return definition.get("form") or {}
    return fragments.cached("office-answers-form", version.pk, render=lambda: form_definition(
        definition, service_id=version.service_id).get("form") or {})


def office_file(*, application: Application, viewer: User, workflow_role: str | None) -> FileView:
    """Everything the file page shows to `viewer`, a member of the responsible agency's staff."""
    version = application.service_version
    definition = version.definition
    workflows = _Workflows()
    workflow = workflows.of(application)
    today = timezone.localdate()
    sla = sla_for(application, today=today, holidays=holidays_for([application.due_date], today))

    documents_by_code = {doc["code"]: doc for doc in definition.get("required_documents") or []}
    documents = [
        DocumentRow(
            document=document,
            name=_text(documents_by_code[document.document_code]["name"])
            if document.document_code in documents_by_code else document.document_code,
            size=_size(document.size),
            download_url=document_download_url(application, document),
        )
        for document in application.documents.order_by("uploaded_at", "id")
    ]

    transitions = {t.name: t for t in workflow.transitions}
    history = []
    for event in application.events.select_related("actor").order_by("occurred_at", "id"):
        step = transitions.get(event.transition)
        what = step.display_label if step else event.transition
        if event.transition == "submit":
            what = _("Submitted")
        who_role = _("Applicant") if event.actor_id == application.applicant_id else _role_label(event.actor_role)
        who = f"{person_name(event.actor)} ({who_role})" if event.actor else who_role
        history.append(HistoryRow(
            event=event, what=what, who=who,
            from_label=workflows.state_label(application, event.from_state),
            to_label=workflows.state_label(application, event.to_state),
            reason_label=str(DecisionReason(event.reason_code).label) if event.reason_code else "",
        ))

    steps = workflow.available(application.state, workflow_role) if workflow_role else []
    actions = [
        ActionChoice(transition=t, label=t.display_label, needs_reason=t.needs_reason, four_eyes=t.four_eyes)
        for t in steps if t.name != REQUEST_CORRECTION
    ]
    correction_step = next((t for t in steps if t.name == REQUEST_CORRECTION), None)
    properties = (definition.get("form") or {}).get("properties") or {}
    correctable = [(name, _title(schema, name)) for name, schema in correctable_fields(definition).items()]
    corrections = [
        CorrectionRow(field=_title(properties.get(change.field) or {}, change.field),
                      old=_value(properties.get(change.field) or {}, change.old_value),
                      new=_value(properties.get(change.field) or {}, change.new_value),
                      who=person_name(change.corrected_by)
                      + (f" ({_('Applicant')})" if change.corrected_by_id == application.applicant_id else ""),
                      when=change.corrected_at, reason=change.request.message if change.request else change.reason)
        for change in application.field_corrections.select_related("corrected_by", "request")
    ]
    colleagues = agency_colleagues(agency_id=application.agency_id)
    messages = list(application.messages.select_related("author").prefetch_related(
        Prefetch("documents", queryset=Document.objects.order_by("uploaded_at", "id"))))
    return FileView(
        application=application,
        service_name=version.name,
        state_label=workflows.state_label(application, application.state),
        sla=sla,
        answers=answers_for(_answers_form(version), application.data or {}),
        documents=documents,
        history=history,
        notes=list(application.notes.select_related("author")),
        messages=messages,
        actions=actions,
        colleagues=colleagues,
        consent=Consent.objects.filter(application=application).first() if application.filed_by_id else None,
        assigned_to_viewer=application.assigned_to_id == viewer.pk,
        reason_choices=[(code, str(label)) for code, label in DecisionReason.choices],
        correction_action=ActionChoice(transition=correction_step, label=correction_step.display_label,
                                       needs_reason=True, four_eyes=correction_step.four_eyes)
        if correction_step else None,
        correctable=correctable,
        corrections=corrections,
    )
