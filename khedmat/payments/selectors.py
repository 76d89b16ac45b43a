"""Reads on payments: an application's order, an order for its page, and the daily reconciliation."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khedmat.applications.workflow import Workflow

from .models import Payment, PaymentCallbackLog, PaymentOrder

if TYPE_CHECKING:
    from khedmat.catalog.models import Agency

PAY_STEP = "record_payment"  # the workflow step the platform takes when the fee is paid


def order_for_application(*, application: Any) -> PaymentOrder | None:
    return PaymentOrder.objects.filter(application=application).first()


def order_of(application: Any) -> PaymentOrder | None:
    """The file's order through the file itself: an order just opened on this very instance
    is known without a query (and knows its file)."""
    try:
        order: PaymentOrder = application.payment_order
    except PaymentOrder.DoesNotExist:
        return None
    return order


def order_get(*, public_id: Any) -> PaymentOrder | None:
    return (PaymentOrder.objects.select_related("application__applicant", "application__service_version", "agency")
            .filter(public_id=public_id).first())


def order_by_reference(*, reference: str) -> PaymentOrder | None:
    return PaymentOrder.objects.select_related("agency").filter(reference=reference).first()


def payment_first(*, order: PaymentOrder) -> Payment | None:
    """The payment that settled the order (later ones are duplicates)."""
    return order.payments.filter(duplicate=False).first() or order.payments.first()


def awaits_payment_step(application: Any) -> bool:
    """Whether the file stands where its workflow's payment step can be taken."""
    workflow = Workflow.of(application.service_version.definition)
    return any(t.name == PAY_STEP for t in workflow.available(application.state, "system"))


# --- reconciliation ------------------------------------------------------------------------------

class MismatchKind:
    WRONG_AMOUNT = "wrong_amount"
    WITHOUT_ORDER = "without_order"
    NOT_MOVED = "not_moved"
    LATE = "late"
    DUPLICATE = "duplicate"


MISMATCH_LABELS = {
    MismatchKind.WRONG_AMOUNT: _("Amount paid differs from the order (refused)"),
    MismatchKind.WITHOUT_ORDER: _("Payment for a reference with no order (refused)"),
    MismatchKind.NOT_MOVED: _("Paid, but the application did not move on"),
    MismatchKind.LATE: _("Paid after the order expired"),
    MismatchKind.DUPLICATE: _("Order paid more than once (refund due)"),
}


@dataclass(frozen=True)
class Mismatch:
    kind: str
    reference: str
    provider: str
    transaction_id: str
    expected: int | None
    paid: int | None

    @property
    def label(self) -> str:
        return str(MISMATCH_LABELS[self.kind])


@dataclass
class Reconciliation:
    agency: Agency
    day: datetime.date
    orders: list[PaymentOrder] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ordered_total(self) -> int:
        return sum(order.amount for order in self.orders)

    @property
    def paid_total(self) -> int:
        return sum(payment.amount for payment in self.payments)


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def reconciliation(*, agency: Agency, day: datetime.date) -> Reconciliation:
    """One agency's day: orders opened, payments received, and everything that does not match."""
    start, end = _day_bounds(day)
    report = Reconciliation(agency=agency, day=day)
    report.orders = list(PaymentOrder.objects.filter(agency=agency, created_at__gte=start, created_at__lt=end)
                         .select_related("application").order_by("created_at", "id"))
    report.payments = list(Payment.objects.filter(order__agency=agency, received_at__gte=start, received_at__lt=end)
                           .select_related("order").order_by("received_at", "id"))
    for payment in report.payments:
        for flag, kind in ((payment.late, MismatchKind.LATE), (payment.duplicate, MismatchKind.DUPLICATE)):
            if flag:
                report.mismatches.append(Mismatch(kind, payment.order.reference, payment.provider,
                                                  payment.provider_transaction_id, payment.order.amount,
                                                  payment.amount))
    refused = _refused_paid_notices(agency, start, end)
    for log in refused:
        kind = MismatchKind.WRONG_AMOUNT if log.outcome == PaymentCallbackLog.Outcome.WRONG_AMOUNT \
            else MismatchKind.WITHOUT_ORDER
        report.mismatches.append(Mismatch(kind, log.reference, log.provider, log.transaction_id,
                                          log.order.amount if log.order else None, log.amount))
    stuck = (PaymentOrder.objects.filter(agency=agency, status=PaymentOrder.Status.PAID, paid_at__lt=end)
             .select_related("application__service_version").order_by("paid_at", "id"))
    for order in stuck:
        if awaits_payment_step(order.application):
            settling = payment_first(order=order)
            report.mismatches.append(Mismatch(MismatchKind.NOT_MOVED, order.reference,
                                              settling.provider if settling else "",
                                              settling.provider_transaction_id if settling else "",
                                              order.amount, settling.amount if settling else None))
    return report


def _refused_paid_notices(agency: Agency, start: datetime.datetime,
                          end: datetime.datetime) -> QuerySet[PaymentCallbackLog]:
    """Refused notices of money taken: a wrong amount on one of the agency's orders, or a
    reference with no order whose agency part names this agency."""
    outcomes = [PaymentCallbackLog.Outcome.WRONG_AMOUNT, PaymentCallbackLog.Outcome.UNKNOWN_REFERENCE]
    logs = PaymentCallbackLog.objects.filter(received_at__gte=start, received_at__lt=end, status="paid",
                                             outcome__in=outcomes).select_related("order")
    return (logs.filter(agency=agency) | logs.filter(agency__isnull=True,
                                                     reference__startswith=f"PAY-{agency.code}-")).order_by(
        "received_at", "id")
