from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "khedmat.complaints"
    label = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from khedmat.catalog import sections
        from khedmat.core import jobs

        from .services import complaints_close_unreopened, complaints_escalate

        sections.register(page=sections.SERVICE, template_name="complaints/catalog/service_complain.html",
                          provider=lambda *, service: {"service": service})
        jobs.register("complaints_escalate", every_seconds=60 * 60, run=lambda: len(complaints_escalate()),
                      description="Climb the complaints' escalation ladder: supervisor at half the time "
                                  "standard, agency head when it is spent, the ombudsman desk beyond; once each.")
        jobs.register("complaints_close", every_seconds=6 * 60 * 60, run=lambda: len(complaints_close_unreopened()),
                      description="Close answered complaints whose time to reopen has passed.")
