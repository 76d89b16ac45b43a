"""Forms of the assisted channel's own steps (the service's form is the citizen's own, from forms.py)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from khedmat.accounts.phone import normalize_mobile_number
from khedmat.core.formatting import PHONE_EXAMPLE, format_number, with_example
from khedmat.core.parsing import NotANumber, digit_string

from .uploads import ACCEPT_ATTRIBUTE

if TYPE_CHECKING:
    from khedmat.catalog.models import Service

_KEY = re.compile(r"^[A-Za-z0-9-]{8,64}$")
LANGUAGE_NAMES = {"fa": _("Dari"), "ps": _("Pashto"), "en": _("English")}


class AssistedStartForm(forms.Form):
    phone_number = forms.CharField(
        label=_("Citizen's mobile number"), max_length=32,
        help_text=with_example(_("The citizen's own phone: the consent code is sent to it. Example: %(example)s."),
                               PHONE_EXAMPLE),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off", "dir": "ltr",
                                      "class": "input"}),
    )
    full_name = forms.CharField(
        label=_("Citizen's full name (optional)"), max_length=200, required=False,
        help_text=_("As written on their Tazkira. Recorded only if their account has no name yet."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "input"}),
    )
    language = forms.ChoiceField(
        label=_("Language the citizen reads"), initial="fa",
        help_text=_("Messages to a new account, such as the consent code, are sent in this language."),
    )
    service = forms.TypedChoiceField(
        label=_("Service"), coerce=int,
        help_text=_("Only the services your center offers in person are listed."),
    )

    def __init__(self, *args: Any, services: list[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.services = {service.pk: service for service in services}
        service_field = self.fields["service"]
        assert isinstance(service_field, forms.ChoiceField)
        service_field.choices = [("", gettext("Choose a service"))] + [
            (service.pk, f"{service.name} — {service.agency.name}") for service in services]
        language_field = self.fields["language"]
        assert isinstance(language_field, forms.ChoiceField)
        language_field.choices = [(code, LANGUAGE_NAMES.get(code, name)) for code, name in settings.LANGUAGES]

    def clean_phone_number(self) -> str:
        return normalize_mobile_number(self.cleaned_data["phone_number"])

    def clean_full_name(self) -> str:
        return " ".join(self.cleaned_data["full_name"].split())

    def clean_service(self) -> Service:
        return self.services[self.cleaned_data["service"]]


def _clean_key(value: str) -> str:
    if not _KEY.match(value or ""):
        raise forms.ValidationError(gettext("This page is out of date. Reload it and try again."), code="stale")
    return value


class ConsentCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code the citizen received by SMS"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false",
                                      "autocapitalize": "off", "dir": "ltr", "class": "input input--code"}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_code(self) -> str:
        length = settings.PHONE_CODE_LENGTH
        try:
            return digit_string(self.cleaned_data["code"], lengths=(length,))
        except NotANumber:
            raise forms.ValidationError(
                gettext("Enter the code: %(length)s digits.") % {"length": format_number(length)},
                code="invalid") from None

    def clean_idempotency_key(self) -> str:
        return _clean_key(self.cleaned_data["idempotency_key"])


class ConsentFormUploadForm(forms.Form):
    signed_form = forms.FileField(
        label=_("Scanned signed consent form"),
        help_text=_("A photo or scan (PDF, JPEG or PNG) of the printed form, signed or thumb-printed by the citizen."),
        widget=forms.FileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_idempotency_key(self) -> str:
        return _clean_key(self.cleaned_data["idempotency_key"])
