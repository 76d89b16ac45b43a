"""The Solar Hijri range every date input is held to, and the date limits a definition writes."""

from __future__ import annotations

import datetime

import pytest

from khedmat.core.calendar import EARLIEST_DATE, LATEST_DATE, DateBound, from_solar_hijri, solar_hijri_date

TODAY = datetime.date(2024, 2, 29)  # a leap day: the hardest day to move by years


def test_the_range_is_the_solar_hijri_years_1200_to_1600() -> None:
    assert EARLIEST_DATE == from_solar_hijri(1200, 1, 1) == datetime.date(1821, 3, 21)
    assert LATEST_DATE + datetime.timedelta(days=1) == from_solar_hijri(1601, 1, 1)


@pytest.mark.parametrize(("year", "month", "day"), [(1199, 12, 29), (1601, 1, 1), (1, 1, 1), (9377, 1, 1),
                                                    (1403, 7, 31), (1403, 13, 1), (1403, 1, 0)])
def test_a_solar_hijri_day_outside_the_range_or_that_does_not_exist_is_refused(year: int, month: int,
                                                                              day: int) -> None:
    with pytest.raises(ValueError):
        solar_hijri_date(year, month, day)


@pytest.mark.parametrize(("written", "expected"), [
    ("today", TODAY),
    ("today-120y", datetime.date(1904, 2, 29)),
    ("today - 18y", datetime.date(2006, 2, 28)),  # no 29 February in 2006: the month's last day
    ("Today+1y", datetime.date(2025, 2, 28)),
    ("today-6m", datetime.date(2023, 8, 29)),
    ("today+30d", datetime.date(2024, 3, 30)),
    ("today-400y", EARLIEST_DATE),  # never beyond the range
    ("today+400y", LATEST_DATE),
    ("1300-01-01", datetime.date(1921, 3, 21)),  # a fixed Solar Hijri day
    ("1300-1-1", datetime.date(1921, 3, 21)),
])
def test_a_bound_is_a_solar_hijri_day_or_today_moved(written: str, expected: datetime.date) -> None:
    assert DateBound.parse(written).on(TODAY) == expected


@pytest.mark.parametrize("written", ["tomorrow", "today-401y", "today-5w", "today-", "2000-01-01", "1100-01-01",
                                     "1403-13-01", "1403-07-31", "today-١٢٠y", "today-²y", "", 5, None, ["today"]])
def test_anything_else_is_not_a_bound(written: object) -> None:
    with pytest.raises(ValueError):
        DateBound.parse(written)
