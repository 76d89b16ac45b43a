"""Reading complaints: who may see and act on one, the staff inbox, the complainant's pages."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from khedmat.accounts import selectors as account_selectors
from khedmat.accounts.roles import AGENCY_ROLES, Role
from khedmat.core.workdays import add_working_days

from . import workflow
from .models import Complaint, ComplaintEvent
from .references import normalize_reference

if TYPE_CHECKING:
    from khedmat.accounts.models import User

# The platform's ombudsman desk: members of this permission group (decision 0033).
OMBUDSMAN_GROUP = "complaints_ombudsman"
# The rung from which the desk sees a complaint (standards.OMBUDSMAN).
_OMBUDSMAN_LEVEL = 3
# Complaints about a member of staff: read by those above the officers only.
_STAFF_COMPLAINT_ROLES = frozenset({Role.APPROVER, Role.AGENCY_ADMIN})


def ombudsman_desk() -> list[User]:
    return account_selectors.group_members(group=OMBUDSMAN_GROUP)


def is_ombudsman(user: User) -> bool:
    return bool(user.is_authenticated) and account_selectors.user_in_group(user=user, group=OMBUDSMAN_GROUP)


def complaint_role(user: User, complaint: Complaint) -> str | None:
    """"handler" if `user` may read and act on `complaint` as staff, else None.

    The agency's staff answer for their agency's complaints (those about a colleague: its
    approvers and head only); a centre's managers for complaints routed to the centre; the
    ombudsman desk for those escalated to it. Never the member of staff complained about."""
    if not user.is_authenticated or user.pk == complaint.officer_id:
        return None
    if complaint.agency_id is not None and user.agency_id == complaint.agency_id and user.role in AGENCY_ROLES \
            and (complaint.about != Complaint.About.STAFF or user.role in _STAFF_COMPLAINT_ROLES):
        return workflow.HANDLER
    if complaint.agency_id is None and user.role == Role.CENTER_MANAGER and user.center_id == complaint.center_id:
        return workflow.HANDLER
    if complaint.escalation_level >= _OMBUDSMAN_LEVEL and is_ombudsman(user):
        return workflow.HANDLER
    return None


def _visible_filter(user: User) -> Q | None:
    """The complaints `user` may see in the inbox, as one condition (None: none at all)."""
    conditions = Q(pk__in=[])
    seen = False
    if user.role in AGENCY_ROLES and user.agency_id is not None:
        mine = Q(agency_id=user.agency_id)
        if user.role not in _STAFF_COMPLAINT_ROLES:
            mine &= ~Q(about=Complaint.About.STAFF)
        conditions |= mine
        seen = True
    if user.role == Role.CENTER_MANAGER and user.center_id is not None:
        conditions |= Q(agency__isnull=True, center_id=user.center_id)
        seen = True
    if is_ombudsman(user):
        conditions |= Q(escalation_level__gte=_OMBUDSMAN_LEVEL)
        seen = True
    return conditions if seen else None


def staff_inbox(*, user: User, show: str = "open") -> QuerySet[Complaint]:
    """The complaints `user` answers for, by due date: open (the default), answered or closed.
    Never one about `user` themselves."""
    condition = _visible_filter(user)
    if condition is None:
        return Complaint.objects.none()
    states = {"open": workflow.OPEN_STATES, "answered": (workflow.ANSWERED,),
              "closed": (workflow.CLOSED,)}.get(show, workflow.OPEN_STATES)
    return (Complaint.objects.filter(condition, state__in=states).exclude(officer_id=user.pk)
            .select_related("agency", "center", "service", "assigned_to").order_by("due_date", "id"))


def staff_complaint_get(*, user: User, public_id: uuid.UUID) -> Complaint | None:
    """The complaint if `user` may read it (else None: the page answers 404)."""
    complaint = (Complaint.objects.select_related("agency", "center", "service", "application", "officer",
                                                   "assigned_to", "complainant")
                 .filter(public_id=public_id).first())
    if complaint is None or complaint_role(user, complaint) is None:
        return None
    return complaint


def complaint_by_public_id(*, public_id: uuid.UUID) -> Complaint | None:
    """The complainant's own page: its link (sent to their phone) is the key."""
    return (Complaint.objects.select_related("agency", "center", "service", "application")
            .filter(public_id=public_id).first())


def complaint_by_reference_and_phone(*, reference: str, phone: str) -> Complaint | None:
    """The public look-up: both must match."""
    return Complaint.objects.filter(reference=normalize_reference(reference), phone=phone).first()


def complaints_of(*, user: User) -> list[Complaint]:
    """A signed-in citizen's complaints, newest first: those filed while signed in, and those
    made from their phone number without an account (by SMS, USSD, at a centre, or on the web
    signed out). Citizens sign in by a code sent to that number, so it is theirs; the answers
    to those complaints went to the same phone."""
    mine = Q(complainant=user)
    if user.phone_number:
        mine |= Q(complainant__isnull=True, phone=user.phone_number)
    return list(Complaint.objects.filter(mine).select_related("agency", "center", "service")
                .order_by("-created_at", "-id"))


