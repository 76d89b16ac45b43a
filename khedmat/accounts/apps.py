from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "khedmat.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from khedmat.core import metrics

        from .permissions import metrics_viewer

        # Who may read /metrics besides a scraper with its token (docs/observability.md).
        metrics.set_viewer_check(metrics_viewer)
