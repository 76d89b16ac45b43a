"""Forms of the back office: the inbox filters (a GET form) and the file page's small forms."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import DecisionReason
from .selectors.inbox import InboxFilters
from .selectors.office import FilterChoices
from .services.office import MESSAGE_MAX_LENGTH, NOTE_MAX_LENGTH

if TYPE_CHECKING:
    from khedmat.accounts.models import User

ASSIGNMENT_CHOICES = [("", _("Anyone or nobody")), ("me", _("Assigned to me")), ("nobody", _("Not assigned"))]
DEADLINE_CHOICES = [("", _("Any deadline")), ("overdue", _("Overdue")), ("soon", _("Due soon (2 working days)"))]


class InboxFilterForm(forms.Form):
    service = forms.TypedChoiceField(label=_("Service"), required=False, coerce=int, empty_value=None)
    state = forms.ChoiceField(label=_("State"), required=False)
    assignment = forms.ChoiceField(label=_("Assigned"), required=False, choices=ASSIGNMENT_CHOICES)
    deadline = forms.ChoiceField(label=_("Deadline"), required=False, choices=DEADLINE_CHOICES)
    closed = forms.BooleanField(label=_("Include closed files"), required=False)

    def __init__(self, *args: Any, choices: FilterChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", _("All services")), *choices.services]  # type: ignore[attr-defined]
        self.fields["state"].choices = [("", _("Any state")), *choices.states]  # type: ignore[attr-defined]

    def filters(self) -> InboxFilters:
        """The filters asked for; a field with a bad value is left out (and shown as an error)."""
        if not self.is_bound:
            return InboxFilters()
        self.is_valid()
        data = self.cleaned_data
        return InboxFilters(
            service_id=data.get("service") or None,
            state=data.get("state") or "",
            assigned_to_me=data.get("assignment") == "me",
            unassigned=data.get("assignment") == "nobody",
            overdue=data.get("deadline") == "overdue",
            due_soon=data.get("deadline") == "soon",
            include_closed=bool(data.get("closed")),
        )


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
