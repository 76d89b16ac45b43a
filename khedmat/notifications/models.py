"""Messages to people, kept before they leave (the transactional outbox), and the channels
people use to reach the platform without a browser (inbound SMS, USSD).

A `Message` is written in the transaction of the change it tells about, so it exists exactly
when the change does; workers hand it to a gateway after commit (delivery.py). Its status
follows the well-known model: created → sending → delivered | temporary-failure |
permanent-failure | technical-failure, each change kept in `MessageStatusChange`.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    CREATED = "created", _("Created")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    TEMPORARY_FAILURE = "temporary-failure", _("Temporary failure")
    PERMANENT_FAILURE = "permanent-failure", _("Permanent failure")
    TECHNICAL_FAILURE = "technical-failure", _("Technical failure")


FINAL_STATUSES = (Status.DELIVERED, Status.PERMANENT_FAILURE, Status.TECHNICAL_FAILURE)
FAILED_STATUSES = (Status.TEMPORARY_FAILURE, Status.PERMANENT_FAILURE, Status.TECHNICAL_FAILURE)


class Message(models.Model):
    """One SMS to one number, from the moment the platform decided to send it."""

    to = models.CharField(_("to"), max_length=20)
    body = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=5)
    template = models.CharField(_("template"), max_length=60, help_text=_("The event or purpose it tells about."))
    # What a person searching the outbox types: an application or payment reference, a
    # ticket number, an appointment code.
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("agency"))
    # A one-time code: its text is hidden from everyone, administrators included.
    sensitive = models.BooleanField(default=False)
    # The same on every attempt: gateways that de-duplicate use it, and so does the outbox.
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.CREATED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # Given up on (permanent failure) when still not handed over by then.
    give_up_at = models.DateTimeField()
    # A worker holds the message until then; after it (and a grace period for a receipt that
    # may still prove an earlier hand-over) another worker may take it.
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)

    gateway = models.CharField(_("gateway"), max_length=40, blank=True)
    gateway_reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    handed_over_at = models.DateTimeField(_("handed to the gateway"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted by the network"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)
    status_detail = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            # What workers look for: due messages, oldest first.
            models.Index(fields=["status", "next_attempt_at"], name="message_due"),
            # What the sweep looks for: messages a worker took and never reported on.
            models.Index(fields=["lease_until", "id"], name="message_in_doubt",
                         condition=models.Q(status="sending", handed_over_at__isnull=True)),
            models.Index(fields=["to", "-created_at"], name="message_by_phone"),
            models.Index(fields=["reference"], name="message_by_reference"),
            models.Index(fields=["-created_at"], name="message_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.to} {self.template} ({self.status})"


class MessageStatusChange(models.Model):
    """One step in a message's life: its history on the outbox page."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=20, choices=Status.choices)
    at = models.DateTimeField(default=timezone.now)
    gateway = models.CharField(max_length=40, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.message_id}: {self.status}"


class MessageTemplate(models.Model):
    """An administrator's wording of one message in one language (the default is in the
    code, translated like every other string). An agency's wording wins for its own files."""

    key = models.CharField(_("message"), max_length=60)
    language = models.CharField(_("language"), max_length=5)
    agency = models.ForeignKey("catalog.Agency", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+", verbose_name=_("agency"),
                               help_text=_("Empty: the platform's wording for every agency."))
    body = models.TextField(_("text"))
    max_parts = models.PositiveSmallIntegerField(_("longest, in SMS parts"), default=3)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(fields=["key", "language", "agency"], name="message_template_unique"),
            models.UniqueConstraint(fields=["key", "language"], condition=models.Q(agency__isnull=True),
                                    name="message_template_unique_platform"),
        ]

    def __str__(self) -> str:
        return f"{self.key} [{self.language}]"


class GatewayHealth(models.Model):
    """What the outbox knows of a gateway: failures in a row and receipts, to fail over."""

    name = models.CharField(max_length=40, unique=True)
    failures_in_row = models.PositiveIntegerField(default=0)
    # While set and in the future, the gateway is skipped (it failed too often in a row).
    resting_until = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    last_receipt_at = models.DateTimeField(null=True, blank=True)
    # The first hand-over since the last receipt: receipts that stop arriving show here.
    awaiting_receipt_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class InboundMessage(models.Model):
    """A text a citizen sent to the platform's number, and the answer it got."""

    gateway = models.CharField(max_length=40)
    sender = models.CharField(max_length=20)
    text = models.CharField(max_length=500)
    keyword = models.CharField(max_length=20, blank=True)
    # The gateway's id for the text, when it gives one: the same text sent twice is answered once.
    gateway_reference = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    reply = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("inbound SMS")
        verbose_name_plural = _("inbound SMS")
        constraints = [
            models.UniqueConstraint(fields=["gateway", "gateway_reference"], condition=~models.Q(gateway_reference=""),
                                    name="inbound_sms_once_per_gateway_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.text[:40]}"


class UssdSession(models.Model):
    """One USSD dialogue: the aggregator sends every choice so far; the session keeps the
    language and expires after an idle time."""

    session_id = models.CharField(max_length=100, unique=True)
    phone = models.CharField(max_length=20)
    service_code = models.CharField(max_length=20, blank=True)
    language = models.CharField(max_length=5, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ended = models.BooleanField(default=False)
    # The last request's text and the answer given: a request sent again gets the same answer.
    last_text = models.CharField(max_length=300, blank=True)
    last_reply = models.TextField(blank=True)
    # What the caller typed at each request so far, whole: a text typed where the menu asks for
    # words (a complaint) may hold a "*", which the aggregator's "*"-joined text cannot tell
    # from a new choice.
    inputs = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return self.session_id
