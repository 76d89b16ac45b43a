"""The center manager's dashboard (/<lang>/center/dashboard/) and its CSV export."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.test import Client
from django.utils import timezone

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.catalog.tests.factories import verified_client
from khedmat.centers.services import ticket_issue
from khedmat.core.formatting import format_date

from .conftest import PASSWORD, Hall, make_center
from .test_stats import Clock, local, stopped_clock, ten_passports, yesterday

DASHBOARD = "/en/center/dashboard/"
CSV = "/en/center/dashboard/csv/"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return stopped_clock(monkeypatch)


def page_of(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response
    return response.content.decode()


def test_the_manager_sees_the_hall_now(hall: Hall, manager: User) -> None:
    ticket_issue(center=hall.center, service=hall.passport)
    ticket_issue(center=hall.center, service=hall.passport)
    hall.open(3)
    page = page_of(verified_client(manager), DASHBOARD)
    assert "Dashboard: Kabul" in page
    # Both test services bear the passport's name; the driving licence (its slug first) has nobody waiting.
    now = page[page.index('id="live-heading"'):page.index('id="day-heading"')]
    waiting = re.findall(r"<th scope=\"row\">Passport issuance and renewal</th>\s*<td>(\d+)</td>", now)
    assert waiting == ["0", "2"]
    assert 'counter-state--open">Open</span>' in now and "Operator 3" in now
    assert format_date(timezone.localdate(), with_gregorian=True) in page


def test_a_chosen_day_shows_its_figures_with_a_chart_and_tables(hall: Hall, manager: User, clock: Clock) -> None:
    day = yesterday()
    ten_passports(hall, clock, day)
    clock.at(local(day + datetime.timedelta(days=1), 12))
    client = verified_client(manager)
    page = page_of(client, f"{DASHBOARD}?day={day.isoformat()}")
    assert f"The day: {format_date(day, with_gregorian=True)}" in page
    facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)", page))
    assert facts["Tickets issued"] == "10" and facts["Served"] == "10"
    assert facts["Wait, median (min)"] == "5.5" and facts["Wait, 90th percentile (min)"] == "9.1"
    # The chart: an image with a title and a description, one bar per opening hour, and the table beside.
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert 'role="img"' in svg and '<title id="chart-title">Tickets issued per hour</title>' in svg
    assert "The busiest hour began at 09:00. Tickets issued in it: 3." in svg
    assert svg.count("<rect") == 8
    assert "style=" not in page
    assert re.search(r'<th scope="row">09:00</th><td>3</td>', page.replace("\n", ""))
    assert f'href="/en/center/dashboard/csv/?day={day.isoformat()}"' in page


def test_a_bad_or_future_day_shows_today(hall: Hall, manager: User) -> None:
    client = verified_client(manager)
    today = format_date(timezone.localdate(), with_gregorian=True)
    for asked in ("yesterday", "2026-13-01", (timezone.localdate() + datetime.timedelta(days=3)).isoformat()):
        assert f"The day: {today}" in page_of(client, f"{DASHBOARD}?day={asked}")


def test_the_csv_lists_the_day_per_service_counter_and_hour(hall: Hall, manager: User, clock: Clock) -> None:
    day = yesterday()
    hall.center.wait_standard_minutes = 5
    hall.center.save()
    ten_passports(hall, clock, day)
    response = verified_client(manager).get(f"{CSV}?day={day.isoformat()}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="asan-khedmat-KBL-{day.isoformat()}.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == ["scope", "key", "name", "issued", "served", "transferred", "no_shows",
                             "waiting_median_minutes", "waiting_p90_minutes", "service_median_minutes",
                             "service_p90_minutes", "waiting_standard_breaches", "rating_average", "ratings"]
    by_scope = {(row["scope"], row["key"]): row for row in rows}
    assert by_scope[("day", day.isoformat())]["issued"] == "10"
    assert {key: by_scope[("service", "passport")][key] for key in (
        "name", "issued", "served", "waiting_median_minutes", "waiting_p90_minutes", "waiting_standard_breaches",
        "rating_average")} == {"name": "Passport issuance and renewal", "issued": "10", "served": "10",
                               "waiting_median_minutes": "5.5", "waiting_p90_minutes": "9.1",
                               "waiting_standard_breaches": "5", "rating_average": ""}
    assert by_scope[("counter", "3")]["issued"] == "" and by_scope[("counter", "3")]["served"] == "10"
    assert [by_scope[("hour", f"{hour:02d}:00")]["issued"] for hour in range(8, 16)] == \
        ["0", "3", "3", "3", "1", "0", "0", "0"]


def test_the_csv_is_in_english_with_plain_numbers_even_from_dari(hall: Hall, manager: User, clock: Clock) -> None:
    day = yesterday()
    ten_passports(hall, clock, day)
    text = verified_client(manager).get(f"/fa/center/dashboard/csv/?day={day.isoformat()}").content.decode()
    assert text.startswith("scope,key,name,issued")
    assert "Passport issuance and renewal" in text and "5.5" in text
    assert not re.search("[۰-۹]", text)


def test_the_dashboard_in_dari_is_right_to_left_with_eastern_digits(hall: Hall, manager: User, clock: Clock) -> None:
    day = yesterday()
    ten_passports(hall, clock, day)
    page = page_of(verified_client(manager), f"/fa/center/dashboard/?day={day.isoformat()}")
    assert 'dir="rtl"' in page and 'lang="fa-AF"' in page
    facts = re.findall(r"<dd>([^<]+)", page)
    assert "۱۰" in facts and "۵٫۵" in facts
    assert format_date(day, with_gregorian=True, language="fa") in page
    # Bars run from the right in Dari: the first opening hour is drawn last along x.
    svg = page[page.index("<svg"):page.index("</svg>")]
    xs = [float(x) for x in re.findall(r'<rect class="dash-chart__bar" x="([\d.]+)"', svg)]
    assert xs == sorted(xs, reverse=True)


def test_a_platform_administrator_chooses_the_center(hall: Hall) -> None:
    herat = make_center(code="HRT", slug="herat", name="Herat")
    admin = staff_user_create(username="platform.admin", password=PASSWORD, role=Role.PLATFORM_ADMIN)
    client = verified_client(admin)
    page = page_of(client, DASHBOARD)
    assert '<option value="herat"' in page and '<option value="kabul"' in page
    assert "Dashboard: Herat" in page_of(client, f"{DASHBOARD}?center=herat")
    assert "Dashboard: Kabul" in page_of(client, f"{DASHBOARD}?center=kabul")
    assert client.get(f"{DASHBOARD}?center=nowhere").status_code == 404
    assert client.get(f"{CSV}?center={herat.slug}").status_code == 200


def test_a_manager_sees_no_other_centers_dashboard(hall: Hall, manager: User) -> None:
    make_center(code="HRT", slug="herat", name="Herat")
    client = verified_client(manager)
    assert client.get(f"{DASHBOARD}?center=herat").status_code == 404
    assert client.get(f"{CSV}?center=herat").status_code == 404
    assert client.get(f"{DASHBOARD}?center=kabul").status_code == 200


def test_a_manager_lands_on_the_dashboard_after_signing_in(hall: Hall, manager: User) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from khedmat.accounts.tests.conftest import current_totp

    client = Client()
    response = client.post("/en/account/staff/sign-in/", {"username": "manager.kbl", "password": PASSWORD})
    assert response["Location"] == "/en/account/staff/second-factor/"
    device = TOTPDevice.objects.get(user=manager)
    response = client.post("/en/account/staff/second-factor/", {"code": current_totp(device)})
    assert response["Location"] == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200
