"""API keys of agencies and payment operators, the answers kept for idempotency keys, and
webhooks: an agency's subscriptions, the outbox of deliveries, and the log of attempts."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    READ = "read", _("Read files")
    ACT = "act", _("Act on files")
    PAY = "pay", _("Send payment notices")
    WEBHOOKS = "webhooks", _("Manage webhooks")


class ApiKey(models.Model):
    """A key an agency's system calls the API with. Only `prefix` and the SHA-256 of the secret
    are stored: the key is shown once. It acts as its own system account (`user`), of the
    agency, in the workflow role the administrator chose (docs/decisions/0040)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    name = models.CharField(_("name"), max_length=100)
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="+")
    services = models.ManyToManyField("catalog.Service", blank=True, related_name="+",
                                      help_text=_("None chosen: every service of the agency."))
    scopes = models.JSONField(default=list)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_key")
    payment_operator = models.CharField(max_length=40, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def scope_labels(self) -> list[str]:
        """What the key may do, in the reader's language."""
        return [str(Scope(scope).label) for scope in self.scopes if scope in Scope.values]


class IdempotentAnswer(models.Model):
    """The answer given to a POST with an `Idempotency-Key`, replayed to the same key and body."""

    owner = models.CharField(max_length=64)  # "key:<prefix>" or "ip:<address>" for public POSTs
    key = models.CharField(max_length=200)
    body_sha256 = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="api_idempotent_answer_unique")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"


class EventType(models.TextChoices):
    """The events an agency may subscribe to; names and payloads are a promise (docs/api.md)."""

    APPLICATION_SUBMITTED = "application.submitted", _("A file was sent")
    APPLICATION_TRANSITIONED = "application.transitioned", _("A file moved to another state")
    APPLICATION_PAID = "application.paid", _("A file's fee was paid")
    DOCUMENT_ISSUED = "document.issued", _("A document was issued")
    DOCUMENT_REVOKED = "document.revoked", _("A document was revoked")
    WEBHOOK_TEST = "webhook.test", _("Test event")

    @classmethod
    def subscribable(cls) -> list[str]:
        return [value for value in cls.values if value != cls.WEBHOOK_TEST]


class WebhookSubscription(models.Model):
    """An agency's URL that hears of events of its services (docs/decisions/0041). The signing
    secret (Standard Webhooks form, `whsec_<base64>`) is kept to sign with and shown once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="+")
    url = models.CharField(_("address"), max_length=500)
    event_types = models.JSONField(default=list)
    services = models.ManyToManyField("catalog.Service", blank=True, related_name="+",
                                      help_text=_("None chosen: every service of the agency."))
    secret = models.CharField(max_length=100)
    # The one-time token of the form that made it: a double post makes one subscription.
    creation_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True, default="")
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["agency", "disabled_at"], name="webhook_subscription_live")]

    def __str__(self) -> str:
        return self.url

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    @property
    def event_labels(self) -> list[str]:
        """The events it hears of, in the reader's language."""
        return [str(EventType(value).label) for value in self.event_types if value in EventType.values]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Gave up")
    CANCELLED = "cancelled", _("Stopped")


class WebhookDelivery(models.Model):
    """One event for one subscription: the outbox row, written in the transaction of the
    change. `message_id` is the `webhook-id` header, the same on every retry."""

    message_id = models.CharField(max_length=40, unique=True)
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=60)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True, default="")
    give_up_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at", "id"], name="webhook_delivery_due"),
            models.Index(fields=["subscription", "created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.event_type} ({self.status})"

    @property
    def event_label(self) -> str:
        return str(EventType(self.event_type).label) if self.event_type in EventType.values else self.event_type


class WebhookAttempt(models.Model):
    """One try of a delivery, for the log the agency reads: what its server answered."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True, default="")
    response_excerpt = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.at}: {self.status_code or self.error}"
