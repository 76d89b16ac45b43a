"""Forms of the complaint an operator files for someone at a centre."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from khedmat.accounts.phone import normalize_mobile_number
from khedmat.applications.selectors import citizen as application_selectors
from khedmat.core.formatting import PHONE_EXAMPLE, format_number, isolate_ltr, western_digits, with_example
from khedmat.core.parsing import NotANumber, digit_string

from .models import Complaint
from .services import DESCRIPTION_MAX, DESCRIPTION_MIN

_TOKEN = re.compile(r"^[A-Za-z0-9]{16,64}$")
_APPLICATION_REFERENCE = re.compile(r"^[A-Z]{2,6}-[A-Z]{2,6}-\d{4}-\d{6}$")
LANGUAGE_NAMES = {"fa": _("Dari"), "ps": _("Pashto"), "en": _("English")}
APPLICATION_EXAMPLE = "MOI-PSP-1405-000123"


def well_formed_token(value: str) -> bool:
    return bool(_TOKEN.match(value or ""))


def application_reference(text: str) -> str:
    """A reference as typed (spaces, lower case, Eastern digits, other dashes) as it is stored."""
    compact = re.sub(r"[\s\u2010-\u2015_]+", "-", western_digits(text or "").strip().upper())
    return re.sub(r"-{2,}", "-", compact).strip("-")


class AssistedComplaintForm(forms.Form):
    phone_number = forms.CharField(
        label=_("Complainant's mobile number"), max_length=32,
        help_text=with_example(_("Their own phone: the consent code and the answer are sent to it. "
                                 "Example: %(example)s."), PHONE_EXAMPLE),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off", "dir": "ltr",
                                      "class": "input"}))
    language = forms.ChoiceField(label=_("Language the complainant reads"), initial="fa",
                                 help_text=_("The consent code, the answer and every step are sent in it."))
    about = forms.ChoiceField(label=_("What is the complaint about?"), choices=Complaint.About.choices,
                              widget=forms.RadioSelect, initial=Complaint.About.SERVICE)
    service = forms.TypedChoiceField(label=_("Service"), coerce=int, required=False, empty_value=None,
                                     help_text=_("For a complaint about a service."))
    center = forms.TypedChoiceField(label=_("Service center"), coerce=int, required=False, empty_value=None,
                                    help_text=_("Where it happened, for a complaint about a center or its staff."))
    application_reference = forms.CharField(
        label=_("Application reference"), max_length=40, required=False,
        help_text=with_example(_("For a complaint about one of the complainant's applications, for example "
                                 "%(example)s."), APPLICATION_EXAMPLE),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "dir": "ltr"}))
    category = forms.ChoiceField(label=_("What went wrong?"), choices=[("", "—"), *Complaint.Category.choices])
    description = forms.CharField(
        label=_("What happened, in the complainant's words"), min_length=DESCRIPTION_MIN, max_length=DESCRIPTION_MAX,
        help_text=_("When and where, and who was involved if they know. Read it back to them before you go on."),
        widget=forms.Textarea(attrs={"rows": 6}))
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, services: list[Any], centers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.services = {service.pk: service for service in services}
        self.centers = {center.pk: center for center in centers}
        self._set_choices("service", [("", gettext("Choose a service"))] + [
            (service.pk, f"{service.name} — {service.agency.name}") for service in services])
        self._set_choices("center", [("", "—")] + [(center.pk, center.name) for center in centers])
        self._set_choices("language", [(code, LANGUAGE_NAMES.get(code, name)) for code, name in settings.LANGUAGES])

    def _set_choices(self, name: str, choices: list[tuple[Any, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean_phone_number(self) -> str:
        return normalize_mobile_number(self.cleaned_data["phone_number"])

    def clean_description(self) -> str:
        return self.cleaned_data["description"].strip()

    def clean_form_token(self) -> str:
        token = self.cleaned_data["form_token"]
        if not well_formed_token(token):
            raise forms.ValidationError(gettext("This page is out of date. Reload it and try again."), code="stale")
        return token

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        about = data.get("about")
        service_id, center_id = data.get("service"), data.get("center")
        data["service"] = self.services.get(service_id) if service_id is not None else None
        data["center"] = self.centers.get(center_id) if center_id is not None else None
        data["application"] = None
        if about == Complaint.About.SERVICE and data["service"] is None:
            self.add_error("service", gettext("Choose the service the complaint is about."))
        if about in (Complaint.About.CENTER, Complaint.About.STAFF) and data["center"] is None:
            self.add_error("center", gettext("Choose the service center the complaint is about."))
        if about == Complaint.About.APPLICATION:
            self._clean_application(data)
        return data

    def _clean_application(self, data: dict[str, Any]) -> None:
        reference = application_reference(data.get("application_reference", ""))
        phone = data.get("phone_number")
        if not _APPLICATION_REFERENCE.match(reference):
            self.add_error("application_reference", gettext(
                "Enter the reference as written on the receipt, for example %(example)s.") % {
                    "example": isolate_ltr(APPLICATION_EXAMPLE)})
            return
        # Only a file sent from the complainant's own number: anyone else's is "not found", the same words.
        application = application_selectors.application_for_phone(reference=reference, phone_number=phone) \
            if phone else None
        if application is None:
            self.add_error("application_reference", gettext(
                "No application with this reference was sent from this mobile number."))
            return
        data["application"] = application
        data["service"] = None


class ConsentCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code the complainant received by SMS"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false",
                                      "autocapitalize": "off", "dir": "ltr", "class": "input input--code"}))

    def clean_code(self) -> str:
        length = settings.PHONE_CODE_LENGTH
        try:
            return digit_string(self.cleaned_data["code"], lengths=(length,))
        except NotANumber:
            raise forms.ValidationError(
                gettext("Enter the code: %(length)s digits.") % {"length": format_number(length)},
                code="invalid") from None
