"""The demonstration provider: a page on which an order's reference can be "paid".

For development, tests and demonstrations only: it moves no money, so it acts only with
DEBUG on or PAYMENT_DEMO_ENABLED set (a deployment check warns if it is on in production).
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from khedmat.payments.base import PaymentProvider
from khedmat.payments.models import PaymentOrder


class DemoProvider(PaymentProvider):
    name = "demo"
    label = _("Demonstration payment")

    def is_enabled(self) -> bool:
        return super().is_enabled() and bool(settings.DEBUG or settings.PAYMENT_DEMO_ENABLED)

    def pay_url(self, order: PaymentOrder) -> str:
        return reverse("payments:demo_pay") + f"?reference={order.reference}"

    def instructions(self, order: PaymentOrder) -> str | Promise:
        return _("A demonstration: no money moves. Pressing “Pay” marks the order paid.")


provider = DemoProvider()
