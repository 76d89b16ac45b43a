"""Reads on payments: an application's order, an order for its page, refunds, and the daily
reconciliation."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khedmat.applications.workflow import Workflow

from .models import Payment, PaymentCallbackLog, PaymentOrder, Refund

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


def payment_for_receipt(*, order: PaymentOrder) -> Payment | None:
    """The payment the fee receipt is for: the one that settled the order and is not owed
    back. Money owed back gets a refund receipt instead, once paid back."""
    return order.payments.filter(duplicate=False, refund__isnull=True).first()


def payment_step_taken(application: Any) -> bool:
    """Whether the file ever went past its payment step: its fee was used."""
    return bool(application.events.filter(transition=PAY_STEP).exists())


def awaits_payment_step(application: Any) -> bool:
    """Whether the file stands where its workflow's payment step can be taken."""
    workflow = Workflow.of(application.service_version.definition)
    return any(t.name == PAY_STEP for t in workflow.available(application.state, "system"))


# --- refunds ---------------------------------------------------------------------------------------

def refund_get(*, public_id: Any) -> Refund | None:
    return (Refund.objects.select_related("order__application__applicant", "order__application__service_version",
                                          "payment", "agency", "settled_by")
            .filter(public_id=public_id).first())


def refunds_of_order(*, order: PaymentOrder) -> list[Refund]:
    return list(Refund.objects.filter(order=order).select_related("payment").order_by("created_at", "id"))


def refunds_outstanding(*, agency: Agency) -> list[Refund]:
    """Every refund the agency still owes, oldest first, whatever day it fell due."""
    return list(Refund.objects.filter(agency=agency, status=Refund.Status.DUE)
                .select_related("order__application", "payment").order_by("created_at", "id"))


def orders_owing_refunds() -> list[int]:
    """Orders with money recorded before refunds existed and never owed back: a second
    payment without a refund, or a paid order of a file closed before its payment step."""
    duplicates = Payment.objects.filter(duplicate=True, refund__isnull=True).values_list("order_id", flat=True)
    closed_unused = (PaymentOrder.objects.filter(status=PaymentOrder.Status.PAID, application__is_final=True)
                     .exclude(application__events__transition=PAY_STEP)
                     .exclude(refunds__reason=Refund.Reason.FILE_CLOSED).values_list("pk", flat=True))
    return sorted(set(duplicates) | set(closed_unused))


# --- reconciliation ------------------------------------------------------------------------------

class MismatchKind:
    WRONG_AMOUNT = "wrong_amount"
    WITHOUT_ORDER = "without_order"
    NOT_MOVED = "not_moved"
    LATE = "late"
    DUPLICATE = "duplicate"
    CLOSED = "paid_when_closed"


MISMATCH_LABELS = {
    MismatchKind.WRONG_AMOUNT: _("Amount paid differs from the order (refused)"),
    MismatchKind.WITHOUT_ORDER: _("Payment for a reference with no order (refused)"),
    MismatchKind.NOT_MOVED: _("Paid, but the application did not move on"),
    MismatchKind.LATE: _("Paid after the order expired"),
    MismatchKind.DUPLICATE: _("Order paid more than once (refund due)"),
    MismatchKind.CLOSED: _("Paid for a closed application or a cancelled order (refund due)"),
}


@dataclass(frozen=True)
class Mismatch:
    kind: str
    reference: str
    provider: str
    transaction_id: str
    expected: int | None
    paid: int | None
    refund: Refund | None = None  # the refund it opened, if any

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
    refunds_due: list[Refund] = field(default_factory=list)  # still owed, whatever day they fell due
    refunds_settled: list[Refund] = field(default_factory=list)  # paid back or cancelled this day

    @property
    def refunds_due_total(self) -> int:
        return sum(refund.amount for refund in self.refunds_due)

    @property
    def paid_back_total(self) -> int:
        return sum(refund.amount for refund in self.refunds_settled if refund.status == Refund.Status.PAID_OUT)

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
                           .select_related("order", "refund").order_by("received_at", "id"))
    for payment in report.payments:
        if payment.late:
            report.mismatches.append(_mismatch(MismatchKind.LATE, payment))
        if payment.duplicate and not hasattr(payment, "refund"):  # recorded before refunds existed
            report.mismatches.append(_mismatch(MismatchKind.DUPLICATE, payment))
    opened = (Refund.objects.filter(agency=agency, created_at__gte=start, created_at__lt=end)
              .select_related("order", "payment").order_by("created_at", "id"))
    for refund in opened:
        kind = MismatchKind.DUPLICATE if refund.reason == Refund.Reason.DUPLICATE else MismatchKind.CLOSED
        report.mismatches.append(_mismatch(kind, refund.payment, refund=refund, order=refund.order))
    report.refunds_due = refunds_outstanding(agency=agency)
    report.refunds_settled = list(Refund.objects.filter(agency=agency, settled_at__gte=start, settled_at__lt=end)
                                  .select_related("order", "payment").order_by("settled_at", "id"))
    refused = _refused_paid_notices(agency, start, end)
    for log in refused:
        kind = MismatchKind.WRONG_AMOUNT if log.outcome == PaymentCallbackLog.Outcome.WRONG_AMOUNT \
            else MismatchKind.WITHOUT_ORDER
        report.mismatches.append(Mismatch(kind, log.reference, log.provider, log.transaction_id,
                                          log.order.amount if log.order else None, log.amount))
    stuck = (PaymentOrder.objects.filter(agency=agency, status=PaymentOrder.Status.PAID, paid_at__lt=end,
                                         application__is_final=False)
             .select_related("application__service_version").order_by("paid_at", "id"))
    for order in stuck:
        if awaits_payment_step(order.application):
            settling = payment_first(order=order)
            report.mismatches.append(Mismatch(MismatchKind.NOT_MOVED, order.reference,
                                              settling.provider if settling else "",
                                              settling.provider_transaction_id if settling else "",
                                              order.amount, settling.amount if settling else None))
    return report


def _mismatch(kind: str, payment: Payment, *, refund: Refund | None = None,
              order: PaymentOrder | None = None) -> Mismatch:
    order = order or payment.order
    return Mismatch(kind, order.reference, payment.provider, payment.provider_transaction_id, order.amount,
                    payment.amount, refund)


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
