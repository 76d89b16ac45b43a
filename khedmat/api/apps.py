from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "khedmat.api"
    label = "api"
    verbose_name = _("API")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from khedmat.core import jobs

        from . import webhooks
        from .services import idempotent_answers_prune
        from .webhook_delivery import deliver_webhooks, webhook_deliveries_prune

        webhooks.register()
        jobs.register("api_idempotency_prune", every_seconds=60 * 60, run=idempotent_answers_prune,
                      description="forgets answers kept for Idempotency-Keys past API_IDEMPOTENCY_KEEP_HOURS")
        jobs.register("webhooks_deliver_due", every_seconds=15, run=deliver_webhooks,
                      description="Sends webhooks whose retry is due, and those a lost hand-off or a dead "
                                  "worker left behind.")
        jobs.register("webhooks_prune", every_seconds=60 * 60, run=webhook_deliveries_prune,
                      description="forgets finished webhook deliveries and their tries past WEBHOOK_KEEP_DAYS")
