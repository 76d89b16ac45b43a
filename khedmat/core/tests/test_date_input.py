"""The one Solar Hijri date input: what people type is read, what is shown reads back the same,
and a refusal says what is wrong in the reader's language."""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from khedmat.core.calendar import EARLIEST_DATE, LATEST_DATE
from khedmat.core.formatting import format_date_input, western_digits
from khedmat.core.forms import SolarHijriDateField
from khedmat.core.parsing import NotADay, parse_typed_day

EVERY_DAY = st.dates(min_value=EARLIEST_DATE, max_value=LATEST_DATE)


@settings(max_examples=300)
@given(day=EVERY_DAY, language=st.sampled_from(["en", "fa", "ps"]), dash=st.booleans())
def test_every_day_of_the_range_reads_back_as_shown_in_both_digit_sets(day: datetime.date, language: str,
                                                                         dash: bool) -> None:
    shown = format_date_input(day, language)
    if dash:
        shown = shown.replace("/", "-")
    assert parse_typed_day(shown) == day
    assert parse_typed_day(western_digits(shown)) == day


def test_the_first_and_last_days_of_the_range_read_back() -> None:
    for day in (EARLIEST_DATE, LATEST_DATE):
        for language in ("en", "fa"):
            assert parse_typed_day(format_date_input(day, language)) == day


def test_dari_and_pashto_show_eastern_digits_and_english_western() -> None:
    day = datetime.date(2026, 12, 3)
    assert format_date_input(day, "fa") == "۱۴۰۵/۰۹/۱۲" == format_date_input(day, "ps")
    assert format_date_input(day, "en") == "1405/09/12"


@pytest.mark.parametrize("typed", ["۱۴۰۵/۰۹/۱۲", "1405/9/12", "١٤٠٥-٠٩-١٢", " 1405 / 09 / 12 ", "2026-12-03",
                                   "۲۰۲۶-۱۲-۰۳"])
def test_a_day_is_read_however_it_is_typed(typed: str) -> None:
    assert parse_typed_day(typed) == datetime.date(2026, 12, 3)


@pytest.mark.parametrize("typed, code", [
    ("1405/12/30", "no_such_day"),  # 1405 is a common year: Hut has 29 days
    ("1405/07/31", "no_such_day"),  # Mizan has 30
    ("1405/13/01", "no_such_day"), ("1405/00/10", "no_such_day"), ("1405/01/00", "no_such_day"),
    ("1199/12/29", "calendar"), ("1601/01/01", "calendar"), ("0001/01/01", "calendar"),
    ("9999/12/31", "range"), ("1700/01/01", "range"),
    ("12/09/1405", "format"), ("05/09/12", "format"), ("1405.09.12", "format"), ("1405/09", "format"),
    ("", "format"), ("²۴۰۵/۰۹/۱۲", "format"), ("1" * 10_000, "format"), ("1405/09/12\x00", "format"),
])
def test_what_is_not_a_day_is_refused_with_why(typed: str, code: str) -> None:
    with pytest.raises(NotADay) as refusal:
        parse_typed_day(typed)
    assert refusal.value.code == code


def test_a_leap_year_has_its_thirtieth_of_hut() -> None:
    assert parse_typed_day("1403/12/30") == datetime.date(2025, 3, 20)


class _Form(forms.Form):
    day = SolarHijriDateField(required=False)


@pytest.mark.parametrize("language, expected", [
    ("en", "There is no such day: Hut 1405 has 29 days."),
    ("fa", None), ("ps", None),
])
def test_the_form_says_why_in_the_readers_language(language: str, expected: str | None) -> None:
    with translation.override(language):
        form = _Form({"day": "۱۴۰۵/۱۲/۳۰"})
        assert not form.is_valid()
        message = form.errors["day"][0]
    if expected:
        assert message == expected
    else:
        assert "۲۹" in message and "1405" not in message and "۱۴۰۵" in message


def test_the_input_shows_the_day_as_the_language_writes_it_and_keeps_what_was_typed() -> None:
    with translation.override("fa"):
        shown = str(_Form(initial={"day": datetime.date(2026, 12, 3)})["day"])
        assert 'value="۱۴۰۵/۰۹/۱۲"' in shown and 'dir="ltr"' in shown and "placeholder=" in shown
        assert 'type="date"' not in shown
        kept = str(_Form({"day": "1405/12/30"})["day"])
        assert 'value="1405/12/30"' in kept


def test_an_empty_optional_day_is_none_and_a_required_one_is_asked_for() -> None:
    form = _Form({"day": "  "})
    assert form.is_valid() and form.cleaned_data["day"] is None
    required = SolarHijriDateField()
    with pytest.raises(forms.ValidationError):
        required.clean("")


def test_bounds_narrow_the_range_with_a_message_naming_them() -> None:
    field = SolarHijriDateField(latest=datetime.date(2026, 12, 3))
    assert field.clean("1405/09/12") == datetime.date(2026, 12, 3)
    with translation.override("en"), pytest.raises(forms.ValidationError) as refusal:
        field.clean("1405/09/13")
    assert "12 Qaws 1405" in refusal.value.messages[0]
