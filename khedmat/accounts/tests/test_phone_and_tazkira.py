"""What people type as a mobile or Tazkira number, and what the platform makes of it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from khedmat.accounts.phone import display_mobile_number, normalize_mobile_number
from khedmat.accounts.tazkira import normalize_tazkira_number


@pytest.mark.parametrize("typed", [
    "0700 123 456", "0700123456", "700123456", "+93 700 123 456", "+93700123456",
    "0093 700 123 456", "۰۷۰۰ ۱۲۳ ۴۵۶", "٠٧٠٠١٢٣٤٥٦", " 0700-123-456 ",
])
def test_the_usual_ways_of_writing_a_mobile_number_give_one_number(typed: str) -> None:
    assert normalize_mobile_number(typed) == "+93700123456"


@pytest.mark.parametrize("typed", ["", "hello", "0700 123", "07001234567890", "+98 912 345 6789"])
def test_a_number_that_is_not_an_afghan_mobile_is_refused(typed: str) -> None:
    with pytest.raises(ValidationError):
        normalize_mobile_number(typed)


def test_a_landline_is_refused_because_codes_go_by_sms() -> None:
    with pytest.raises(ValidationError) as error:
        normalize_mobile_number("020 210 1234")  # a Kabul landline
    assert error.value.code == "not_mobile"


def test_the_number_is_shown_in_the_readers_digits() -> None:
    assert display_mobile_number("+93700123456", "en") == "070 012 3456"
    assert display_mobile_number("+93700123456", "fa") == "۰۷۰ ۰۱۲ ۳۴۵۶"


@pytest.mark.parametrize(("typed", "stored"), [
    ("1400-0101-12345", "1400-0101-12345"),
    ("۱۴۰۰-۰۱۰۱-۱۲۳۴۵", "1400-0101-12345"),
    (" 1400 0101 12345 ", "1400010112345"),
    ("1400–0101–12345", "1400-0101-12345"),
    ("123456", "123456"),
    ("", ""),
])
def test_tazkira_numbers_are_accepted_loosely_and_stored_in_western_digits(typed: str, stored: str) -> None:
    assert normalize_tazkira_number(typed) == stored


@pytest.mark.parametrize("typed", ["abc", "12", "1400--0101", "-1400", "1400-ABCD-12345", "1" * 21])
def test_nonsense_is_not_a_tazkira_number(typed: str) -> None:
    with pytest.raises(ValidationError):
        normalize_tazkira_number(typed)
