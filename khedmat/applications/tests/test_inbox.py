"""The inbox selector: one agency's files, filters, keyset pages that neither repeat nor skip."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from khedmat.accounts.models import User
from khedmat.applications.models import Application
from khedmat.applications.selectors import InboxFilters, inbox_page, inbox_rows
from khedmat.applications.services import application_claim, application_transition
from khedmat.catalog.models import Agency, Service
from khedmat.core.models import Holiday

from .office_helpers import foreign_passport, submitted

TODAY = datetime.date(2026, 5, 20)  # a Wednesday


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: TODAY)


def _all_references(officer: User, filters: InboxFilters, *, limit: int) -> list[str]:
    seen: list[str] = []
    cursor = ""
    for _page in range(200):
        page = inbox_page(officer=officer, filters=filters, after=cursor, limit=limit)
        seen.extend(a.reference or "" for a in page.rows)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor
    raise AssertionError("the pages never end")


def test_keyset_pages_neither_repeat_nor_skip(passport: Service, citizen: User, officer: User) -> None:
    # 60 files, many sharing a deadline, so the id must break ties across page boundaries.
    for n in range(60):
        submitted(passport, citizen, due=TODAY + datetime.timedelta(days=(n * 7) % 13 - 4))
    expected = list(Application.objects.exclude(state="draft").order_by("due_date", "id")
                    .values_list("reference", flat=True))
    for limit in (1, 7, 25, 60, 100):
        walked = _all_references(officer, InboxFilters(), limit=limit)
        assert walked == expected
        assert len(set(walked)) == 60


def test_a_malformed_cursor_gives_the_first_page(passport: Service, citizen: User, officer: User) -> None:
    for n in range(5):
        submitted(passport, citizen, due=TODAY + datetime.timedelta(days=n))
    first = inbox_page(officer=officer, filters=InboxFilters(), limit=3)
    for bad in ("nonsense", "2026-13-45.1", "2026-05-20.x", "..", "2026-05-20"):
        again = inbox_page(officer=officer, filters=InboxFilters(), after=bad, limit=3)
        assert [a.pk for a in again.rows] == [a.pk for a in first.rows]


def test_only_the_officers_agency(passport: Service, citizen: User, officer: User, foreign_officer: User,
                                  other_agency: Agency) -> None:
    own = submitted(passport, citizen)
    foreign = submitted(foreign_passport(other_agency), citizen)
    assert [a.pk for a in inbox_page(officer=officer, filters=InboxFilters()).rows] == [own.pk]
    assert [a.pk for a in inbox_page(officer=foreign_officer, filters=InboxFilters()).rows] == [foreign.pk]


def test_filters(passport: Service, citizen: User, officer: User, second_officer: User) -> None:
    overdue = submitted(passport, citizen, due=TODAY - datetime.timedelta(days=3))
    soon = submitted(passport, citizen, due=TODAY + datetime.timedelta(days=1))
    later = submitted(passport, citizen, due=TODAY + datetime.timedelta(days=30))
    mine = submitted(passport, citizen, due=TODAY + datetime.timedelta(days=20))
    application_claim(application=mine, officer=officer)
    theirs = submitted(passport, citizen, due=TODAY + datetime.timedelta(days=21))
    application_claim(application=theirs, officer=second_officer)
    reviewing = application_transition(application=later, actor=officer, transition="start_review",
                                       expected_state="submitted")
    closed = submitted(passport, citizen)
    closed = application_transition(application=closed, actor=officer, transition="start_review",
                                    expected_state="submitted")
    application_transition(application=closed, actor=officer, transition="reject", expected_state="in_review",
                           reason_code="duplicate")

    def pks(**filters: Any) -> set[int]:
        return {a.pk for a in inbox_page(officer=officer, filters=InboxFilters(**filters), limit=100).rows}

    assert pks() == {overdue.pk, soon.pk, later.pk, mine.pk, theirs.pk}
    assert pks(overdue=True) == {overdue.pk}
    assert pks(due_soon=True) == {soon.pk}
    assert pks(assigned_to_me=True) == {mine.pk}
    assert pks(unassigned=True) == {overdue.pk, soon.pk, later.pk}
    assert pks(state="in_review") == {reviewing.pk}
    assert pks(service_id=passport.pk) == pks()
    assert pks(service_id=passport.pk + 999) == set()
    assert closed.pk in pks(include_closed=True)


def test_paused_files_are_neither_overdue_nor_due_soon(passport: Service, citizen: User, officer: User) -> None:
    application = submitted(passport, citizen, due=TODAY - datetime.timedelta(days=3))
    application = application_transition(application=application, actor=officer, transition="start_review",
                                         expected_state="submitted")
    application_transition(application=application, actor=officer, transition="request_information",
                           expected_state="in_review", reason_text="A clearer copy of the Tazkira, please.")
    assert inbox_page(officer=officer, filters=InboxFilters(overdue=True)).rows == []
    [row] = inbox_rows(inbox_page(officer=officer, filters=InboxFilters()).rows)
    assert row.sla.kind == "paused" and row.sla.text == "Paused: waiting for the applicant"


def test_countdown_in_working_days(passport: Service, citizen: User, officer: User) -> None:
    # Today is Wednesday 20 May 2026; Thursday and Friday are the weekend.
    Holiday.objects.create(date=datetime.date(2026, 5, 23), name_en="Test", name_fa="آزمایش", name_ps="ازموینه")
    submitted(passport, citizen, due=datetime.date(2026, 5, 26))  # Sat (holiday), Sun, Mon, Tue → 3
    submitted(passport, citizen, due=datetime.date(2026, 5, 17))  # Sun; Mon, Tue, Wed passed → 3
    submitted(passport, citizen, due=TODAY)
    submitted(passport, citizen, due=datetime.date(2026, 5, 24))  # Sun → 1 (Saturday is a holiday)
    rows = inbox_rows(inbox_page(officer=officer, filters=InboxFilters()).rows)
    texts = {row.application.due_date: (row.sla.kind, row.sla.text) for row in rows}
    assert texts[datetime.date(2026, 5, 17)] == ("overdue", "Overdue by 3 working days")
    assert texts[TODAY] == ("due_today", "Due today")
    assert texts[datetime.date(2026, 5, 24)] == ("left", "1 working day left")
    assert texts[datetime.date(2026, 5, 26)] == ("left", "3 working days left")
    assert timezone.localdate() == TODAY
