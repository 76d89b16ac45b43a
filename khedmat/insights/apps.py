from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "khedmat.insights"
    verbose_name = _("Public performance")

    def ready(self) -> None:
        from . import catalog_sections, services

        services.register_jobs()
        catalog_sections.register()
