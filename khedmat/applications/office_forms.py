"""Forms of the back office: the inbox filters (a GET form) and the file page's small forms."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from khedmat.core.parsing import NotANumber, parse_int
from khedmat.core.search import MAX_SEARCH_LENGTH

from .models import DecisionReason
from .search import search_terms
from .selectors.inbox import InboxFilters
from .selectors.office import FilterChoices, person_name
from .services.office import BULK_ASSIGN_MAX, MESSAGE_MAX_LENGTH, NOTE_MAX_LENGTH, BulkItem

if TYPE_CHECKING:
    from khedmat.accounts.models import User

# --- widgets written in Python ---------------------------------------------------------------
# Django renders each widget through the template engine, and a select one template per option:
# the inbox's filters and the file page's forms were a fifth of those pages' CPU. These write
# the same markup as Django's templates (django/forms/widgets/*.html) directly.

def _attributes(attrs: dict[str, Any]) -> str:
    """Django's attrs.html: False leaves an attribute out, True writes its bare name."""
    return "".join("" if value is False else f" {name}" if value is True
                   else f' {name}="{conditional_escape(str(value))}"' for name, value in attrs.items())


def _input(widget: dict[str, Any]) -> SafeString:
    value = "" if widget["value"] is None else f' value="{conditional_escape(str(widget["value"]))}"'
    return mark_safe(  # noqa: S308 (every part escaped above)
        f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
        f'{value}{_attributes(widget["attrs"])}>')


