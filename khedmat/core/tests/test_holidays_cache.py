"""The holidays are read once per version in each process, and never stale: every save or
delete of a holiday gives them a new version at once and again on commit; a change rolled back
leaves nothing behind; with the cache away they are read from the database every time."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from khedmat.core import workdays
from khedmat.core.models import Holiday
from khedmat.core.tests.test_ratelimit import REDIS_AWAY
from khedmat.core.workdays import holidays_between, holidays_version, is_working_day

pytestmark = pytest.mark.django_db

SUNDAY = datetime.date(2026, 11, 29)
WEEK = (SUNDAY - datetime.timedelta(days=1), SUNDAY + datetime.timedelta(days=6))


def _holiday(day: datetime.date = SUNDAY) -> Holiday:
    return Holiday.objects.create(date=day, name_en="Test", name_fa="آزمایش", name_ps="ازموینه")


def _statements(read: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        read()
    return len(captured.captured_queries)


def test_the_holidays_are_read_once_per_version(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        _holiday()  # committed: its version is current
    assert holidays_between(*WEEK) == {SUNDAY}
    assert _statements(lambda: holidays_between(*WEEK)) == 0
    assert _statements(lambda: is_working_day(SUNDAY)) == 0


def test_a_holiday_added_moved_or_removed_is_seen_at_once() -> None:
    assert is_working_day(SUNDAY)  # kept: no holiday
    holiday = _holiday()
    assert not is_working_day(SUNDAY)
    holiday.date = SUNDAY + datetime.timedelta(days=1)
    holiday.save()
    assert is_working_day(SUNDAY) and not is_working_day(SUNDAY + datetime.timedelta(days=1))
    holiday.delete()
    assert holidays_between(*WEEK) == set()
    Holiday.objects.bulk_create([])  # nothing: no signal needed
    _holiday(SUNDAY + datetime.timedelta(days=2))
    Holiday.objects.filter(date=SUNDAY + datetime.timedelta(days=2)).delete()  # a queryset delete signals too
    assert holidays_between(*WEEK) == set()


def test_the_version_changes_again_when_the_change_commits(
        django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    before = holidays_version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _holiday()
        during = holidays_version()
    assert during != before
    for callback in callbacks:
        callback()
    assert holidays_version() not in (before, during)


def test_nothing_is_kept_from_inside_the_changing_transaction() -> None:
    """A change this process makes is read by its own transaction, but not kept under its
    version: it may yet roll back (and then no other process made the version current)."""
    assert holidays_between(*WEEK) == set()

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        _holiday()
        assert holidays_between(*WEEK) == {SUNDAY}
        raise Undo
    assert holidays_between(*WEEK) == set()
    assert is_working_day(SUNDAY)


def test_a_copy_older_than_its_keep_time_is_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A change that sends no signal (SQL by hand) is seen after HOLIDAYS_KEEP_SECONDS."""
    assert holidays_between(*WEEK) == set()
    Holiday.objects.bulk_create([Holiday(date=SUNDAY, name_en="T", name_fa="T", name_ps="T")])  # no signal
    assert holidays_between(*WEEK) == set()  # the copy, still young
    monkeypatch.setattr(workdays, "HOLIDAYS_KEEP_SECONDS", 0)
    assert holidays_between(*WEEK) == {SUNDAY}


@override_settings(CACHES=REDIS_AWAY)
def test_while_the_cache_is_away_the_holidays_come_from_the_database() -> None:
    _holiday()
    assert holidays_between(*WEEK) == {SUNDAY}
    assert _statements(lambda: holidays_between(*WEEK)) == 1
    Holiday.objects.all().delete()
    assert holidays_between(*WEEK) == set()


def test_a_copy_found_current_a_moment_ago_asks_the_cache_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A busy hall asks for every ticket: within HOLIDAYS_VERSION_TRUST_SECONDS of finding its
    version current, the copy answers alone; after that the version is asked again."""
    assert holidays_between(*WEEK) == set()  # read and kept
    asked: list[str | None] = []
    real = workdays.holidays_version

    def counted() -> str | None:
        asked.append(real())
        return asked[-1]

    monkeypatch.setattr(workdays, "holidays_version", counted)
    for _ in range(5):
        assert _statements(lambda: holidays_between(*WEEK)) == 0
    assert asked == []
    monkeypatch.setattr(workdays, "HOLIDAYS_VERSION_TRUST_SECONDS", 0)
    assert _statements(lambda: holidays_between(*WEEK)) == 0  # the same version: still no statement
    assert len(asked) == 1


def test_another_process_change_is_seen_within_the_trust_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process's change (its new version in the shared cache, its rows in the
    database) reaches this process once its copy's check is older than the trust time."""
    assert holidays_between(*WEEK) == set()
    Holiday.objects.bulk_create([Holiday(date=SUNDAY, name_en="T", name_fa="T", name_ps="T")])  # no signal here
    cache.set(workdays.HOLIDAYS_VERSION_KEY, "another-process", timeout=None)  # as its commit does
    assert is_working_day(SUNDAY)  # trusted for a moment yet
    monkeypatch.setattr(workdays, "HOLIDAYS_VERSION_TRUST_SECONDS", 0)
    assert not is_working_day(SUNDAY)


def test_this_process_change_is_seen_at_once_despite_the_trust_time(
        django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    assert is_working_day(SUNDAY)  # kept and trusted
    with django_capture_on_commit_callbacks(execute=True):
        holiday = _holiday()
        assert not is_working_day(SUNDAY)
    assert not is_working_day(SUNDAY)
    holiday.delete()
    assert is_working_day(SUNDAY)
