"""The manager dashboard, issue 10: the day typed in the Solar Hijri calendar, the CSV export of
a range of days, and the figures per operator."""

from __future__ import annotations

import csv
import datetime
import io
import re
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from khedmat.accounts.models import User
from khedmat.catalog.tests.factories import verified_client
from khedmat.centers.selectors import operator_rows
from khedmat.centers.services import ticket_call_next, ticket_issue, ticket_no_show, ticket_recall
from khedmat.core.formatting import format_date, format_date_input
from khedmat.feedback.services import rating_submit

from .conftest import Hall, make_center
from .test_stats import Clock, local, stopped_clock, ten_passports, yesterday

DASHBOARD = "/en/center/dashboard/"
CSV = "/en/center/dashboard/csv/"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return stopped_clock(monkeypatch)


def csv_rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200 and response.streaming
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


# --- the day, typed in the Solar Hijri calendar ---------------------------------------------------

def test_the_day_picker_shows_and_takes_solar_hijri_in_dari(hall: Hall, manager: User, clock: Clock) -> None:
    day = yesterday()
    ten_passports(hall, clock, day)
    client = verified_client(manager)
    typed = format_date_input(day, "fa")  # "۱۴۰۵/۰۹/۱۱"
    page = client.get("/fa/center/dashboard/", {"day": typed}).content.decode()
    assert 'type="date"' not in page
    assert f'value="{typed}"' in page and 'dir="ltr"' in page
    assert format_date(day, with_gregorian=True, language="fa") in page
    assert "۱۰" in re.findall(r"<dd>([^<]+)", page)
    # Western digits and a dash are read the same.
    english = client.get(DASHBOARD, {"day": format_date_input(day, "en").replace("/", "-")}).content.decode()
    assert f"The day: {format_date(day, with_gregorian=True)}" in english
    assert f'value="{format_date_input(day, "en")}"' in english


def test_a_day_that_does_not_exist_is_refused_beside_the_input_and_today_is_shown(hall: Hall,
                                                                                     manager: User) -> None:
    client = verified_client(manager)
    today = format_date(timezone.localdate(), with_gregorian=True)
    page = client.get(DASHBOARD, {"day": "1405/12/30"}).content.decode()  # 1405 is a common year
    assert "There is no such day: Hut 1405 has 29 days." in page
    assert 'value="1405/12/30"' in page and 'aria-invalid="true"' in page
    assert f"The day: {today}" in page
    for typed in ("", "۱۴۰۵", "9" * 5000, "1405/09/12/1", "٣/٣/٣"):
        response = client.get(DASHBOARD, {"day": typed})
        assert response.status_code == 200 and f"The day: {today}" in response.content.decode(), typed[:20]


def test_a_day_to_come_is_refused(hall: Hall, manager: User) -> None:
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    page = verified_client(manager).get(DASHBOARD, {"day": format_date_input(tomorrow, "en")}).content.decode()
    assert "Enter a day from" in page and format_date(timezone.localdate()) in page


# --- the CSV export of a range --------------------------------------------------------------------

def test_the_csv_of_a_range_lists_each_day_with_its_operators(hall: Hall, manager: User, clock: Clock) -> None:
    today = timezone.localdate()
    first = today - datetime.timedelta(days=3)
    ten_passports(hall, clock, first)
    ten_passports(hall, clock, first + datetime.timedelta(days=2))
    clock.at(local(today, 12))
    response = verified_client(manager).get(CSV, {"start": format_date_input(first, "fa"),
                                                  "end": format_date_input(first + datetime.timedelta(days=2), "en")})
    rows = csv_rows(response)
    assert f"{first.isoformat()}-to-{(first + datetime.timedelta(days=2)).isoformat()}" in \
        response["Content-Disposition"]
    days = [row for row in rows if row["scope"] == "day"]
    assert [row["issued"] for row in days] == ["10", "0", "10"]
    assert days[0]["day_solar_hijri"] == format_date_input(first, "en").replace("/", "-")
    operators = [row for row in rows if row["scope"] == "operator"]
    assert [(row["day"], row["key"], row["name"], row["served"]) for row in operators] == [
        (first.isoformat(), "operator3.kbl", "Operator 3", "10"),
        ((first + datetime.timedelta(days=2)).isoformat(), "operator3.kbl", "Operator 3", "10")]


