"""Forms of the sign-in pages. They parse and normalise what people type; services decide."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from khedmat.core.formatting import PHONE_EXAMPLE, TAZKIRA_EXAMPLE, format_number, with_example
from khedmat.core.parsing import NotANumber, digit_string

from .codes import ENROLMENT_CODE_LENGTH, RECOVERY_CODE_LENGTH
from .phone import normalize_mobile_number
from .tazkira import normalize_tazkira_number


def _code_widget() -> forms.TextInput:
    """A field for a one-time code: the phone offers a digit keypad and the code it just received."""
    return forms.TextInput(attrs={
        "autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false",
        "autocapitalize": "off", "dir": "ltr", "class": "input input--code",
    })


def _long_code_widget() -> forms.TextInput:
    """A field for a set-up or recovery code: digits in groups, too long for the one-time-code box."""
    return forms.TextInput(attrs={
        "autocomplete": "off", "inputmode": "numeric", "spellcheck": "false", "autocapitalize": "off",
        "dir": "ltr", "class": "input",
    })


def _clean_code(raw: str, lengths: tuple[int, ...]) -> str:
    """Western digits without the spaces people add when copying a code."""
    try:
        return digit_string(raw, lengths=lengths)
    except NotANumber:
        raise forms.ValidationError(
            gettext("Enter the code: %(length)s digits.") % {"length": format_number(lengths[0])}, code="invalid",
        ) from None


class PhoneForm(forms.Form):
    phone_number = forms.CharField(
        label=_("Mobile number"), max_length=32,
        help_text=with_example(_("We send a one-time code to this number by SMS. Example: %(example)s."),
                               PHONE_EXAMPLE),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel",
                                      "dir": "ltr", "class": "input"}),
    )

    def clean_phone_number(self) -> str:
        return normalize_mobile_number(self.cleaned_data["phone_number"])


class PhoneCodeForm(forms.Form):
    code = forms.CharField(label=_("Code from the SMS"), max_length=20, widget=_code_widget())

    def clean_code(self) -> str:
        return _clean_code(self.cleaned_data["code"], (settings.PHONE_CODE_LENGTH,))


class CitizenProfileForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"), max_length=200,
        help_text=_("As written on your Tazkira."),
        widget=forms.TextInput(attrs={"autocomplete": "name", "class": "input"}),
    )
    tazkira_number = forms.CharField(
        label=_("Tazkira number (optional)"), max_length=40, required=False,
        help_text=with_example(_("The number on your national identity card, for example %(example)s."),
                               TAZKIRA_EXAMPLE),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "dir": "ltr",
                                      "class": "input"}),
    )

    def clean_full_name(self) -> str:
        return " ".join(self.cleaned_data["full_name"].split())

    def clean_tazkira_number(self) -> str:
        return normalize_tazkira_number(self.cleaned_data["tazkira_number"])


# Each language named in itself: whoever reads only one of them finds it.
MESSAGE_LANGUAGES = [("en", "English"), ("fa", "دری"), ("ps", "پښتو")]


class MessageLanguageForm(forms.Form):
    preferred_language = forms.ChoiceField(
        label=_("Language of your SMS"), choices=MESSAGE_LANGUAGES, widget=forms.RadioSelect,
        help_text=_("Every SMS the platform sends you is written in this language."),
    )


class StaffLoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "off",
                                      "spellcheck": "false", "class": "input"}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "class": "input"}),
    )


class TotpForm(forms.Form):
    """A code from the authenticator app being set up."""

    code = forms.CharField(
        label=_("Code from your authenticator app"), max_length=20, widget=_code_widget(),
        help_text=_("Six digits; a new code appears every 30 seconds."),
    )

    def clean_code(self) -> str:
        return _clean_code(self.cleaned_data["code"], (6, 8))


class SecondFactorForm(forms.Form):
    """The second step of a staff sign-in: a code from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("Code from your authenticator app"), max_length=30, widget=_code_widget(),
        help_text=_("Six digits; a new code appears every 30 seconds. Lost your phone? Enter one of your "
                    "recovery codes instead."),
    )

    def clean_code(self) -> str:
        return _clean_code(self.cleaned_data["code"], (6, 8, RECOVERY_CODE_LENGTH))


class EnrolmentCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Set-up code from your administrator"), max_length=40, widget=_long_code_widget(),
        help_text=_("Twelve digits, for example 1234-5678-9012."),
    )

    def clean_code(self) -> str:
        return _clean_code(self.cleaned_data["code"], (ENROLMENT_CODE_LENGTH,))


def _recovery_code_field() -> forms.CharField:
    return forms.CharField(
        label=_("Recovery code"), max_length=30,
        help_text=_("Ten digits, from the list you kept when you set up your authenticator app. Each code "
                    "works once."),
        widget=_long_code_widget(),
    )


class RecoverySignInForm(StaffLoginForm):
    """Password and recovery code together: the way in when the password is locked or the phone lost."""

    recovery_code = _recovery_code_field()

    def clean_recovery_code(self) -> str:
        return _clean_code(self.cleaned_data["recovery_code"], (RECOVERY_CODE_LENGTH,))


class ConfirmPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), strip=False,
        help_text=_("To make sure it is you."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "class": "input"}),
    )
