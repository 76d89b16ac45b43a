"""Messages sent to people. Every SMS is recorded before it is handed to a gateway."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SmsMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    to = models.CharField(_("to"), max_length=20, db_index=True)
    body = models.TextField(_("text"))
    purpose = models.CharField(_("purpose"), max_length=40)
    backend = models.CharField(_("backend"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS messages")

    def __str__(self) -> str:
        return f"{self.to}: {self.body[:40]}"
