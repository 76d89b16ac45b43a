"""Numbers typed in any of our scripts are read; look-alike digits and huge values are refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khedmat.core.parsing import NotANumber, digit_string, digits_only, parse_int, parse_int_or_none


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
