from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "khedmat.documents"
    label = "documents"
    verbose_name = _("Issued documents")

    def ready(self) -> None:
        from . import subscribers

        subscribers.register()
