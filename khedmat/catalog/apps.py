from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "khedmat.catalog"
    label = "catalog"
    verbose_name = _("Service catalog")

    def ready(self) -> None:
        # Public pages, round two (docs/performance.md): a kept page body is dropped when these change.
        from . import fragments
        from .models import Agency, Category, Service, ServiceVersion

        fragments.watch(Agency, Category, Service, ServiceVersion)
