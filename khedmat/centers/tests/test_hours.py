"""Opening days, hours and holidays hold for tickets as they do for appointments.

The finding: the kiosk and the remote join gave tickets on a Thursday at a center open
Saturday to Wednesday. Each test sets the center's hours and stops the clock itself, so none
depends on the day or hour it runs at.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client

from khedmat.centers.hours import center_closed, center_hours_text
from khedmat.centers.models import Ticket
from khedmat.centers.selectors import appointment_days
from khedmat.centers.services import CenterClosed, center_set_hours, center_upsert, ticket_issue
from khedmat.core.services import holiday_upsert

from .conftest import ALL_WEEK, SATURDAY_TO_WEDNESDAY, Hall

Freeze = Callable[[datetime.datetime], datetime.datetime]
THURSDAY = datetime.date(2026, 12, 10)  # 19 Qaws 1405
WEDNESDAY = THURSDAY - datetime.timedelta(days=1)
SATURDAY = THURSDAY + datetime.timedelta(days=2)  # 21 Qaws 1405


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute))


@pytest.fixture
def office_hours(hall: Hall) -> Hall:
    """The hall opens Saturday to Wednesday, 08:00–16:00, as the Afghan government does."""
    center_set_hours(center=hall.center, opens_at=datetime.time(8), closes_at=datetime.time(16),
                     open_weekdays=SATURDAY_TO_WEDNESDAY)
    return hall


def test_no_ticket_on_a_thursday_and_the_refusal_says_when_the_center_opens(office_hours: Hall,
                                                                            frozen_at: Freeze) -> None:
    frozen_at(at(THURSDAY, 10))
    for channel in (Ticket.Channel.KIOSK, Ticket.Channel.ONLINE, Ticket.Channel.SMS, Ticket.Channel.USSD):
        with pytest.raises(CenterClosed) as refused:
            ticket_issue(center=office_hours.center, service=office_hours.passport, channel=channel,
                         phone="0700111222")
        assert refused.value.code == "center_closed"
        assert refused.value.message == "Kabul is closed now. It opens on Saturday 21 Qaws 1405 at 08:00."
        assert refused.value.short_message == "Closed now; opens Saturday 21 Qaws 1405 at 08:00."
    assert not Ticket.objects.exists()


def test_before_opening_after_closing_and_on_a_holiday(office_hours: Hall, frozen_at: Freeze) -> None:
    center = office_hours.center
    frozen_at(at(SATURDAY, 7, 59))
    closed = center_closed(center=center)
    assert closed is not None and closed.message() == "Kabul is closed now. It opens today at 08:00."
    frozen_at(at(SATURDAY, 8))
    assert center_closed(center=center) is None
    assert ticket_issue(center=center, service=office_hours.passport).display_number == "P-001"
    frozen_at(at(SATURDAY, 16))
    assert "opens on Sunday 22 Qaws 1405 at 08:00" in str(center_closed(center=center).message())  # type: ignore[union-attr]
    frozen_at(at(WEDNESDAY, 16, 30))  # the weekend comes first
    assert "opens on Saturday 21 Qaws 1405" in center_closed(center=center).message()  # type: ignore[union-attr]
    holiday_upsert(date=SATURDAY, name={"en": "A holiday", "fa": "-", "ps": "-"})
    frozen_at(at(SATURDAY, 10))
    with pytest.raises(CenterClosed) as refused:
        ticket_issue(center=center, service=office_hours.passport)
    assert "opens on Sunday 22 Qaws 1405 at 08:00" in refused.value.message
    assert Ticket.objects.count() == 1


def test_the_refusal_is_in_the_readers_language_and_calendar(office_hours: Hall, frozen_at: Freeze) -> None:
    from django.utils import translation

    frozen_at(at(THURSDAY, 10))
    with translation.override("fa"), pytest.raises(CenterClosed) as refused:
        ticket_issue(center=office_hours.center, service=office_hours.passport)
    assert "۲۱ قوس ۱۴۰۵" in refused.value.message and "۰۸:۰۰" in refused.value.message
    assert "21" not in refused.value.message


def test_a_center_open_until_midnight_and_one_open_around_the_clock(hall: Hall, frozen_at: Freeze) -> None:
    center_set_hours(center=hall.center, opens_at=datetime.time(14), closes_at=datetime.time(0),
                     open_weekdays=[THURSDAY.weekday()])
    frozen_at(at(THURSDAY, 23, 59))
    assert center_closed(center=hall.center) is None
    frozen_at(at(THURSDAY + datetime.timedelta(days=1), 0, 0))
    assert center_closed(center=hall.center) is not None
    assert center_hours_text(hall.center) == "Thursday, 14:00 to 24:00"
    center_set_hours(center=hall.center, opens_at=datetime.time(0), closes_at=datetime.time(0),
                     open_weekdays=ALL_WEEK)
    assert center_closed(center=hall.center) is None
    assert center_hours_text(hall.center) == "Every day, around the clock"


def test_hours_that_close_before_they_open_are_refused(hall: Hall) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        center_set_hours(center=hall.center, opens_at=datetime.time(16), closes_at=datetime.time(8),
                         open_weekdays=ALL_WEEK)
    with pytest.raises(ValidationError):
        center_set_hours(center=hall.center, opens_at=datetime.time(8), closes_at=datetime.time(16),
                         open_weekdays=[7])


def test_a_new_center_opens_on_the_platform_working_week(db: None, settings: object) -> None:
    center = center_upsert(code="MZR", slug="mazar", name={"en": "Mazar", "fa": "-", "ps": "-"},
                           city={"en": "-", "fa": "-", "ps": "-"}, address={"en": "-", "fa": "-", "ps": "-"},
                           opens_at=datetime.time(8), closes_at=datetime.time(16))
    assert center.open_weekdays == [0, 1, 2, 5, 6]
    assert center_hours_text(center) == "Saturday to Wednesday, 08:00 to 16:00"


def test_the_kiosk_on_a_closed_day_says_when_it_opens_and_gives_nothing(office_hours: Hall, kiosk: Client,
                                                                       frozen_at: Freeze) -> None:
    frozen_at(at(THURSDAY, 10))
    page = kiosk.get("/en/centers/kabul/kiosk/").content.decode()
    assert "It opens on Saturday 21 Qaws 1405 at 08:00." in page
    assert "Open Saturday to Wednesday, 08:00 to 16:00." in page
    assert "?service=" not in page  # no service to touch
    response = kiosk.post("/en/centers/kabul/kiosk/", {"service": office_hours.passport.pk, "token": "t" * 32},
                          follow=True)
    assert "It opens on Saturday" in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_remote_join_on_a_closed_day_says_when_it_opens_and_gives_nothing(office_hours: Hall, client: Client,
                                                                             frozen_at: Freeze) -> None:
    frozen_at(at(THURSDAY, 10))
    page = client.get("/fa/centers/kabul/join/").content.decode()
    assert "۲۱ قوس ۱۴۰۵" in page and 'name="phone"' not in page
    response = client.post("/en/centers/kabul/join/", {"service": office_hours.passport.pk,
                                                       "phone": "0700111222", "token": "t" * 32})
    assert response.status_code == 200
    assert "It opens on Saturday 21 Qaws 1405 at 08:00." in response.content.decode()
    assert not Ticket.objects.exists()


def test_an_appointment_check_in_is_held_to_its_slot_not_the_opening_hour(office_hours: Hall,
                                                                         frozen_at: Freeze) -> None:
    """A holder of an 08:00 slot may check in from 07:30: the doors are open for them."""
    frozen_at(at(SATURDAY, 7, 40))
    ticket = ticket_issue(center=office_hours.center, service=office_hours.passport,
                          channel=Ticket.Channel.APPOINTMENT, queue_position_at=frozen_at(at(SATURDAY, 7, 40)))
    assert ticket.channel == Ticket.Channel.APPOINTMENT


def test_appointments_are_offered_on_the_centers_own_days(hall: Hall, frozen_at: Freeze) -> None:
    frozen_at(at(SATURDAY, 7))
    center_set_hours(center=hall.center, opens_at=datetime.time(8), closes_at=datetime.time(16),
                     open_weekdays=[5, 6, 0, 1, 2, 3])  # Saturday to Thursday
    schedule = hall.schedule(days_ahead=7)
    assert [day.weekday() for day in appointment_days(schedule=schedule)] == [5, 6, 0, 1, 2, 3]
    center_set_hours(center=hall.center, opens_at=datetime.time(8), closes_at=datetime.time(16),
                     open_weekdays=[5, 0, 1, 2])  # closed on Sundays
    schedule.refresh_from_db()
    assert 6 not in [day.weekday() for day in appointment_days(schedule=schedule)]


def test_the_admin_form_sets_open_days_and_a_midnight_closing(hall: Hall) -> None:
    from django.forms.models import model_to_dict

    from khedmat.centers.admin import CenterForm

    data = {**model_to_dict(hall.center), "services": [hall.passport.pk, hall.licence.pk],
            "open_weekdays": ["5", "6", "0", "1", "2", "3"], "opens_at": "14:00", "closes_at": "00:00"}
    form = CenterForm(data, instance=hall.center)
    assert form.is_valid(), form.errors
    center = form.save()
    assert center.open_weekdays == [0, 1, 2, 3, 5, 6] and center.closes_at == datetime.time(0)
    backwards = CenterForm({**data, "opens_at": "16:00", "closes_at": "08:00"}, instance=hall.center)
    assert not backwards.is_valid() and "closes_at" in backwards.errors
    unknown_day = CenterForm({**data, "open_weekdays": ["9"]}, instance=hall.center)
    assert not unknown_day.is_valid()
