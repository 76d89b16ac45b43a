from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "khedmat.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from khedmat.core import jobs, metrics

        from . import complaint_notices, notices
        from .delivery import deliver_messages
        from .metrics import collect_outbox

        notices.register()
        complaint_notices.register()
        metrics.register_collector("outbox", collect_outbox)
        jobs.register("deliver_due", every_seconds=15, run=lambda: deliver_messages().as_dict(),
                      description="Send what the outbox holds: retries when due, and messages a lost "
                                  "hand-off or a dead worker left behind.")
