"""The rating form: a score from 1 to 5 and, when low, a reason from a short list.

Shared by the ticket's rating link and the counter-side tablet (both in views.py), both
rendered with the include feedback/_rating_form.html.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Rating

SCORES = (
    (1, _("Very bad")),
    (2, _("Bad")),
    (3, _("Fair")),
    (4, _("Good")),
    (5, _("Very good")),
)
# Where the face's mouth bends (SVG control point, the corners being at 21): a frown to a smile.
_MOUTH = {1: 13, 2: 17, 3: 21, 4: 25, 5: 29}


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How was the service?"), coerce=int, choices=SCORES, widget=forms.RadioSelect,
        error_messages={"required": _("Choose how the service was, from 1 to 5.")},
    )
    reason = forms.ChoiceField(
        label=_("What went wrong?"), required=False, choices=Rating.Reason.choices, widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything else you want to tell us (optional)"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        score = cleaned.get("score")
        if score is not None and score <= Rating.REASON_REQUIRED_AT_OR_BELOW and not cleaned.get("reason"):
            self.add_error("reason", _("Tell us what went wrong: choose a reason."))
        return cleaned

    @property
    def asks_reason(self) -> bool:
        """Whether the reasons are shown open (a low score already chosen); otherwise the
        stylesheet opens them when a low score is ticked."""
        if not self.is_bound:
            return False
        try:
            score = int(self.data.get("score", ""))
        except ValueError:
            return False
        return score <= Rating.REASON_REQUIRED_AT_OR_BELOW

    def scores(self) -> list[dict[str, Any]]:
        """The score choices with what the template needs to draw them as faces."""
        chosen = str(self.data.get("score", "")) if self.is_bound else ""
        return [{"value": value, "label": label, "checked": str(value) == chosen, "id": f"id_score_{value}",
                 "mouth": _MOUTH[value]} for value, label in SCORES]

    def reasons(self) -> list[dict[str, Any]]:
        chosen = str(self.data.get("reason", "")) if self.is_bound else ""
        return [{"value": value, "label": label, "checked": value == chosen, "id": f"id_reason_{value}"}
                for value, label in Rating.Reason.choices]
