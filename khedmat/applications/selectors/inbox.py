"""The back office inbox: one agency's files, by time-standard deadline, paginated by keyset.

Keyset, not OFFSET: page N costs the same as page 1 because the query starts from the last
row seen — (due_date, id) — using the index (agency, is_final, due_date, id). A cursor is
that pair, written "YYYY-MM-DD.id".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import F, Q, QuerySet
from django.db.models.fields.tuple_lookups import TupleGreaterThan
from django.utils import timezone

from khedmat.catalog import fragments
from khedmat.catalog import selectors as catalog_selectors
from khedmat.core.parsing import parse_int
from khedmat.core.workdays import add_working_days

from ..models import Application
from ..search import SearchTerms

if TYPE_CHECKING:
    from khedmat.accounts.models import User
    from khedmat.catalog.models import ServiceVersion

PAGE_SIZE = 25
DUE_SOON_WORKING_DAYS = 2


@dataclass(frozen=True)
class InboxFilters:
    service_id: int | None = None
    state: str = ""
    assigned_to_me: bool = False
    unassigned: bool = False
    overdue: bool = False
    due_soon: bool = False
    include_closed: bool = False
    assigned_to_id: int | None = None  # one colleague's files (the workload page links here)
    search: SearchTerms = field(default_factory=SearchTerms)


@dataclass(frozen=True)
class InboxPage:
    rows: list[Application]
    next_cursor: str | None


def encode_cursor(application: Application) -> str:
    due = application.due_date.isoformat() if application.due_date else "9999-12-31"
    return f"{due}.{application.pk}"


def decode_cursor(cursor: str) -> tuple[datetime.date, int] | None:
    """The (due_date, id) a cursor names, or None for a malformed one (then the first page)."""
    try:
        due_text, id_text = cursor.split(".", 1)
        # The id is bounded as the database's: a longer number made the query overflow (a 500).
        return datetime.date.fromisoformat(due_text), parse_int(id_text, minimum=1, maximum=2**63 - 1)
    except ValueError:
        return None


def inbox_queryset(*, officer: User, filters: InboxFilters) -> QuerySet[Application]:
    """The officer's agency's submitted files matching the filters, in deadline order."""
    if officer.agency_id is None:
        return Application.objects.none()
    files = Application.objects.filter(agency_id=officer.agency_id).exclude(state=Application.DRAFT)
    if not filters.include_closed:
        files = files.filter(is_final=False)
    if filters.service_id:
        files = files.filter(service_id=filters.service_id)
    if filters.state:
        files = files.filter(state=filters.state)
    if filters.assigned_to_me:
        files = files.filter(assigned_to=officer)
    elif filters.assigned_to_id:
        files = files.filter(assigned_to_id=filters.assigned_to_id)
    elif filters.unassigned:
        files = files.filter(assigned_to__isnull=True)
    today = timezone.localdate()
    if filters.overdue:
        files = files.filter(due_date__lt=today, clock_paused_on__isnull=True)
    elif filters.due_soon:
        files = files.filter(due_date__gte=today, due_date__lte=add_working_days(today, DUE_SOON_WORKING_DAYS),
                             clock_paused_on__isnull=True)
    files = inbox_search(files, filters.search)
    return files.order_by("due_date", "id")


def inbox_search(files: QuerySet[Application], terms: SearchTerms) -> QuerySet[Application]:
    """The files among `files` whose search text holds every word searched for.

    The one place the inbox's search is decided: what a file is found by is written by
    `search.search_text_for`, and read here as "contains", which PostgreSQL answers from the
    trigram index on `search_text` and which keeps the keyset order and the agency filter.
    """
    for alternatives in terms.alternatives():
        condition = Q()
        for alternative in alternatives:
            condition |= Q(search_text__contains=alternative)
        files = files.filter(condition)
    return files


def inbox_page_queryset(*, officer: User, filters: InboxFilters, after: str = "",
                        limit: int = PAGE_SIZE) -> QuerySet[Application]:
    """The query of one inbox page, one row more than `limit` (to know if another follows)."""
    files = inbox_queryset(officer=officer, filters=filters)
    position = decode_cursor(after) if after else None
    if position is not None:
        # (due_date, id) > (due, last_id) as one row comparison: PostgreSQL starts the index
        # scan right there, so page 2,000 reads as few rows as page 1 (written out as
        # "due_date > … OR (due_date = … AND id > …)" it would read and drop every row before).
        # SQLite gets the written-out form, which is the same condition.
        files = files.filter(TupleGreaterThan((F("due_date"), F("id")), position))
    # Services and their versions are few on a page and are fetched apart (inbox_page):
    # joined in, they would bring a service definition of several kilobytes on every row
    # and make planning the query cost more than running it.
    # The search text is searched, never shown, and the answers are not shown: left out of
    # the rows read (the answers would be decoded from JSON for every row).
    # The page's ids are chosen first and only those rows are joined to their people: joined
    # before the LIMIT, a planner that believes the agency has a handful of files (statistics
    # not yet renewed after a bulk load) hash-joins and sorts every open file, wide rows and
    # all (measured: 15 ms instead of 4 on 5,000 files); with the ids first it sorts ids only.
    page = files.values("id")[: limit + 1]
    return (Application.objects.filter(id__in=page).select_related("assigned_to", "applicant")
            .defer("search_text", "data").order_by("due_date", "id"))


def inbox_page(*, officer: User, filters: InboxFilters, after: str = "", limit: int = PAGE_SIZE) -> InboxPage:
    """One page of the inbox after the cursor `after` (empty: the first page)."""
    rows = list(inbox_page_queryset(officer=officer, filters=filters, after=after, limit=limit))
    has_more = len(rows) > limit
    rows = rows[:limit]
    _attach_catalog(rows)
    return InboxPage(rows=rows, next_cursor=encode_cursor(rows[-1]) if has_more and rows else None)


def _attach_catalog(rows: list[Application]) -> None:
    """Give the rows their service version (its name and workflow label the row): at most one
    query for the whole page, none when this process has read those versions already."""
    if not rows:
        return
    versions = _service_versions({row.service_version_id for row in rows})
    for row in rows:
        row.service_version = versions[row.service_version_id]


# A published ServiceVersion is never changed (catalog.models), and a page shows few: kept in
# this process, under the catalog version (`catalog.fragments`, renewed on every save of a
# version, service or agency), so that a database rolled back and filled again (tests) or a
# version row written by other means is never mistaken for the one kept.
_VERSIONS_KEPT = 256
_versions: dict[tuple[str, int], ServiceVersion] = {}


def _service_versions(ids: set[int]) -> dict[int, ServiceVersion]:
    catalog = fragments.version()
    if catalog is None:  # the cache is away: nothing kept under an unknown version
        return catalog_selectors.service_versions_by_ids(ids=ids)
    found = {pk: _versions[(catalog, pk)] for pk in ids if (catalog, pk) in _versions}
    missing = ids - found.keys()
    if missing:
        read = catalog_selectors.service_versions_by_ids(ids=missing)
        if len(_versions) + len(read) > _VERSIONS_KEPT:
            _versions.clear()
        _versions.update(((catalog, pk), version) for pk, version in read.items())
        found.update(read)
    return found
