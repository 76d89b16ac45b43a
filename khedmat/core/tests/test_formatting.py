"""Dates, numbers and amounts as a reader in Kabul expects them."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from khedmat.core import formatting
from khedmat.core.calendar import MONTHS, from_solar_hijri, to_solar_hijri


@pytest.mark.parametrize(
    ("gregorian", "expected"),
    [
        (datetime.date(2026, 3, 21), (1405, 1, 1)),  # Nowruz: 1 Hamal
        (datetime.date(2026, 11, 28), (1405, 9, 7)),
        (datetime.date(2025, 3, 20), (1403, 12, 30)),  # last day of a leap year
    ],
)
def test_gregorian_dates_convert_to_solar_hijri(gregorian: datetime.date, expected: tuple[int, int, int]) -> None:
    solar = to_solar_hijri(gregorian)
    assert (solar.year, solar.month, solar.day) == expected


@given(st.dates(min_value=datetime.date(1950, 1, 1), max_value=datetime.date(2100, 12, 31)))
def test_solar_hijri_round_trips(gregorian: datetime.date) -> None:
    solar = to_solar_hijri(gregorian)
    assert from_solar_hijri(solar.year, solar.month, solar.day) == gregorian


def test_afghan_month_names_not_iranian() -> None:
    assert MONTHS["en"][0] == "Hamal" and MONTHS["en"][-1] == "Hut"
    assert MONTHS["fa"][0] == "حمل" and "فروردین" not in MONTHS["fa"]
    assert len(MONTHS["ps"]) == 12


def test_english_date_uses_month_name_and_western_digits() -> None:
    with translation.override("en"):
        assert formatting.format_date(datetime.date(2026, 11, 28)) == "7 Qaws 1405"
        assert formatting.format_date(datetime.date(2026, 11, 28), with_gregorian=True) == "7 Qaws 1405 (2026-11-28)"


def test_dari_date_uses_eastern_digits_and_dari_month() -> None:
    with translation.override("fa"):
        assert formatting.format_date(datetime.date(2026, 11, 28)) == "۷ قوس ۱۴۰۵"
        assert formatting.format_date(datetime.date(2026, 11, 28), with_gregorian=True) == "۷ قوس ۱۴۰۵ (۲۰۲۶/۱۱/۲۸)"


def test_pashto_date_uses_pashto_month() -> None:
    with translation.override("ps"):
        assert formatting.format_date(datetime.date(2026, 3, 21)) == "۱ وری ۱۴۰۵"


def test_aware_datetime_is_shown_in_kabul_time() -> None:
    # 21:00 UTC on 20 March is 01:30 on 21 March in Kabul (UTC+4:30): already 1 Hamal.
    moment = datetime.datetime(2026, 3, 20, 21, 0, tzinfo=datetime.UTC)
    with translation.override("en"):
        assert formatting.format_datetime(moment) == "1 Hamal 1405, 01:30"


def test_numbers_and_amounts_per_language() -> None:
    with translation.override("en"):
        assert formatting.format_number(1234567) == "1,234,567"
        assert formatting.format_amount(5000) == "5,000 AFN"
    with translation.override("fa"):
        assert formatting.format_number(1234567) == "۱٬۲۳۴٬۵۶۷"
    with translation.override("ps"):
        assert formatting.format_number(12) == "۱۲"


def test_a_ticket_number_in_a_dari_sentence_keeps_its_letter_first() -> None:
    assert formatting.format_code("P-042", "en") == "P-042"
    dari = formatting.format_code("P-042", "fa")
    assert dari == "\u2066P-۰۴۲\u2069", "left-to-right isolate around Eastern digits"
