"""Forms of the staff's pages at a center: opening a counter, transferring a ticket, pairing a
screen (the dashboard's are in dashboard_forms)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from khedmat.core.formatting import format_number

from .models import Counter, Device
from .selectors.counters import CounterNumber, ServiceName

if TYPE_CHECKING:
    from khedmat.catalog.models import Service


# A counter's label names this many of its services, then says how many more.
_SERVICES_NAMED = 4


def counter_label(counter: Counter, *, services_offered: int) -> str:
    """"Counter 3 (Women's desk): Passport, Driving licence" in the reader's language."""
    label = gettext("Counter %(number)s") % {"number": format_number(counter.number)}
    if counter.designation != Counter.Designation.GENERAL:
        label = f"{label} ({counter.get_designation_display()})"
    served = [service.name for service in counter.services.all()]
    if not served:
        return label
    if len(served) >= services_offered:
        every = gettext("every service of the center")
        return f"{label}: {every}"
    if len(served) > _SERVICES_NAMED:
        more = len(served) - _SERVICES_NAMED
        rest = ngettext("and %(count)s more service", "and %(count)s more services", more) % {
            "count": format_number(more)}
        return f"{label}: {', '.join(served[:_SERVICES_NAMED])} {rest}"
    return f"{label}: {', '.join(served)}"


class CounterOpenForm(forms.Form):
    counter = forms.TypedChoiceField(label=_("Counter"), coerce=int, widget=forms.RadioSelect,
                                     error_messages={"required": _("Choose the counter you sit at.")})

    def __init__(self, *args: Any, counters: list[Counter], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["counter"]
        assert isinstance(field, forms.ChoiceField)
        offered = counters[0].center.services.count() if counters else 0  # one center: counted once
        field.choices = [(counter.pk, counter_label(counter, services_offered=offered)) for counter in counters]


def transfer_choice_lists(*, services: Sequence[Service | ServiceName],
                          counters: Sequence[Counter | CounterNumber]) -> dict[str, list[tuple[Any, str]]]:
    """The transfer's choices by field name, "the same"/"any" first, in the reader's language."""
    return {
        "service": [("", gettext("The same service"))] + [(service.pk, service.name) for service in services],
        "to_counter": [("", gettext("Any counter serving it"))] + [
            (counter.pk, gettext("Counter %(number)s") % {"number": format_number(counter.number)})
            for counter in counters],
    }


def _html(text: Any) -> str:
    """conditional_escape, without its lazy-string wrapper (a hundred options a load)."""
    return text.__html__() if hasattr(text, "__html__") else html.escape(str(text))


# transfer_options' answers by (language, services, counters): a pure function of its key,
# which holds every name and number it writes, so never stale; bounded (emptied when full).
_OPTIONS: dict[tuple[Any, ...], dict[str, SafeString]] = {}
_OPTIONS_KEPT = 256


def transfer_options(*, services: Sequence[Service | ServiceName],
                     counters: Sequence[Counter | CounterNumber]) -> dict[str, SafeString]:
    """The <option>s of the counter screen's (unbound) transfer form, by field name, the first
    selected: the markup Django's widgets write, without building the form or running the
    widgets' templates (one per option: a third of the screen's time) on every load; joined
    as plain strings (format_html per option was still a tenth of the screen's time). The
    screen's names and numbers (ServiceName, CounterNumber: values) are written once per
    process and language (a tenth of the screen's time again)."""
    if not all(isinstance(item, ServiceName | CounterNumber) for item in (*services, *counters)):
        return _transfer_options(services=services, counters=counters)
    key = (get_language(), tuple(services), tuple(counters))
    found = _OPTIONS.get(key)
    if found is None:
        if len(_OPTIONS) >= _OPTIONS_KEPT:
            _OPTIONS.clear()
        found = _OPTIONS[key] = _transfer_options(services=services, counters=counters)
    return found


def _transfer_options(*, services: Sequence[Service | ServiceName],
                      counters: Sequence[Counter | CounterNumber]) -> dict[str, SafeString]:
    return {name: mark_safe("".join(  # noqa: S308 - every value and label escaped by _html
        f'<option value="{_html(value)}"{" selected" if index == 0 else ""}>{_html(label)}</option>'
        for index, (value, label) in enumerate(choices)))
        for name, choices in transfer_choice_lists(services=services, counters=counters).items()}


class TransferForm(forms.Form):
    """Send the ticket to another service, to one counter, or both (at least one)."""

    service = forms.TypedChoiceField(label=_("To the service"), coerce=int, required=False, empty_value=None)
    to_counter = forms.TypedChoiceField(label=_("To the counter"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, services: Sequence[Service | ServiceName],
                 counters: Sequence[Counter | CounterNumber], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.services = {service.pk: service for service in services}
        self.counters = {counter.pk: counter for counter in counters}
        service_field, counter_field = self.fields["service"], self.fields["to_counter"]
        assert isinstance(service_field, forms.ChoiceField) and isinstance(counter_field, forms.ChoiceField)
        choices = transfer_choice_lists(services=services, counters=counters)
        service_field.choices = choices["service"]
        counter_field.choices = choices["to_counter"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        service_id, counter_id = cleaned.get("service"), cleaned.get("to_counter")
        cleaned["service"] = self.services.get(service_id) if service_id is not None else None
        cleaned["to_counter"] = self.counters.get(counter_id) if counter_id is not None else None
        if cleaned["service"] is None and cleaned["to_counter"] is None and not self.errors:
            raise forms.ValidationError(gettext("Choose the service or the counter to send the ticket to."),
                                        code="no_target")
        return cleaned


class DeviceAddForm(forms.Form):
    """A new screen of the hall: what it is for, a name saying where it stands, and for a
    rating tablet the counter it faces the citizen at."""

    kind = forms.ChoiceField(label=_("The screen is"), choices=Device.Kind.choices, widget=forms.RadioSelect,
                             initial=Device.Kind.KIOSK,
                             error_messages={"required": _("Choose what the screen is for.")})
    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("Where it stands, e.g. Kiosk by the entrance"),
                           error_messages={"required": _("Give the screen a name.")})
    counter = forms.TypedChoiceField(label=_("Counter (for a rating tablet)"), coerce=int, required=False,
                                     empty_value=None)

    def __init__(self, *args: Any, counters: list[Counter], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counters = {counter.pk: counter for counter in counters}
        field = self.fields["counter"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", gettext("No counter (a kiosk)"))] + [
            (counter.pk, gettext("Counter %(number)s") % {"number": format_number(counter.number)})
            for counter in counters]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        counter_id = cleaned.get("counter")
        cleaned["counter"] = self.counters.get(counter_id) if counter_id is not None else None
        if cleaned.get("kind") == Device.Kind.RATING_TABLET and cleaned["counter"] is None and not self.errors:
            self.add_error("counter", gettext("Choose the counter the tablet faces the citizen at."))
        return cleaned