@pytest.mark.parametrize("start, end, message", [
    ("1395/01/01", "1405/01/01", "Choose at most 366 days: this range has 3,654 days."),  # ten years
    ("1405/09/10", "1405/09/01", "The last day comes before the first: swap them."),
    ("1405/12/30", "1405/09/01", "There is no such day: Hut 1405 has 29 days."),
    ("", "1405/09/01", "Enter the first day."),
    ("1405/09/01", "", "Enter the last day."),
    ("x" * 1000, "1405/09/01", "Enter the day as year/month/day in the Solar Hijri calendar"),
])
def test_a_bad_range_is_refused_on_the_dashboard_not_as_a_file(hall: Hall, manager: User, start: str, end: str,
                                                                message: str) -> None:
    response = verified_client(manager).get(CSV, {"start": start, "end": end})
    assert response.status_code == 422
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()


def test_a_range_of_exactly_366_days_is_exported(hall: Hall, manager: User) -> None:
    end = timezone.localdate()
    start = end - datetime.timedelta(days=365)
    rows = csv_rows(verified_client(manager).get(CSV, {"start": start.isoformat(), "end": end.isoformat()}))
    assert len([row for row in rows if row["scope"] == "day"]) == 366


def test_another_centers_range_is_not_found(hall: Hall, manager: User) -> None:
    make_center(code="HRT", slug="herat", name="Herat")
    today = format_date_input(timezone.localdate(), "en")
    assert verified_client(manager).get(CSV, {"center": "herat", "start": today, "end": today}).status_code == 404


def test_names_that_look_like_formulas_are_plain_text_in_the_csv(hall: Hall, manager: User, clock: Clock) -> None:
    operator = hall.operator(3)
    operator.full_name = "=HYPERLINK(\"http://evil\")"
    operator.save()
    day = yesterday()
    ten_passports(hall, clock, day)
    clock.at(local(day + datetime.timedelta(days=1), 12))
    rows = csv_rows(verified_client(manager).get(CSV, {"day": day.isoformat()}))
    [row] = [row for row in rows if row["scope"] == "operator"]
    assert row["name"].startswith("'=")


# --- per operator ----------------------------------------------------------------------------------

def test_each_operator_has_served_medians_no_shows_and_rating(hall: Hall, manager: User, clock: Clock) -> None:
    day = yesterday()
    scores = iter([5, 4, 1, 2, 3, 5, 5, 4, 1, 5])

    def rate(ticket: Any) -> None:
        score = next(scores)
        rating_submit(ticket=ticket, score=score, reason="long_wait" if score <= 2 else "", channel="link")

    ten_passports(hall, clock, day, after_finish=rate)
    # Operator 4 calls one ticket that never comes.
    clock.at(local(day, 14))
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    counter = hall.open(4)
    clock.at(local(day, 14, 6))
    assert ticket_call_next(counter=counter) == ticket
    for _ in range(settings.QUEUE_MAX_RECALLS):
        ticket_recall(counter=counter, ticket=ticket)
    ticket_no_show(counter=counter, ticket=ticket)

    three, four = operator_rows(center=hall.center, start=day, end=day)
    assert (three.label, three.served, three.no_shows) == ("Operator 3", 10, 0)
    assert (three.service_time.median_minutes, three.waiting.median_minutes) == (5.5, 5.5)
    assert (three.rating_average, three.ratings) == (3.5, 10)
    assert (four.label, four.served, four.no_shows, four.waiting.median_minutes) == ("Operator 4", 0, 1, 6.0)
    assert four.rating_average is None

    clock.at(local(day + datetime.timedelta(days=1), 12))
    page = verified_client(manager).get(DASHBOARD, {"day": day.isoformat()}).content.decode()
    section = page[page.index('id="operators-heading"'):]
    assert "<bdi>Operator 3</bdi></th><td>10</td><td>5.5</td><td>5.5</td><td>0</td><td>0</td><td>3.5" in section
    # Another day has none of them.
    assert operator_rows(center=hall.center, start=day - datetime.timedelta(days=1),
                         end=day - datetime.timedelta(days=1)) == []
