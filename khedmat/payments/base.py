"""The payment-provider plug-in interface and its registry.

A provider lives in `khedmat/payments/contrib/<name>/provider.py` and exposes `provider`, an
instance of a `PaymentProvider` subclass. `settings.PAYMENT_PROVIDERS` lists those in use.
Providers report payments through `services.payment_notice_receive`, the one way money is
recorded, so every provider gets the same checks (amount, replay, order state).
"""

from __future__ import annotations

import importlib

from django.conf import settings
from django.utils.functional import Promise

from .models import PaymentOrder


class PaymentProvider:
    """A way to pay: a bank, a mobile-money operator, the demonstration page."""

    name: str = ""
    label: str | Promise = ""

    def is_enabled(self) -> bool:
        return self.name in settings.PAYMENT_PROVIDERS

    def pay_url(self, order: PaymentOrder) -> str:
        """Where the applicant goes to pay this order online ("" when paid elsewhere)."""
        return ""

    def instructions(self, order: PaymentOrder) -> str | Promise:
        """What the applicant is told to do to pay (already in their language)."""
        return ""


def provider(name: str) -> PaymentProvider:
    """The provider plug-in called `name` (ImportError for one that does not exist)."""
    if not name.isidentifier():
        raise ImportError(name)
    module = importlib.import_module(f"khedmat.payments.contrib.{name}.provider")
    found: PaymentProvider = module.provider
    return found


def enabled_providers() -> list[PaymentProvider]:
    """The providers in use, in the order the settings list them."""
    found = [provider(name) for name in settings.PAYMENT_PROVIDERS]
    return [p for p in found if p.is_enabled()]
