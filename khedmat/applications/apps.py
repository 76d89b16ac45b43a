from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "khedmat.applications"
    label = "applications"
    verbose_name = _("Applications")

    def ready(self) -> None:
        from khedmat.core import jobs

        from . import subscribers
        from .services import applications_escalate_overdue

        subscribers.register()

        jobs.register("escalate_overdue", every_seconds=60 * 60, run=lambda: len(applications_escalate_overdue()),
                      description="Flag files past their time standard; tell their agency's administrators.")