def history(*, complaint: Complaint, internal: bool) -> list[ComplaintEvent]:
    """The complaint's steps; `internal` adds the escalations (staff only)."""
    events = complaint.events.select_related("actor").order_by("occurred_at", "id")
    return list(events if internal else events.filter(internal=False))


def complaints_about_application(*, application_id: int) -> list[Complaint]:
    """Complaints about one file, with their history (the file's pages show them)."""
    return list(Complaint.objects.filter(application_id=application_id).prefetch_related("events")
                .order_by("created_at", "id"))


def reopen_until(complaint: Complaint) -> datetime.date | None:
    """The last day the complainant may reopen the answered complaint (working days after the answer)."""
    if complaint.answered_at is None:
        return None
    return add_working_days(timezone.localdate(complaint.answered_at), settings.COMPLAINTS_REOPEN_DAYS)


def complaint_by_key(*, key: str) -> Complaint | None:
    """The complaint filed with this one-time key (a form's, an SMS's, the demonstration's)."""
    return Complaint.objects.filter(idempotency_key=key).first()


@dataclass(frozen=True)
class ComplaintDayCounts:
    """A day's complaints about one service (at one centre, or none), for the public figures."""

    service_id: int
    agency_id: int
    center_id: int | None
    received: int
    answered: int
    answered_in_time: int


def complaint_counts_between(*, start: datetime.datetime, end: datetime.datetime) -> list[ComplaintDayCounts]:
    """Complaints filed in [start, end) and answered in [start, end) (in time: by their due
    date), by service and centre: aggregates only, no text or phone leaves this module. A
    complaint counts under its service, or its application's, and that service's agency; one
    about a centre or a member of staff with no service named is not in the figures by service
    (docs/complaints.md)."""
    def grouped(rows: QuerySet[Complaint]) -> QuerySet[Complaint, dict[str, Any]]:
        return (rows.annotate(figure_service=Coalesce("service_id", "application__service_id"),
                              figure_agency=Coalesce("service__agency_id", "application__service__agency_id"))
                .exclude(figure_service__isnull=True)
                .values("figure_service", "figure_agency", "center_id"))

    counts: dict[tuple[int, int, int | None], list[int]] = {}
    filed = grouped(Complaint.objects.filter(created_at__gte=start, created_at__lt=end))
    for row in filed.annotate(count=Count("id")).order_by():
        key = (row["figure_service"], row["figure_agency"], row["center_id"])
        counts.setdefault(key, [0, 0, 0])[0] += row["count"]
    answered = grouped(Complaint.objects.filter(answered_at__gte=start, answered_at__lt=end))
    for row in answered.annotate(count=Count("id"), in_time=Count("id", filter=Q(answered_in_time=True))).order_by():
        key = (row["figure_service"], row["figure_agency"], row["center_id"])
        entry = counts.setdefault(key, [0, 0, 0])
        entry[1] += row["count"]
        entry[2] += row["in_time"]
    return [ComplaintDayCounts(service_id=service_id, agency_id=agency_id, center_id=center_id, received=received,
                               answered=answered_count, answered_in_time=in_time)
            for (service_id, agency_id, center_id), (received, answered_count, in_time) in counts.items()]


# --- the phone channels (SMS, USSD) and the assisted filing at a centre ------------------------

def complaint_categories() -> list[tuple[str, str]]:
    """The categories a complaint is filed under, with their labels, in the form's order."""
    return [(str(value), str(label)) for value, label in Complaint.Category.choices]


def complaint_state_label(complaint: Complaint) -> str:
    """Where the complaint stands, in words the complainant reads."""
    return str(workflow.STATE_TEXT.get(complaint.state, complaint.state))


def complaint_filed_by_operator(*, operator: User, idempotency_key: str) -> Complaint | None:
    """The complaint this operator's consent form already filed (a double click), if any."""
    return Complaint.objects.filter(idempotency_key=idempotency_key, filed_by_id=operator.pk).first()


def complaint_filed_at_center(*, operator: User, public_id: uuid.UUID) -> Complaint | None:
    """A complaint this operator filed for someone at their centre; anyone else's is None."""
    return (Complaint.objects.select_related("agency", "center", "service", "application")
            .filter(public_id=public_id, filed_by_id=operator.pk, channel=Complaint.Channel.CENTER).first())


def complaints_filed_by_operator(*, operator: User, limit: int = 10) -> list[Complaint]:
    """The operator's latest filings for people at their centre, newest first."""
    return list(Complaint.objects.filter(filed_by_id=operator.pk, channel=Complaint.Channel.CENTER)
                .select_related("agency", "center", "service").order_by("-created_at", "-id")[:limit])
