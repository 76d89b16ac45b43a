"""“Who opened my file”: what was done with an application, as its applicant may read it.

Each line says the role and the agency (or center) that acted, never a person's name;
when, in the Solar Hijri calendar; and why, in plain words. The rows come from the audit
trail (every opening of a file and every download of its documents is recorded there).
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from khedmat.accounts.roles import Role
from khedmat.audit.selectors import audit_events_about
from khedmat.catalog import selectors as catalog_selectors
from khedmat.centers import selectors as center_selectors

from ..models import Application, Document
from ..workflow import Workflow

if TYPE_CHECKING:
    from khedmat.audit.models import AuditEvent

# What each recorded action means to the applicant. A workflow step missing here is
# described by the state it led to; anything else by the generic phrase below.
ACTION_PHRASES: dict[str, Promise] = {
    # Looking at the file
    "applications.opened": _("opened your file"),
    "applications.viewed": _("opened your file"),
    "applications.file_opened": _("opened your file"),
    "applications.document_downloaded": _("downloaded a document from your file"),
    "applications.document_viewed": _("opened a document from your file"),
    # Filing
    "applications.submitted": _("submitted the application"),
    "applications.assisted_started": _("started an application on your behalf"),
    "applications.consent_code_sent": _("sent a consent code to your phone"),
    "applications.consent_recorded": _("recorded your consent to file on your behalf"),
    "applications.document_uploaded": _("added a document to your file"),
    # Working the file
    "applications.claimed": _("took the file to work on it"),
    "applications.assigned": _("assigned the file to an officer"),
    "applications.released": _("put the file back in the agency's inbox"),
    "applications.escalated": _("escalated the overdue file to a supervisor"),
    "applications.message_sent": _("sent you a message"),
    "applications.note_added": _("wrote a note for the agency's staff"),
    "applications.message_answered": _("answered a request for information"),
    # The usual workflow steps (a service may name its own)
    "applications.start_review": _("started reviewing the file"),
    "applications.request_information": _("asked you for more information"),
    "applications.provide_information": _("sent the information asked for"),
    "applications.recommend": _("recommended approval"),
    "applications.approve": _("approved the application"),
    "applications.reject": _("rejected the application"),
    "applications.withdraw": _("withdrew the application"),
    "applications.issue": _("issued the document"),
    "applications.record_payment": _("recorded your payment"),
    "applications.expire": _("closed the file because the fee was not paid in time"),
    "documents.issued": _("issued the document"),
    "documents.downloaded": _("downloaded your issued document"),
    "documents.revoked": _("revoked your issued document"),
}
OTHER_ACTION = _("worked on the file")
STEP_TO_STATE = _("moved the file to “%(state)s”")

_WHO_SYSTEM = _("The system (automatic step)")
_WHO_YOU = _("You")
_WHO_AGENCY_SYSTEM = _("The agency's system")


@dataclass(frozen=True)
class AccessEntry:
    """One line of the access record."""

    occurred_at: datetime.datetime
    who: str            # the role, translated: "Agency officer", "Center operator", "You"
    where: str          # the agency's or center's name, in the reader's language; may be empty
    what: str           # the action in plain words
    reason: str         # the reason the actor gave, if any (services store set phrases in English)
    by_applicant: bool
    times: int = 1      # the same thing done again and again in one sitting is one line
    first_at: datetime.datetime | None = None
    event_ids: tuple[int, ...] = ()  # the audit events of the line, for the proof that they are recorded

    @property
    def proof_query(self) -> str:
        """The query of the link to this line's proof (audit:proof)."""
        return "&".join(f"e={event_id}" for event_id in self.event_ids)


# Repeated identical entries closer together than this are shown as one line ("3 times").
SITTING = datetime.timedelta(minutes=30)


