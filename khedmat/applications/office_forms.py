"""Forms of the back office: the inbox filters (a GET form) and the file page's small forms."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth import get_user_model
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

ASSIGNMENT_CHOICES = [("", _("Anyone or nobody")), ("me", _("Assigned to me")), ("nobody", _("Not assigned"))]
DEADLINE_CHOICES = [("", _("Any deadline")), ("overdue", _("Overdue")), ("soon", _("Due soon (2 working days)"))]


class InboxFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"), required=False, max_length=MAX_SEARCH_LENGTH,
        error_messages={"max_length": _("Search with at most %(limit_value)d characters.")},
        help_text=_("Reference, applicant's name, mobile number or Tazkira number."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}))
    service = forms.TypedChoiceField(label=_("Service"), required=False, coerce=int, empty_value=None)
    state = forms.ChoiceField(label=_("State"), required=False)
    assignment = forms.ChoiceField(label=_("Assigned"), required=False)
    deadline = forms.ChoiceField(label=_("Deadline"), required=False, choices=DEADLINE_CHOICES)
    closed = forms.BooleanField(label=_("Include closed files"), required=False)

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
    assignee = forms.TypedChoiceField(label=_("Assign the ticked files to"), coerce=int, empty_value=None)

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

    expected_state = forms.CharField(widget=forms.HiddenInput)
    reason_code = forms.ChoiceField(label=_("Reason"), required=False,
                                    choices=[("", _("Choose a reason")), *DecisionReason.choices])
    reason_text = forms.CharField(
        label=_("Explanation"), required=False, max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The applicant reads the reason and this explanation."),
    )


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Internal note"), max_length=NOTE_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Only colleagues of your agency read notes; the applicant never does."))


class MessageForm(forms.Form):
    text = forms.CharField(label=_("Message to the applicant"), max_length=MESSAGE_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("The applicant reads it on their file and gets an SMS saying so."))


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=get_user_model().objects.none(),
                                      empty_label=_("Choose a colleague"))

    def __init__(self, *args: Any, colleagues: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        field.queryset = get_user_model().objects.filter(pk__in=[c.pk for c in colleagues])  # type: ignore[attr-defined]
        field.label_from_instance = lambda user: user.full_name or user.username  # type: ignore[attr-defined]
