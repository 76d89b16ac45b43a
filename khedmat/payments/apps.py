from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "khedmat.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from khedmat.core import jobs

        from . import (
            checks,  # noqa: F401 (registers the deployment check)
            subscribers,
        )
        from .services import payment_orders_update

        subscribers.register()
        jobs.register("payments_update", every_seconds=5 * 60, run=payment_orders_update,
                      description="Move on paid files, date orders that fell due, expire unpaid ones.")