def _merge_sittings(entries: list[AccessEntry]) -> list[AccessEntry]:
    """Fold runs of identical entries (same who, where, what and reason) within one sitting:
    an officer working a file reopens its page after every step."""
    merged: list[AccessEntry] = []
    for entry in entries:  # newest first
        last = merged[-1] if merged else None
        if (last is not None and (last.who, last.where, last.what, last.reason)
                == (entry.who, entry.where, entry.what, entry.reason)
                and (last.first_at or last.occurred_at) - entry.occurred_at <= SITTING):
            merged[-1] = dataclasses.replace(last, times=last.times + 1, first_at=entry.occurred_at,
                                             event_ids=last.event_ids + entry.event_ids)
        else:
            merged.append(entry)
    return merged


def access_events(application: Application, *, limit: int | None = None) -> list[AccessEntry]:
    """What was done with `application`, newest first, as its applicant may read it.

    A fixed number of queries whatever the number of events: the file's documents (a
    download is recorded against the document), the events, then the agencies and the
    centers they name (looked up by code).
    """
    targets = [str(application.public_id)]
    if application.reference:
        targets.append(application.reference)
    # A download is recorded against the document itself.
    documents = [str(public_id) for public_id in
                 Document.objects.filter(application=application).values_list("public_id", flat=True)]
    events_query = (
        audit_events_about(subject=application.applicant_id)
        .filter(Q(target_type="application", target_id__in=targets)
                | Q(target_type="document", target_id__in=documents))
        .only("occurred_at", "actor_id", "actor_role", "actor_agency_code", "action", "reason", "data")
    )
    events = list(events_query[:limit] if limit else events_query)
    agency_codes = {event.actor_agency_code for event in events if event.actor_agency_code}
    center_codes = {code for event in events if (code := _center_code(event))}
    agencies = catalog_selectors.agency_names(codes=agency_codes)
    centers = center_selectors.center_names(codes=center_codes)
    # An operator acts only on files of their own center: an event that does not name its
    # center happened at the file's.
    file_center = application.center if application.center_id else None
    if file_center is not None and any(e.actor_role == Role.OPERATOR and not _center_code(e) for e in events):
        centers[""] = file_center.name
    workflow = _workflow_of(application)
    return _merge_sittings([_entry(event, application, agencies, centers, workflow) for event in events])


def _center_code(event: AuditEvent) -> str:
    code = (event.data or {}).get("center") if isinstance(event.data, dict) else None
    return code if isinstance(code, str) else ""


def _workflow_of(application: Application) -> Workflow | None:
    try:
        return Workflow.of(application.service_version.definition)
    except (KeyError, TypeError):
        return None


def _entry(event: AuditEvent, application: Application, agencies: dict[str, str], centers: dict[str, str],
           workflow: Workflow | None) -> AccessEntry:
    by_applicant = event.actor_id is not None and event.actor_id == application.applicant_id
    if by_applicant:
        who = str(_WHO_YOU)
    elif isinstance(event.data, dict) and event.data.get("api_key"):
        who = str(_WHO_AGENCY_SYSTEM)
    elif not event.actor_role or event.actor_role == "system":
        who = str(_WHO_SYSTEM)
    else:
        who = str(Role(event.actor_role).label) if event.actor_role in Role.values else event.actor_role
    if event.actor_role in (Role.OPERATOR, Role.CENTER_MANAGER):
        where = centers.get(_center_code(event), "")
    else:
        where = agencies.get(event.actor_agency_code, "")
    return AccessEntry(
        occurred_at=event.occurred_at, who=who, where="" if by_applicant else where,
        what=_what(event, workflow), reason=gettext(event.reason) if event.reason else "",
        by_applicant=by_applicant, event_ids=(event.pk,),
    )


def _what(event: AuditEvent, workflow: Workflow | None) -> str:
    phrase = ACTION_PHRASES.get(event.action)
    if phrase is not None:
        return str(phrase)
    data: dict[str, Any] = event.data if isinstance(event.data, dict) else {}
    target_state = data.get("to")
    if workflow is not None and isinstance(target_state, str) and target_state in workflow.states:
        return str(STEP_TO_STATE) % {"state": workflow.state(target_state).display_label}
    return str(OTHER_ACTION)
