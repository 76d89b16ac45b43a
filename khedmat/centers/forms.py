"""Forms of the hall's public pages: joining the queue, checking in, booking and finding an
appointment. Every form that creates something carries a one-time token, so a double tap or
a re-posted page creates it once."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from khedmat.accounts.phone import normalize_mobile_number
from khedmat.core.parsing import NotANumber, digit_string

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def new_form_token() -> str:
    """A fresh one-time key, put in a hidden field each time a form is shown."""
    return secrets.token_urlsafe(24)


def form_token(post: Mapping[str, Any]) -> str | None:
    """The one-time key the form was shown with, if it is one we could have made."""
    token = str(post.get("token", ""))
    return token if _TOKEN.match(token) else None


class PhoneField(forms.CharField):
    """An Afghan mobile number as people type it, cleaned to E.164."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("widget", forms.TextInput(attrs={
            "type": "tel", "autocomplete": "tel", "inputmode": "tel", "dir": "ltr"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        return normalize_mobile_number(text) if text else text


class JoinForm(forms.Form):
    """Join a center's queue from a phone: the service, and the number the link is sent to."""

    service = forms.TypedChoiceField(label=_("Service"), coerce=int, widget=forms.RadioSelect,
                                     error_messages={"required": _("Choose the service you come for.")})
    phone = PhoneField(label=_("Mobile number"),
                       help_text=_("We send your ticket's link here, and an SMS when you are called."))

    def __init__(self, *args: Any, services: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = services  # type: ignore[attr-defined]


class CheckInForm(forms.Form):
    """The code of an appointment, typed at the kiosk."""

    code = forms.CharField(label=_("Appointment code"), max_length=16,
                           help_text=_("The digits in the SMS you received when you booked."),
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off",
                                                         "dir": "ltr", "class": "kiosk-code"}))

    def clean_code(self) -> str:
        try:
            return digit_string(self.cleaned_data["code"])
        except NotANumber:
            raise ValidationError(_("Type the digits of your appointment code.")) from None


class BookForm(forms.Form):
    """A free slot of a schedule and the phone number the appointment is made with."""

    slot = forms.ChoiceField(label=_("Time"), widget=forms.RadioSelect,
                             error_messages={"required": _("Choose a time.")})
    phone = PhoneField(label=_("Mobile number"),
                       help_text=_("We send the appointment code here. You need it to check in, move or cancel."))

    def __init__(self, *args: Any, slots: list[tuple[str, str]], with_phone: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = slots  # type: ignore[attr-defined]
        if not with_phone:
            del self.fields["phone"]


class FindAppointmentForm(forms.Form):
    """An appointment's code and the phone number it was booked with."""

    code = forms.CharField(label=_("Appointment code"), max_length=16,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "dir": "ltr"}))
    phone = PhoneField(label=_("Mobile number"), help_text=_("The number you booked with."))

    def clean_code(self) -> str:
        try:
            return digit_string(self.cleaned_data["code"])
        except NotANumber:
            raise ValidationError(_("Type the digits of your appointment code.")) from None


class DevicePairForm(forms.Form):
    """The pairing code a center manager issued, typed once on the screen being paired."""

    code = forms.CharField(label=_("Pairing code"), max_length=20,
                           help_text=_("The eight digits your center manager was given for this screen."),
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off",
                                                         "dir": "ltr", "class": "kiosk-code"}))

    def clean_code(self) -> str:
        try:
            return digit_string(self.cleaned_data["code"])
        except NotANumber:
            raise ValidationError(_("Type the digits of the pairing code.")) from None
