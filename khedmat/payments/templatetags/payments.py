"""`{% load payments %}`: the payment box on an application's pages, the fee schedule on its form."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from khedmat.catalog.definition import EXEMPTION_CATEGORIES
from khedmat.catalog.fees import fee_schedule

from .. import selectors
from ..base import enabled_providers

register = template.Library()


@register.inclusion_tag("payments/_payment_box.html")
def payment_box(application: Any) -> dict[str, Any]:
    """"Pay now" with the amount and reference, or "Fee paid" with the receipt; any money to
    be paid back."""
    if application is None or getattr(application, "is_draft", True):
        return {"order": None}
    order = selectors.order_for_application(application=application)
    # A pending order has taken no money, so it owes none back: no query for most pages.
    if order is None or order.status == order.Status.PENDING:
        return {"order": order, "refunds": [], "receipt": False}
    refunds = selectors.refunds_of_order(order=order)
    # The fee's receipt is for a payment kept as the fee: not for one owed back because the
    # file closed before using it.
    kept = order.status == order.Status.PAID and not any(r.reason == r.Reason.FILE_CLOSED for r in refunds)
    return {"order": order, "refunds": refunds, "receipt": kept}


@register.inclusion_tag("payments/_fee_schedule.html")
def fee_schedule_box(definition: dict[str, Any]) -> dict[str, Any]:
    """The service's official fee schedule, shown on its form before applying."""
    fee = definition.get("fee") or {}
    return {
        "lines": fee_schedule(definition),
        # Translators: separator between items of a list, e.g. "a, b, c".
        "exemptions": _(", ").join(str(EXEMPTION_CATEGORIES[e]) for e in fee.get("exemptions", [])),
    }


@register.inclusion_tag("payments/_fee_slip.html")
def fee_slip(application: Any) -> dict[str, Any]:
    """What a citizen filed for at a counter must hear before leaving: the fee, the payment
    reference, the date to pay by and the ways to pay (the assisted channel's done page and
    its printed slip). Nothing for a service without a fee."""
    if application is None or getattr(application, "is_draft", True):
        return {"order": None}
    order = selectors.order_for_application(application=application)
    ways = []
    if order is not None and order.status == order.Status.PENDING:
        # How to pay, as each provider in use words it; the demonstration page is online only.
        ways = [(way.label, way.instructions(order)) for way in enabled_providers() if not way.pay_url(order)]
    return {"order": order, "ways": ways}
