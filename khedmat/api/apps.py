from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "khedmat.api"
    label = "api"
    verbose_name = _("API")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from khedmat.core import jobs

        from .services import idempotent_answers_prune

        jobs.register("api_idempotency_prune", every_seconds=60 * 60, run=idempotent_answers_prune,
                      description="forgets answers kept for Idempotency-Keys past API_IDEMPOTENCY_KEEP_HOURS")
