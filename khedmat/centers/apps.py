from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CentersConfig(AppConfig):
    name = "khedmat.centers"
    label = "centers"
    verbose_name = _("Service centers")

    def ready(self) -> None:
        from khedmat.catalog.definition import register_publish_check
        from khedmat.core import jobs, metrics

        from . import board_cache, catalog_sections
        from .definition_checks import handover_centers_exist
        from .metrics import collect_queue
        from .services import appointments_lapse, appointments_remind

        catalog_sections.register()
        board_cache.register()
        register_publish_check(handover_centers_exist)
        metrics.register_collector("queue", collect_queue)

        jobs.register("lapse_appointments", every_seconds=5 * 60, run=appointments_lapse,
                      description="Lapse bookings whose check-in window has closed.")
        jobs.register("appointment_reminders", every_seconds=60 * 60, run=appointments_remind,
                      description="Remind, by SMS and once, everyone booked for tomorrow.")
