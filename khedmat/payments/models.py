"""Payments: an order for the official fee of one application, the payments made against it,
and the refunds owed when money arrives that the file cannot use."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class PaymentOrder(models.Model):
    """What an applicant owes for one application: amount, reference to pay by, expiry."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for payment")
        PAID = "paid", _("Paid")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    CURRENCY = "AFN"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("payment reference"), max_length=40, unique=True)
    application = models.OneToOneField("applications.Application", on_delete=models.PROTECT,
                                       related_name="payment_order")
    # Indexed with the time (payment_order_by_agency), not alone as well (decision 0047).
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="+", db_index=False)
    amount = models.PositiveIntegerField(_("amount (AFN)"))
    currency = models.CharField(max_length=3, default=CURRENCY)
    # The official fee schedule line applied and any exemption (catalog.fees.FeeAssessment).
    fee_line = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the fee falls due: at once if the workflow waits for payment from the start,
    # otherwise when the file reaches its payment step (services.payment_step_settle).
    expires_at = models.DateTimeField(_("pay by"), null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment order")
        verbose_name_plural = _("payment orders")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_order_amount_positive"),
        ]
        indexes = [models.Index(fields=["agency", "created_at"], name="payment_order_by_agency")]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("payments:order", kwargs={"public_id": self.public_id})


class PaymentReferenceCounter(models.Model):
    """The last payment reference number given per agency and Solar Hijri year (gap-free)."""

    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "year"], name="payment_reference_counter_unique")]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.year}: {self.last_number}"


class Payment(models.Model):
    """Money received for an order, as a provider reported it. One per provider transaction."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="payments")
    plugin = models.CharField(max_length=30)  # the provider plug-in: demo, bank_callback
    provider = models.CharField(_("provider"), max_length=40)  # who took the money: demo, azizi-bank…
    provider_transaction_id = models.CharField(_("provider's transaction"), max_length=100)
    amount = models.PositiveIntegerField(_("amount (AFN)"))
    currency = models.CharField(max_length=3, default=PaymentOrder.CURRENCY)
    received_at = models.DateTimeField(auto_now_add=True)
    # After the order's expiry, or after it was already paid (money to give back).
    late = models.BooleanField(default=False)
    duplicate = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_transaction_id"],
                                    name="payment_provider_transaction"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_transaction_id}"


class PaymentCallbackLog(models.Model):
    """Every notice a provider sent, accepted or refused, as received: the trail to reconcile by."""

    class Outcome(models.TextChoices):
        RECORDED = "recorded", _("Payment recorded")
        REPLAYED = "replayed", _("Already recorded")
        FAILED = "failed", _("Failure noted")
        IGNORED = "ignored", _("Failure after payment ignored")
        BAD_SIGNATURE = "bad_signature", _("Refused: signature")
        STALE = "stale", _("Refused: too old")
        MALFORMED = "malformed", _("Refused: malformed")
        UNKNOWN_REFERENCE = "unknown_reference", _("Refused: unknown reference")
        WRONG_AMOUNT = "wrong_amount", _("Refused: wrong amount")
        REFUND_DUE = "refund_due", _("Recorded: refund due")

    received_at = models.DateTimeField(auto_now_add=True)
    plugin = models.CharField(max_length=30)
    provider = models.CharField(max_length=40)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    http_status = models.PositiveSmallIntegerField()
    reference = models.CharField(max_length=40, blank=True)
    transaction_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, blank=True)
    amount = models.BigIntegerField(null=True, blank=True)
    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    body = models.TextField(blank=True)  # as received, cut at 4000 characters
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [models.Index(fields=["received_at"], name="payment_callback_by_time")]

    def __str__(self) -> str:
        return f"{self.provider} {self.reference} {self.outcome}"


class RefundReferenceCounter(models.Model):
    """The last refund reference number given per agency and Solar Hijri year (gap-free)."""

    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "year"], name="refund_reference_counter_unique")]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.year}: {self.last_number}"


class Refund(models.Model):
    """Money received that the file cannot use, owed back to the applicant: paid for an order
    already cancelled or a file closed before its payment step, or paid twice.

    Opened by the platform when it records such a payment (one refund per payment); paid
    out, or cancelled with a reason, by the agency's administrator (services.refund_pay_out,
    refund_cancel). The payout's own transaction is kept, once, so that one transfer cannot
    settle two refunds.
    """

    class Status(models.TextChoices):
        DUE = "due", _("Due: to be paid back")
        PAID_OUT = "paid_out", _("Paid back")
        CANCELLED = "cancelled", _("Cancelled")

    class Reason(models.TextChoices):
        FILE_CLOSED = "file_closed", _("the application was closed before the fee was used")
        DUPLICATE = "duplicate", _("the fee was paid more than once")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("refund reference"), max_length=40, unique=True)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="refund")
    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="refunds")
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="+")
    amount = models.PositiveIntegerField(_("amount (AFN)"))
    currency = models.CharField(max_length=3, default=PaymentOrder.CURRENCY)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DUE)
    created_at = models.DateTimeField(auto_now_add=True)
    # Paid out: when, by whom, and the transaction that carried the money back.
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    payout_provider = models.CharField(_("paid back through"), max_length=40, blank=True)
    payout_transaction_id = models.CharField(_("payout transaction"), max_length=100, blank=True)
    cancel_reason = models.TextField(_("why cancelled"), blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=~models.Q(status="paid_out") | (~models.Q(payout_provider="")
                                                          & ~models.Q(payout_transaction_id="")),
                name="refund_paid_out_has_payout"),
            models.UniqueConstraint(fields=["payout_provider", "payout_transaction_id"],
                                    condition=models.Q(status="paid_out"), name="refund_payout_transaction"),
        ]
        indexes = [models.Index(fields=["agency", "status", "created_at"], name="refund_by_agency")]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("payments:refund", kwargs={"public_id": self.public_id})
