from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "khedmat.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from khedmat.core import jobs

        from .services import audit_seal_pending

        jobs.register("audit_seal", every_seconds=60, run=lambda: audit_seal_pending(full=True),
                      description="Seal into the hash chain the events the per-request sealer left.")
