"""The public performance pages: three languages, Solar Hijri months, charts with their tables,
small numbers withheld, and nothing read but the pre-aggregated rows."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khedmat.centers.tests.conftest import Hall
from khedmat.core.calendar import MONTHS, to_solar_hijri
from khedmat.insights.models import DailyFigure
from khedmat.insights.services import figures_build_day, month_key, month_rebuild

PAGES = ["performance/", "performance/services/passport/", "performance/agencies/interior/",
         "performance/centers/kabul/"]


@pytest.fixture
def demo(db: None) -> None:
    call_command("seed_demo", quiet=True)


@pytest.mark.parametrize("language", ["en", "fa", "ps"])
def test_every_page_answers_in_three_languages_with_solar_hijri_months(client: Client, demo: None,
                                                                      language: str) -> None:
    month = MONTHS[language][to_solar_hijri(timezone.localdate()).month - 1]
    for page in PAGES:
        response = client.get(f"/{language}/{page}")
        assert response.status_code == 200, page
        html = response.content.decode()
        assert month in html
        if language != "en":
            assert "۱۴۰" in html  # the Solar Hijri year in Eastern digits
    html = client.get(f"/{language}/performance/services/passport/").content.decode()
    assert html.count("<svg") == 3
    assert html.count("<title id=") == 3 and html.count("<desc id=") == 3
    assert 'role="img"' in html
    assert "<caption" in html  # the same figures as a table


def test_pages_read_only_the_figures_and_a_fixed_number_of_statements(client: Client, demo: None) -> None:
    for page in PAGES:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/en/{page}").status_code == 200
        sql = " ".join(query["sql"] for query in queries.captured_queries)
        for table in ("applications_application", "centers_ticket", "feedback_rating"):
            assert f'"{table}"' not in sql, (page, table)
        assert len(queries.captured_queries) <= 10, (page, len(queries.captured_queries))


def test_unknown_slugs_are_not_found(client: Client, demo: None) -> None:
    for page in ("services/no-such", "agencies/no-such", "centers/no-such", "services/%DB%B1%DB%B2"):
        assert client.get(f"/en/performance/{page}/").status_code == 404


def test_fewer_than_five_cases_read_as_such_on_the_page_and_in_open_data(client: Client, hall: Hall) -> None:
    day = timezone.localdate() - datetime.timedelta(days=1)
    figures_build_day(day=day)  # marks the day built (nothing happened)
    DailyFigure.objects.create(day=day, month=month_key(day), agency=hall.passport.agency, service=hall.passport,
                               center=hall.center, received=4, received_center=4, decided=3, decided_in_time=3,
                               decision_days_02=3, served=4, wait_minutes_05=4, rated=4, rating_sum=20,
                               rated_good=4)
    with transaction.atomic():
        month_rebuild(month=month_key(day))
    html = client.get(f"/en/performance/services/{hall.passport.slug}/").content.decode()
    assert html.count("fewer than 5") >= 10
    for raw in (">4<", ">3<", ">100%<", ">5<"):  # counts, shares and the mean rating of 5
        assert raw not in html, raw
    rows = client.get(f"/open-data/daily/{day.isoformat()}.json").json()["rows"]
    assert len(rows) == 1
    published = {name: value for name, value in rows[0].items()
                 if name not in ("day", "solar_hijri_month", "agency", "service", "center")}
    assert set(published.values()) == {None}
    streamed = client.get(f"/open-data/daily/{day.isoformat()}.csv")
    csv_text = b"".join(streamed.streaming_content).decode()  # type: ignore[attr-defined]
    assert csv_text.splitlines()[1].endswith("," * len(published))

    DailyFigure.objects.filter(day=day).update(received=5, received_center=5)
    with transaction.atomic():
        month_rebuild(month=month_key(day))
    rows = client.get(f"/open-data/daily/{day.isoformat()}.json").json()["rows"]
    assert rows[0]["applications_received"] == 5


def test_the_catalog_links_to_the_performance_pages(client: Client, demo: None) -> None:
    assert 'href="/en/performance/services/passport/"' in client.get("/en/services/passport/").content.decode()
    assert 'href="/en/performance/agencies/interior/"' in client.get(
        "/en/services/agencies/interior/").content.decode()
    assert 'href="/en/performance/"' in client.get("/en/").content.decode()


def test_a_kept_page_is_drawn_again_once_the_figures_are_rebuilt(client: Client, hall: Hall,
                                                                 django_capture_on_commit_callbacks: object) -> None:
    from khedmat.insights.tests.test_build import serve_and_rate

    page = f"/en/performance/services/{hall.passport.slug}/"
    assert "People served at the centers</dt><dd>fewer than 5" in client.get(page).content.decode()
    serve_and_rate(hall, [5, 5, 5, 4, 4, 4, 5])
    assert "People served at the centers</dt><dd>fewer than 5" in client.get(page).content.decode()  # kept
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        figures_build_day(day=timezone.localdate())
    assert "People served at the centers</dt><dd>7<" in client.get(page).content.decode()
