from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "khedmat.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from khedmat.core import jobs

        from . import checks  # noqa: F401 (registers the deployment check of the database roles)
        from .services import audit_checkpoint_create, audit_seal_pending

        jobs.register("audit_seal", every_seconds=60, run=lambda: audit_seal_pending(full=True),
                      description="Seal into the hash chain the events the per-request sealer left.")
        jobs.register("audit_checkpoint", every_seconds=settings.AUDIT_CHECKPOINT_EVERY_SECONDS,
                      run=audit_checkpoint_create,
                      description="Sign and publish a checkpoint of the audit trail's head (docs/audit.md).")
