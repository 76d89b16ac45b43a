"""The official fee: the one function that says what an applicant owes, and the schedule it reads.

Pure, no database. Everything comes from a service version's definition (its `fee` part,
docs/service-definitions.md) and the applicant's answers, so the catalog page, the form, the
payment order and the receipt all show the same line and the same amount.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import translation

from khedmat.core.errors import Refusal
from khedmat.core.i18n import pick

from .definition import EXEMPTION_CATEGORIES, LANGUAGES


class FeeError(Refusal):
    """The fee cannot be told from these answers (the choice that sets it is missing)."""


@dataclass(frozen=True)
class FeeLine:
    """One line of a service's official fee schedule."""

    key: str  # the choice it applies to ("5", "car"); "" for a fixed fee
    label: dict[str, str]  # the whole line in en, fa and ps: "Passport … — 5 years"
    amount: int  # whole afghani
    option_label: dict[str, str] = field(default_factory=dict)  # the choice alone: "5 years"

    @property
    def display_label(self) -> str:
        return pick(self.label, None)

    @property
    def option_display(self) -> str:
        return pick(self.option_label, None)


@dataclass(frozen=True)
class FeeAssessment:
    """What one applicant owes, and why: the schedule line applied and any exemption."""

    amount: int
    line: FeeLine | None  # None when the service is free
    exemption: str = ""  # an exemption category code, when the applicant is exempt
    exemption_label: dict[str, str] = field(default_factory=dict)

    @property
    def schedule_amount(self) -> int:
        """The line's official amount before any exemption."""
        return self.line.amount if self.line is not None else 0

    def as_record(self) -> dict[str, Any]:
        """The assessment as JSON, kept on a payment order and printed on its receipt."""
        return {
            "key": self.line.key if self.line else "",
            "label": dict(self.line.label) if self.line else {},
            "schedule_amount": self.schedule_amount,
            "exemption": self.exemption,
            "exemption_label": dict(self.exemption_label),
            "amount": self.amount,
        }


def fee_schedule(definition: dict[str, Any]) -> list[FeeLine]:
    """The official schedule of a service: one line per choice, one line for a fixed fee,
    none for a free service."""
    fee = definition["fee"]
    name = definition["name"]
    if fee["kind"] == "fixed":
        return [FeeLine(key="", label={lang: name[lang] for lang in LANGUAGES}, amount=fee["amount"])]
    if fee["kind"] != "by_option":
        return []
    field_schema = definition["form"]["properties"][fee["option_field"]]
    titles = field_schema.get("x-enum-titles", {})
    lines = []
    for key, amount in fee["options"].items():
        if key in titles:
            option = {lang: titles[key][lang] for lang in LANGUAGES}
        else:
            field_titles = {"en": field_schema["title"], **field_schema["x-title"]}
            option = {lang: f"{field_titles[lang]}: {key}" for lang in LANGUAGES}
        label = {lang: f"{name[lang]} — {option[lang]}" for lang in LANGUAGES}
        lines.append(FeeLine(key=str(key), label=label, amount=amount, option_label=option))
    return lines


def fee_for(definition: dict[str, Any], answers: dict[str, Any]) -> FeeAssessment:
    """The fee an applicant with these answers owes under this definition, in whole AFN.

    A fixed fee, or the line of the choice made in `fee.option_field`; nothing if the
    service is free, or if the answer to `fee.exemption_field` is one of `fee.exemptions`.
    """
    fee = definition["fee"]
    schedule = fee_schedule(definition)
    if fee["kind"] == "free":
        return FeeAssessment(amount=0, line=None)
    if fee["kind"] == "fixed":
        line = schedule[0]
    else:
        choice = answers.get(fee["option_field"])
        matching = [candidate for candidate in schedule if choice is not None and candidate.key == str(choice)]
        if not matching:
            raise FeeError(translation.gettext("Choose the option that sets the fee."), code="fee_option_missing")
        line = matching[0]
    exemption_field = fee.get("exemption_field")
    claimed = answers.get(exemption_field) if exemption_field else None
    if isinstance(claimed, str) and claimed in fee.get("exemptions", []):
        return FeeAssessment(amount=0, line=line, exemption=claimed, exemption_label=exemption_labels(claimed))
    return FeeAssessment(amount=line.amount, line=line)


def exemption_labels(code: str) -> dict[str, str]:
    """An exemption category's name in the three languages."""
    labels = {}
    for language in LANGUAGES:
        with translation.override(language):
            labels[language] = str(EXEMPTION_CATEGORIES[code])
    return labels
