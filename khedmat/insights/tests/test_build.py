"""The daily rows: built from what happened (tickets, ratings, complaints), replaced whole on a second run."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from khedmat.centers.services import ticket_call_next, ticket_finish, ticket_issue, ticket_start
from khedmat.centers.tests.conftest import Hall
from khedmat.core import jobs
from khedmat.feedback.services import rating_submit
from khedmat.insights.complaints import complaint_figures
from khedmat.insights.histograms import WAIT_FIELDS
from khedmat.insights.models import DailyFigure, FigureDay, MonthlyFigure
from khedmat.insights.services import figures_build_day, local_day_bounds, month_key

pytestmark = pytest.mark.django_db


def serve_and_rate(hall: Hall, scores: list[int]) -> None:
    counter = hall.open(3)
    for _ in scores:
        ticket_issue(center=hall.center, service=hall.passport)
    for score in scores:
        ticket = ticket_call_next(counter=counter)
        assert ticket is not None
        ticket = ticket_finish(counter=counter, ticket=ticket_start(counter=counter, ticket=ticket))
        rating_submit(ticket=ticket, score=score, reason="" if score >= 3 else "long_wait", channel="link")


def test_a_day_of_served_and_rated_tickets_becomes_one_row_per_service_and_center(hall: Hall) -> None:
    serve_and_rate(hall, [5, 5, 4, 3, 1, 5])
    today = timezone.localdate()

    assert figures_build_day(day=today) == 1

    row = DailyFigure.objects.get(day=today)
    assert (row.service_id, row.center_id, row.agency_id) == (hall.passport.pk, hall.center.pk, hall.passport.agency_id)
    assert row.month == month_key(today)
    assert (row.served, row.rated, row.rating_sum, row.rated_good) == (6, 6, 23, 4)
    assert sum(getattr(row, name) for name in WAIT_FIELDS) == 6  # called at once: all in the first bucket
    assert row.wait_minutes_00 == 6
    month = MonthlyFigure.objects.get(month=month_key(today))
    assert (month.served, month.rated) == (6, 6)


def test_building_a_day_again_replaces_its_rows(hall: Hall) -> None:
    serve_and_rate(hall, [5, 4])
    today = timezone.localdate()
    figures_build_day(day=today)
    first = list(DailyFigure.objects.values_list("served", "rated"))
    figures_build_day(day=today)
    assert list(DailyFigure.objects.values_list("served", "rated")) == first == [(2, 2)]
    assert MonthlyFigure.objects.count() == 1
    assert FigureDay.objects.filter(day=today).count() == 1

    serve_and_rate(hall, [3])  # more happened since: the next run counts it, still one row
    figures_build_day(day=today)
    assert list(DailyFigure.objects.values_list("served", "rated")) == [(3, 3)]


def test_a_day_with_nothing_leaves_no_rows_but_is_marked_built(db: None) -> None:
    day = datetime.date(2026, 3, 21)
    assert figures_build_day(day=day) == 0
    assert not DailyFigure.objects.exists()
    assert FigureDay.objects.filter(day=day).exists()


def test_complaints_received_and_answered_in_time_count_under_their_service(hall: Hall) -> None:
    """Filed and answered today: received 3 (one through its application's service would count
    the same way), answered 2, both in time; one about a centre with no service is not counted."""
    from khedmat.accounts.models import Role
    from khedmat.accounts.services import staff_user_create
    from khedmat.complaints.services import complaint_file, complaint_transition

    officer = staff_user_create(username="officer.figures", password="pass-for-tests-1", role=Role.OFFICER,
                                agency=hall.passport.agency, full_name="Officer Figures")
    filed = [complaint_file(about="service", category="delay", description="Nobody answered for three weeks.",
                            phone=f"07001112{n:02d}", channel="web", language="fa", service=hall.passport)
             for n in range(3)]
    complaint_file(about="center", category="facilities", description="The hall had no chairs at all.",
                   phone="0700111299", channel="web", language="fa", center=hall.center)
    for complaint in filed[:2]:
        complaint_transition(complaint=complaint, step="answer", expected_state="received", actor=officer,
                             text="We are sorry: your passport is ready.")
    today = timezone.localdate()
    start, end = local_day_bounds(today)
    counted = complaint_figures(start=start, end=end)
    assert [(c.service_id, c.agency_id, c.received, c.answered, c.answered_in_time) for c in counted] == [
        (hall.passport.pk, hall.passport.agency_id, 3, 2, 2)]

    figures_build_day(day=today)
    row = DailyFigure.objects.get(day=today, service_id=hall.passport.pk)
    assert (row.complaints_received, row.complaints_answered, row.complaints_answered_in_time) == (3, 2, 2)


def test_the_build_is_a_periodic_job() -> None:
    job = jobs.registered()["insights_build_figures"]
    assert job.every_seconds == 3600


def test_the_command_builds_a_range_and_refuses_bad_days(hall: Hall) -> None:
    serve_and_rate(hall, [5])
    today = timezone.localdate()
    call_command("build_figures", "--from", (today - datetime.timedelta(days=2)).isoformat(), "--to",
                 today.isoformat(), stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert FigureDay.objects.count() == 3
    for bad in (["--from", "2026-13-01"], ["--from", "۱۴۰۵-۰۱-۰۱"], ["--from", "0001-01-01"],
                ["--from", "2026-12-02", "--to", "2026-12-01"]):
        with pytest.raises(CommandError):
            call_command("build_figures", *bad)


def test_files_sent_and_decided_are_counted_by_channel_and_time_standard(db: None) -> None:
    from khedmat.applications.models import Application

    call_command("seed_demo", quiet=True)  # five files sent today online, some decided
    today = timezone.localdate()
    sent = Application.objects.filter(submitted_at__isnull=False)
    decided = sent.filter(is_final=True)
    rows = DailyFigure.objects.filter(day=today)
    assert sum(row.received for row in rows) == sent.count() == 5
    assert sum(row.received_online for row in rows) == sent.filter(channel="online").count()
    assert sum(row.decided for row in rows) == decided.count()
    assert sum(row.decision_days_00 for row in rows) == decided.count()  # decided the day they were sent
    assert sum(row.decided_in_time for row in rows) == decided.count()
    # The demonstration's past is made up, its yesterday and today built from the records.
    assert DailyFigure.objects.filter(day__lt=today - datetime.timedelta(days=1)).exists()
