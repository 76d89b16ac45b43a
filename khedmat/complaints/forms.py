"""The complaint forms: filing on the web, the look-up, the complainant's and staff's actions."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khedmat.accounts.phone import normalize_mobile_number
from khedmat.applications.uploads import ACCEPT_ATTRIBUTE
from khedmat.core.formatting import PHONE_EXAMPLE, isolate_ltr, with_example

from .models import Complaint
from .references import normalize_reference, reference_is_well_formed
from .services import DESCRIPTION_MAX

COMPLAINT_EXAMPLE = "C-1405-000123"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def new_form_token() -> str:
    """A fresh one-time key, put in a hidden field each time the form is shown."""
    return secrets.token_urlsafe(24)


def form_token(post: Mapping[str, Any]) -> str | None:
    token = str(post.get("form_token", ""))
    return token if _TOKEN.match(token) else None


class PhoneField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel",
                                                          "dir": "ltr"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        return normalize_mobile_number(text) if text else text


class ComplaintForm(forms.Form):
    about = forms.ChoiceField(label=gettext_lazy("What is the complaint about?"), choices=Complaint.About.choices,
                              widget=forms.RadioSelect)
    service = forms.ChoiceField(label=gettext_lazy("Service"), required=False,
                                help_text=gettext_lazy("The service it concerns, if any."))
    center = forms.ChoiceField(label=gettext_lazy("Service center"), required=False,
                               help_text=gettext_lazy("The center where it happened, if any."))
    category = forms.ChoiceField(label=gettext_lazy("What went wrong?"),
                                 choices=[("", "—"), *Complaint.Category.choices])
    description = forms.CharField(
        label=gettext_lazy("Tell us what happened"), max_length=DESCRIPTION_MAX,
        help_text=gettext_lazy("When and where, and who was involved if you know (a name, a counter number). "
                               "Do not write passwords or codes."),
        widget=forms.Textarea(attrs={"rows": 6}))
    phone = PhoneField(
        label=gettext_lazy("Mobile number for the answer"),
        help_text=with_example(gettext_lazy("We send the answer and every step by SMS, for example %(example)s."),
                               PHONE_EXAMPLE))
    anonymous = forms.BooleanField(
        label=gettext_lazy("Keep my name from the agency"), required=False,
        help_text=gettext_lazy("The agency sees the complaint but not who you are; the answer comes by SMS."))

    def __init__(self, *args: Any, services: list[tuple[str, str]], centers: list[tuple[str, str]],
                 with_application: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choice_field("service").choices = [("", "—"), *services]
        self._choice_field("center").choices = [("", "—"), *centers]
        if not with_application:
            self._choice_field("about").choices = [choice for choice in Complaint.About.choices
                                            if choice[0] != Complaint.About.APPLICATION]

    def _choice_field(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        about = data.get("about")
        if about == Complaint.About.SERVICE and not data.get("service"):
            self.add_error("service", _("Choose the service the complaint is about."))
        if about == Complaint.About.CENTER and not data.get("center"):
            self.add_error("center", _("Choose the service center the complaint is about."))
        if about == Complaint.About.STAFF and not (data.get("service") or data.get("center")):
            self.add_error("center", _("Say where this happened: a service or a service center."))
        return data


class LookupForm(forms.Form):
    reference = forms.CharField(
        label=gettext_lazy("Complaint reference"), max_length=40,
        help_text=with_example(gettext_lazy("As in the SMS we sent, for example %(example)s."), COMPLAINT_EXAMPLE),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "dir": "ltr"}))
    phone = PhoneField(label=gettext_lazy("Mobile number"),
                       help_text=with_example(gettext_lazy("The number the complaint was filed with, for example "
                                                           "%(example)s."), PHONE_EXAMPLE))

    def clean_reference(self) -> str:
        text = normalize_reference(self.cleaned_data["reference"])
        if not reference_is_well_formed(text):
            raise ValidationError(_("Enter the reference as in the SMS, for example %(example)s.") % {
                "example": isolate_ltr(COMPLAINT_EXAMPLE)})
        return text


class StepForm(forms.Form):
    """One workflow step, with the state the person saw and the words it needs."""

    step = forms.CharField(max_length=40)
    expected_state = forms.CharField(max_length=20)
    text = forms.CharField(label=gettext_lazy("Your words"), required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 4}))


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(label=gettext_lazy("How good was the answer?"), coerce=int,
                                    choices=[(n, str(n)) for n in range(1, 6)], widget=forms.RadioSelect)


__all__ = ["ACCEPT_ATTRIBUTE", "ComplaintForm", "LookupForm", "RatingForm", "StepForm", "form_token",
           "new_form_token"]
