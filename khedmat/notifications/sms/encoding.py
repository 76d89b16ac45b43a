"""How long a text is as SMS: its encoding (GSM-7 or UCS-2), its length and its parts.

A text that fits the GSM 03.38 alphabet travels in 7-bit septets: 160 in one message, 153
per part when split (the rest carries the concatenation header); the extension characters
(€ [ ] { } ^ ~ | \\) take two septets. Anything else, Dari and Pashto included, travels as
UCS-2: 70 characters in one message, 67 per part; a character outside the Basic
Multilingual Plane (an emoji) takes two. The `gsm0338` codec knows the alphabet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

GSM7 = "GSM-7"
UCS2 = "UCS-2"
SINGLE = {GSM7: 160, UCS2: 70}
PER_PART = {GSM7: 153, UCS2: 67}
# A USSD screen carries 182 septets (160 octets): 182 GSM-7 characters or 80 in UCS-2.
USSD_SCREEN = {GSM7: 182, UCS2: 80}


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # GSM7 or UCS2
    units: int  # septets for GSM-7, 16-bit code units for UCS-2
    characters: int
    parts: int

    @property
    def per_part(self) -> int:
        return SINGLE[self.encoding] if self.parts <= 1 else PER_PART[self.encoding]


def gsm7_septets(text: str) -> int | None:
    """Septets `text` takes in GSM-7, or None if it needs UCS-2."""
    try:
        return len(text.encode("gsm03.38"))
    except UnicodeEncodeError:
        return None


def needs_ucs2(text: str) -> bool:
    return gsm7_septets(text) is None


def sms_length(text: str) -> SmsLength:
    septets = gsm7_septets(text)
    if septets is not None:
        encoding, units = GSM7, septets
    else:
        encoding, units = UCS2, len(text.encode("utf-16-be")) // 2
    parts = 1 if units <= SINGLE[encoding] else math.ceil(units / PER_PART[encoding])
    return SmsLength(encoding=encoding, units=units, characters=len(text), parts=parts)


def fits_ussd_screen(text: str) -> bool:
    """Whether one USSD screen shows `text` whole."""
    septets = gsm7_septets(text)
    if septets is not None:
        return septets <= USSD_SCREEN[GSM7]
    return len(text.encode("utf-16-be")) // 2 <= USSD_SCREEN[UCS2]
