"""An agency's files for its own systems (the API): by last change, paginated by keyset.

Keyset on (updated_at, id), as the inbox does on (due_date, id) (decisions/0006): page N
costs what page 1 does, with the index (agency, updated_at, id). A cursor is
"<updated_at in microseconds since 1970 UTC>~<id>": digits only, so any
string of its pattern (CURSOR_PATTERN) names a place.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, QuerySet
from django.db.models.fields.tuple_lookups import TupleGreaterThan

from khedmat.core.parsing import parse_int

from ..models import Application, Document

MAX_PAGE = 200
CURSOR_PATTERN = r"^[0-9]{1,17}~[1-9][0-9]{0,17}$"
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MICROSECOND = datetime.timedelta(microseconds=1)


@dataclass(frozen=True)
class AgencyFilesPage:
    rows: list[Application]
    next_cursor: str | None


def _encode(application: Application) -> str:
    return f"{(application.updated_at - EPOCH) // MICROSECOND}~{application.pk}"


def _decode(cursor: str) -> tuple[datetime.datetime, int] | None:
    if re.fullmatch(CURSOR_PATTERN, cursor) is None:
        return None
    when_text, id_text = cursor.split("~", 1)
    try:
        return EPOCH + int(when_text) * MICROSECOND, parse_int(id_text, minimum=1, maximum=2**63 - 1)
    except (ValueError, OverflowError):
        return None


class BadCursor(ValueError):
    """The cursor was not one this selector wrote."""


def agency_files_page(*, agency_id: int, service_ids: Iterable[int] = (), state: str = "",
                      updated_since: datetime.datetime | None = None, after: str = "",
                      limit: int = 50) -> AgencyFilesPage:
    """One page of the agency's submitted files, oldest change first (two queries at most)."""
    files: QuerySet[Application] = Application.objects.filter(agency_id=agency_id).exclude(state=Application.DRAFT)
    service_ids = list(service_ids)
    if service_ids:
        files = files.filter(service_id__in=service_ids)
    if state:
        files = files.filter(state=state)
    if updated_since is not None:
        files = files.filter(updated_at__gte=updated_since)
    if after:
        position = _decode(after)
        if position is None:
            raise BadCursor(after)
        files = files.filter(TupleGreaterThan((F("updated_at"), F("id")), position))
    limit = max(1, min(limit, MAX_PAGE))
    rows = list(files.select_related("service")
                .only("public_id", "reference", "state", "is_final", "channel", "submitted_at", "updated_at",
                      "due_date", "service__code")
                .order_by("updated_at", "id")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    return AgencyFilesPage(rows=rows, next_cursor=_encode(rows[-1]) if has_more and rows else None)


def agency_file_get(*, agency_id: int, public_id: str) -> Application | None:
    """One submitted file of the agency by its public id; None for another agency's (never a hint)."""
    try:
        return (Application.objects.select_related("service", "service_version", "applicant", "agency")
                .exclude(state=Application.DRAFT).filter(agency_id=agency_id, public_id=public_id).first())
    except (ValueError, TypeError, Exception):  # a malformed UUID
        return None


def file_uploads(*, application: Application) -> list[Document]:
    return list(Document.objects.filter(application=application).order_by("uploaded_at", "id"))


def file_upload_get(*, application: Application, public_id: str) -> Document | None:
    try:
        return Document.objects.filter(application=application, public_id=public_id).first()
    except Exception:  # a malformed UUID
        return None
