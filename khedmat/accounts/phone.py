"""Afghan mobile numbers: parsed and normalised to E.164 (+93 and nine digits) with phonenumbers."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from khedmat.core.formatting import localize_digits, western_digits


def normalize_mobile_number(raw: str) -> str:
    """Return the number in E.164 form, or raise ValidationError with a message for the user.

    Accepts what people type: 0700 123 456, 700123456, +93 700 123 456, 0093…, and
    Eastern Arabic-Indic digits.
    """
    text = western_digits(raw or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, "AF")
    except phonenumbers.NumberParseException as error:
        raise ValidationError(_("Enter a mobile number such as 0700 123 456."), code="invalid") from error
    if number.country_code != 93 or not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Enter a valid Afghan mobile number such as 0700 123 456."), code="invalid")
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValidationError(_("This is not a mobile number; codes are sent by SMS."), code="not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_mobile_number(e164: str, language: str | None = None) -> str:
    """0700 123 456 style, in the reader's digits."""
    number = phonenumbers.parse(e164, "AF")
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return localize_digits(national, language)
