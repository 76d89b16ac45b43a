"""Turning a definition into what a reader sees: texts in their language, the fee in words."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from khedmat.core.formatting import format_amount, format_number
from khedmat.core.i18n import pick

from .definition import CHANNELS, EXEMPTION_CATEGORIES, fee_range
from .fees import fee_schedule
from .models import Service


@dataclass(frozen=True)
class FeeLine:
    label: str
    amount: str


@dataclass(frozen=True)
class ServiceFacts:
    summary: str
    description: str
    eligibility: str
    documents: list[tuple[str, bool]]
    fee_summary: str
    fee_lines: list[FeeLine]
    exemptions: str
    time_standard: str
    channels: list[tuple[str, str]]


def fee_summary(definition: dict) -> str:
    low, high = fee_range(definition)
    if high == 0:
        return _("Free of charge")
    if low == high:
        return format_amount(low)
    return _("%(low)s to %(high)s") % {"low": format_amount(low), "high": format_amount(high)}


def time_standard(days: int) -> str:
    return ngettext("%(days)s working day", "%(days)s working days", days) % {"days": format_number(days)}


def service_facts(service: Service) -> ServiceFacts:
    version = service.current_version
    assert version is not None, "only published services are shown"
    definition = version.definition
    fee = definition["fee"]
    # The official schedule, as the one fee function (khedmat.catalog.fees) reads it.
    fee_lines = [FeeLine(label=pick(line.option_label, None), amount=format_amount(line.amount))
                 for line in fee_schedule(definition) if line.key]
    return ServiceFacts(
        summary=pick(definition["summary"], None),
        description=pick(definition["description"], None),
        eligibility=pick(definition["eligibility"], None),
        documents=[(pick(d["name"], None), d["required"]) for d in definition["required_documents"]],
        fee_summary=fee_summary(definition),
        fee_lines=fee_lines,
        # Translators: separator between items of a list, e.g. "a, b, c".
        exemptions=_(", ").join(str(EXEMPTION_CATEGORIES[e]) for e in fee["exemptions"]),
        time_standard=time_standard(definition["time_standard_days"]),
        channels=[(c, str(CHANNELS[c])) for c in definition["channels"]],
    )
