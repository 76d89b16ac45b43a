"""Numbers typed in any of our scripts are read; look-alike digits and huge values are refused."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khedmat.core.calendar import EARLIEST_DATE, LATEST_DATE, to_solar_hijri
from khedmat.core.parsing import (
    NotADate,
    NotANumber,
    digit_string,
    digits_only,
    parse_date,
    parse_date_or_none,
    parse_int,
    parse_int_or_none,
    plain_text,
)


@pytest.mark.parametrize("raw, value", [("42", 42), ("۴۲", 42), ("٤٢", 42), (" 7 ", 7), ("0", 0), ("۰۰۹", 9)])
def test_digits_of_every_script_are_read(raw: str, value: int) -> None:
    assert parse_int(raw) == value


@pytest.mark.parametrize("raw", ["²", "①", "4²", "", " ", "-1", "+3", "1.5", "1e3", "٣x", "\x00", "9" * 19, None])
def test_anything_else_is_refused(raw: str | None) -> None:
    with pytest.raises(NotANumber):
        parse_int(raw)
    assert parse_int_or_none(raw) is None


def test_bounds_are_enforced() -> None:
    assert parse_int("5", minimum=1, maximum=5) == 5
    with pytest.raises(NotANumber):
        parse_int("6", minimum=1, maximum=5)
    with pytest.raises(NotANumber):
        parse_int("0", minimum=1)


def test_codes_keep_leading_zeros_and_drop_spaces_and_dashes() -> None:
    assert digit_string("۰۱۲ ۳-۴۵") == "012345"
    assert digit_string("012345", lengths=(6,)) == "012345"
    with pytest.raises(NotANumber):
        digit_string("01234", lengths=(6,))
    with pytest.raises(NotANumber):
        digit_string("12³456")


def test_digits_only_is_a_key_whatever_was_typed() -> None:
    assert digits_only("+93 ۷۰۰-۱۲۳ ٤٥٦") == "93700123456"
    assert digits_only("²①") == ""
    assert digits_only(None) == ""


@given(st.text(max_size=40))
def test_never_raises_anything_but_not_a_number(raw: str) -> None:
    try:
        value = parse_int(raw, maximum=10**9)
    except NotANumber:
        return
    assert 0 <= value <= 10**9


# --- days ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, value", [
    ("2026-03-21", datetime.date(2026, 3, 21)), ("۲۰۲۶-۰۳-۲۱", datetime.date(2026, 3, 21)),
    ("٢٠٢٦-٠٣-٢١", datetime.date(2026, 3, 21)), (" 2026-03-21 ", datetime.date(2026, 3, 21)),
    (EARLIEST_DATE.isoformat(), EARLIEST_DATE), (LATEST_DATE.isoformat(), LATEST_DATE),
])
def test_a_day_is_read_in_any_of_our_scripts(raw: str, value: datetime.date) -> None:
    assert parse_date(raw) == value


@pytest.mark.parametrize("raw", [
    "0001-01-01", "9999-12-31", "1820-12-31", "2300-01-01",  # real days the platform does not read
    "1403-01-01",  # a Solar Hijri day written as if Gregorian: year 1403 is outside the range
    "2026-02-30", "2026-13-01", "2026-3-21", "²⁰²⁶-03-21", "2026-03-2①", "20260321", "", None, "\x00",
    "2026-03-21\x00", "9" * 5000, "2026-03-21T10:00",
])
def test_any_other_day_is_refused(raw: str | None) -> None:
    with pytest.raises(NotADate):
        parse_date(raw)
    assert parse_date_or_none(raw) is None


def test_the_day_before_and_after_any_accepted_day_exist_and_convert() -> None:
    """What overflowed: a dashboard's "previous day" link and the Solar Hijri heading."""
    for day in (parse_date(EARLIEST_DATE.isoformat()), parse_date(LATEST_DATE.isoformat())):
        for other in (day - datetime.timedelta(days=1), day + datetime.timedelta(days=1)):
            to_solar_hijri(other)


def test_a_caller_narrows_the_bounds_but_never_widens_them() -> None:
    today = datetime.date(2026, 3, 21)
    assert parse_date("2026-03-21", latest=today) == today
    with pytest.raises(NotADate):
        parse_date("2026-03-22", latest=today)
    with pytest.raises(NotADate):
        parse_date("0001-01-01", earliest=datetime.date.min)


@given(st.text(max_size=30))
def test_no_text_makes_the_day_reader_fail_otherwise(raw: str) -> None:
    try:
        value = parse_date(raw)
    except NotADate:
        return
    assert EARLIEST_DATE <= value <= LATEST_DATE


@pytest.mark.parametrize(("raw", "text"), [
    ("  The holder\x00 died.\r\n", "The holder died."), ("a\tb\x1b[2Jc", "a b [2Jc"), (None, ""), ("\x00", ""),
    ("وفات کرده است", "وفات کرده است"),
])
def test_plain_text_is_what_can_be_stored_and_shown(raw: str | None, text: str) -> None:
    assert plain_text(raw) == text
