"""The audit trail: an append-only record of changes and of every look at a person's file.

Events are inserted cheaply by the request that causes them (no shared row is locked);
a sealer then links them, in order, into a hash chain by inserting one `AuditSeal` per event.
Neither table is ever updated or deleted from: on PostgreSQL a trigger refuses it, and the
application's database role should have no UPDATE/DELETE grant (docs/audit.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(_("time (UTC)"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"))
    actor_role = models.CharField(_("actor's role"), max_length=20, blank=True)
    actor_agency_code = models.CharField(_("actor's agency"), max_length=10, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    target_type = models.CharField(_("target type"), max_length=80)
    target_id = models.CharField(_("target"), max_length=80)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("person concerned"),
        help_text=_("Whose file this event touched: they can see it on their own file."),
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["subject", "occurred_at"], name="audit_event_subject_time"),
            models.Index(fields=["target_type", "target_id"], name="audit_event_target"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.target_type}:{self.target_id}"


class AuditSeal(models.Model):
    """An event's place in the chain: its sequence number and the hash linking it to the one before."""

    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="seal")
    sequence = models.PositiveBigIntegerField(unique=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    sealed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sequence"]
        verbose_name = _("audit seal")
        verbose_name_plural = _("audit seals")

    def __str__(self) -> str:
        return f"seal {self.sequence} of event {self.event_id}"
