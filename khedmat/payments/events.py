"""Events the payments app publishes (khedmat.core.events)."""

from __future__ import annotations

from dataclasses import dataclass

from khedmat.core.events import DomainEvent, declare

from .models import Payment, PaymentOrder, Refund


@declare
@dataclass(frozen=True, kw_only=True)
class PaymentOrderDue(DomainEvent):
    """A file reached its payment step after it was sent: the fee must now be paid by
    `order.expires_at`. (A fee due at once is told with the submission.)"""

    name = "payment.order_due"
    order: PaymentOrder


@declare
@dataclass(frozen=True, kw_only=True)
class PaymentReceived(DomainEvent):
    """Money for an order was recorded and settles it (once per order; a payment the file
    cannot use opens a refund instead, PaymentRefundDue)."""

    name = "payment.received"
    order: PaymentOrder
    payment: Payment


@declare
@dataclass(frozen=True, kw_only=True)
class PaymentRefundDue(DomainEvent):
    """Money was received that the file cannot use (its order cancelled, the file closed, the
    fee already paid): the applicant is told it will be paid back, with the refund's reference."""

    name = "payment.refund_due"
    refund: Refund


@declare
@dataclass(frozen=True, kw_only=True)
class PaymentRefundPaidOut(DomainEvent):
    """The agency paid a refund back; the applicant is told how."""

    name = "payment.refund_paid_out"
    refund: Refund


@declare
@dataclass(frozen=True, kw_only=True)
class PaymentRefundCancelled(DomainEvent):
    """The agency cancelled a refund (the bank reversed the payment itself, say); the applicant
    is told why, so that a refund never disappears unheard."""

    name = "payment.refund_cancelled"
    refund: Refund
