"""Events the payments app publishes (khedmat.core.events)."""

from __future__ import annotations

from dataclasses import dataclass

from khedmat.core.events import DomainEvent, declare

from .models import Payment, PaymentOrder


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
    """Money for an order was recorded (once per provider transaction)."""

    name = "payment.received"
    order: PaymentOrder
    payment: Payment
