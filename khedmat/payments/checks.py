"""A deployment check: the demonstration provider must not take "payments" in production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def demo_provider_enabled(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if "demo" in settings.PAYMENT_PROVIDERS and settings.PAYMENT_DEMO_ENABLED:
        return [Warning("The demo payment provider is enabled: anyone can mark an order paid.",
                        hint="Set PAYMENT_DEMO_ENABLED=false in production.", id="payments.W001")]
    return []