class PlainInputMixin:
    """An input widget rendered without the template engine (same markup)."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        return _input(self.get_context(name, value, attrs)["widget"])  # type: ignore[attr-defined]


class PlainTextInput(PlainInputMixin, forms.TextInput):
    pass


class PlainHiddenInput(PlainInputMixin, forms.HiddenInput):
    pass


class PlainCheckboxInput(PlainInputMixin, forms.CheckboxInput):
    pass


class PlainTextarea(forms.Textarea):
    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        text = conditional_escape(widget["value"]) if widget["value"] else ""
        return mark_safe(  # noqa: S308 (every part escaped)
            f'<textarea name="{conditional_escape(name)}"{_attributes(widget["attrs"])}>\n{text}</textarea>')


class PlainSelect(forms.Select):
    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(name)}"{_attributes(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            parts.extend(f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                         f'{_attributes(option["attrs"])}>{conditional_escape(option["label"])}</option>'
                         for option in options)
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every part escaped)


ASSIGNMENT_CHOICES = [("", _("Anyone or nobody")), ("me", _("Assigned to me")), ("nobody", _("Not assigned"))]
DEADLINE_CHOICES = [("", _("Any deadline")), ("overdue", _("Overdue")), ("soon", _("Due soon (2 working days)"))]


class InboxFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"), required=False, max_length=MAX_SEARCH_LENGTH,
        error_messages={"max_length": _("Search with at most %(limit_value)d characters.")},
        help_text=_("Reference, applicant's name, mobile number or Tazkira number."),
        widget=PlainTextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}))
    service = forms.TypedChoiceField(label=_("Service"), required=False, coerce=int, empty_value=None,
                                     widget=PlainSelect)
    state = forms.ChoiceField(label=_("State"), required=False, widget=PlainSelect)
    assignment = forms.ChoiceField(label=_("Assigned"), required=False, widget=PlainSelect)
    deadline = forms.ChoiceField(label=_("Deadline"), required=False, choices=DEADLINE_CHOICES, widget=PlainSelect)
    closed = forms.BooleanField(label=_("Include closed files"), required=False, widget=PlainCheckboxInput)

    def __init__(self, *args: Any, choices: FilterChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", _("All services")), *choices.services]  # type: ignore[attr-defined]
        self.fields["state"].choices = [("", _("Any state")), *choices.states]  # type: ignore[attr-defined]
        self.fields["assignment"].choices = [  # type: ignore[attr-defined]
            *ASSIGNMENT_CHOICES, *((str(user.pk), person_name(user)) for user in choices.colleagues)]
        if self.is_bound and self.data.get("state") and self.data.get("state") not in dict(choices.states):
            # A state of the service chosen before: the new service's list does not have it.
            data = self.data.copy()  # type: ignore[attr-defined]
            data["state"] = ""
            self.data = data

    def clean_q(self) -> str:
        text = self.cleaned_data.get("q") or ""
        if text.strip() and not search_terms(text):
            raise forms.ValidationError(_("Type at least two letters or digits to search."))
        return text

    def filters(self) -> InboxFilters:
        """The filters asked for; a field with a bad value is left out (and shown as an error)."""
        if not self.is_bound:
            return InboxFilters()
        self.is_valid()
        data = self.cleaned_data
        assignment = data.get("assignment") or ""
        return InboxFilters(
            service_id=data.get("service") or None,
            state=data.get("state") or "",
            assigned_to_me=assignment == "me",
            unassigned=assignment == "nobody",
            assigned_to_id=int(assignment) if assignment.isdecimal() else None,
            overdue=data.get("deadline") == "overdue",
            due_soon=data.get("deadline") == "soon",
            include_closed=bool(data.get("closed")),
            search=search_terms(data.get("q")),
        )


class BulkAssignForm(forms.Form):
    """Several files of the inbox given to one colleague. Each ticked box carries the file and
    whom the officer saw it assigned to, so a file a colleague has just given to someone else
    is reported, not taken from them."""

    ticked = forms.Field(label=_("Files"), required=False, widget=forms.MultipleHiddenInput)
    assignee = forms.TypedChoiceField(label=_("Assign the ticked files to"), coerce=int, empty_value=None,
                                      widget=PlainSelect)

    def __init__(self, *args: Any, colleagues: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The colleagues the inbox has read already: the form costs no query of its own.
        self._colleagues = {user.pk: user for user in colleagues}
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose a colleague")), *((user.pk, person_name(user)) for user in colleagues)]

    def clean_assignee(self) -> User:
        return self._colleagues[self.cleaned_data["assignee"]]

    def clean_ticked(self) -> list[BulkItem]:
        raw = [str(value) for value in self.cleaned_data.get("ticked") or []]
        if not raw:
            raise forms.ValidationError(_("Tick the files to assign."))
        if len(raw) > BULK_ASSIGN_MAX:
            raise forms.ValidationError(_("Assign at most %(count)s files at once.") % {"count": BULK_ASSIGN_MAX})
        items = [bulk_item(value) for value in raw]
        if any(item is None for item in items):
            raise forms.ValidationError(_("Some of the ticked files were not understood. Reload the inbox."))
        return list(dict.fromkeys(item for item in items if item is not None))


def bulk_item(value: str) -> BulkItem | None:
    """"<public id>.<id of the colleague it was assigned to, 0 for nobody>", or None."""
    public_id, _dot, seen = str(value).partition(".")
    try:
        return BulkItem(public_id=uuid.UUID(public_id), seen_assignee_id=parse_int(seen, maximum=2**63 - 1) or None)
    except (ValueError, NotANumber):
        return None


class ActionForm(forms.Form):
    """One workflow step. The page holds one per step, each with the step's name as prefix."""

    expected_state = forms.CharField(widget=PlainHiddenInput)
    reason_code = forms.ChoiceField(label=_("Reason"), required=False, widget=PlainSelect,
                                    choices=[("", _("Choose a reason")), *DecisionReason.choices])
    reason_text = forms.CharField(
        label=_("Explanation"), required=False, max_length=MESSAGE_MAX_LENGTH,
        widget=PlainTextarea(attrs={"rows": 3}),
        help_text=_("The applicant reads the reason and this explanation."),
    )


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Internal note"), max_length=NOTE_MAX_LENGTH,
                           widget=PlainTextarea(attrs={"rows": 3}),
                           help_text=_("Only colleagues of your agency read notes; the applicant never does."))


class MessageForm(forms.Form):
    text = forms.CharField(label=_("Message to the applicant"), max_length=MESSAGE_MAX_LENGTH,
                           widget=PlainTextarea(attrs={"rows": 3}),
                           help_text=_("The applicant reads it on their file and gets an SMS saying so."))


class AssignForm(forms.Form):
    """One colleague for one file. The choices are the colleagues the page has read already
    (a ModelChoiceField read them again, through a server-side cursor)."""

    assignee = forms.TypedChoiceField(label=_("Assign to"), coerce=int, empty_value=None, widget=PlainSelect)

    def __init__(self, *args: Any, colleagues: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._colleagues = {user.pk: user for user in colleagues}
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose a colleague")), *((user.pk, user.full_name or user.username) for user in colleagues)]

    def clean_assignee(self) -> User:
        return self._colleagues[self.cleaned_data["assignee"]]
