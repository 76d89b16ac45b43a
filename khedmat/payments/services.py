"""Writes on payments: the order opened when an application is sent, money recorded against
it, and refunds of money the file cannot use.

Every provider reports money through `payment_notice_receive`: one place checks the amount,
makes replays and late failures harmless, records exactly one `Payment` per provider
transaction, and moves the application past its payment step (`record_payment`, role
`system`) when it stands there; `payment_step_settle` does it when it arrives there later.
Money the file cannot use (its order cancelled, the file closed before its payment step, the
fee already paid) is recorded too, and opens a `Refund` that the agency pays back.

Lock order (docs/payments.md, "Locks"; decision 0017): **the file first, then its payment
order, then the refund and the reference counters**. `application_transition` locks the file
and then, through payments' subscriber, its order; every path here that starts from an order
(a provider's notice, the catch-up job) therefore locks the file before the order
(`_lock_file_then_order`). Two paths taking the same two rows in opposite orders deadlock
on PostgreSQL.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from khedmat.accounts.roles import Role
from khedmat.applications import selectors as application_selectors
from khedmat.applications.services import ApplicationError, application_transition
from khedmat.audit.services import audit_record
from khedmat.catalog.fees import fee_for
from khedmat.core.calendar import solar_hijri_year
from khedmat.core.errors import Refusal
from khedmat.core.events import publish
from khedmat.core.inserts import insert_new
from khedmat.core.sequences import sequence_next

from .events import PaymentOrderDue, PaymentReceived, PaymentRefundCancelled, PaymentRefundDue, PaymentRefundPaidOut
from .models import Payment, PaymentCallbackLog, PaymentOrder, PaymentReferenceCounter, Refund, RefundReferenceCounter
from .references import payment_reference, refund_reference
from .selectors import PAY_STEP, awaits_payment_step, orders_owing_refunds, payment_first, payment_step_taken

if TYPE_CHECKING:
    from khedmat.accounts.models import User
    from khedmat.applications.models import Application

Outcome = PaymentCallbackLog.Outcome
EXPIRE_STEP = "expire"


class PaymentError(Refusal):
    """A payment notice refused; `code` is a PaymentCallbackLog outcome. Nothing was recorded."""


class RefundError(Refusal):
    """A refund action refused (forbidden, not_due, payout_needed, payout_used, reason_needed).
    Nothing was changed."""


@dataclass(frozen=True)
class PaymentNotice:
    """What a provider says happened: the money for a reference was taken, or was not."""

    plugin: str  # the plug-in that received it: demo, bank_callback
    provider: str  # who took the money: demo, azizi-bank, mpaisa…
    reference: str
    transaction_id: str
    amount: int | None
    status: str  # "paid" or "failed"
    currency: str = PaymentOrder.CURRENCY


@dataclass(frozen=True)
class PaymentResult:
    outcome: str
    order: PaymentOrder
    payment: Payment | None


# --- the order -------------------------------------------------------------------------------

def payment_order_open(*, application: Application, actor: object = None,
                       request: HttpRequest | None = None, just_sent: bool = False) -> PaymentOrder | None:
    """Open the payment order of an application just sent, in the caller's transaction.

    Idempotent: an application has at most one order. `just_sent` (the `ApplicationSubmitted`
    subscriber, once per application as it leaves the draft state, in that transaction): no
    order can exist yet, so none is looked for; the one-to-one column would still refuse a
    second one (the whole submission rolls back). With nothing to pay (a free service,
    an exempt applicant) no order is opened and the file goes straight past its payment
    step if it stands there; `application` is refreshed when it moves. The order falls due
    (gets its pay-by date) now if the workflow starts by waiting for the fee, otherwise
    when the file reaches its payment step.
    """
    assert transaction.get_connection().in_atomic_block, "open the order in the transaction that sends the file"
    existing = None if just_sent else PaymentOrder.objects.filter(application=application).first()
    if existing is not None:
        return existing
    assessment = fee_for(application.service_version.definition, application.data or {})
    if assessment.amount == 0:
        reason = ""
        if assessment.exemption:
            reason = _("Exempt from the fee: %(category)s") % {"category": assessment.exemption_label.get(
                "en", assessment.exemption)}
        if _take_step(application, PAY_STEP, reason=reason, request=request):
            application.refresh_from_db()
        return None
    now = timezone.now()
    agency = application.agency
    year = solar_hijri_year(timezone.localdate(now))
    number = sequence_next(PaymentReferenceCounter, agency=agency, year=year)
    order = insert_new(PaymentOrder(
        reference=payment_reference(agency_code=agency.code, year=year, number=number),
        application=application, agency=agency, amount=assessment.amount,
        fee_line=assessment.as_record(),
        expires_at=_pay_by(now) if awaits_payment_step(application) else None,
    ))
    audit_record(action="payments.order_opened", target_type="payment_order", target_id=order.reference,
                 actor=actor, subject=application.applicant, request=request,
                 data={"application": application.reference, "amount": order.amount, "line": assessment.as_record()},
                 seal_soon=True)  # opened with every submission: sealed as the submission's event is
    return order


def _pay_by(start: datetime.datetime) -> datetime.datetime:
    return start + datetime.timedelta(days=settings.PAYMENT_ORDER_EXPIRY_DAYS)


@transaction.atomic
def payment_step_settle(*, application: Application, request: HttpRequest | None = None) -> bool:
    """For a file that has just moved: at its payment step, move it on if its order is
    already paid, or start the order's time to pay; closed unpaid, cancel its order; closed
    paid but before its payment step, owe the money back. Returns whether the file moved.

    Runs on every step (subscribers.settle_on_transition), inside `application_transition`
    with the file already locked: the order is locked second, as the lock order says.
    `payment_orders_update` catches up with anything missed."""
    order = PaymentOrder.objects.select_for_update(of=("self",)).filter(application=application).first()
    if order is not None:
        order.application = application  # the file as the step left it, locked
    if order is not None and application.is_final:
        if order.status == PaymentOrder.Status.PENDING:
            # Rejected or withdrawn before paying: nobody may pay for a file that is closed.
            order.status = PaymentOrder.Status.CANCELLED
            order.save(update_fields=["status"])
        elif order.status == PaymentOrder.Status.PAID:
            _refund_if_never_used(order=order, request=request)
        return False
    if order is None or not awaits_payment_step(application):
        return False
    if order.status == PaymentOrder.Status.PAID:
        return _take_step(application, PAY_STEP, request=request)
    if order.status == PaymentOrder.Status.PENDING and order.expires_at is None:
        order.expires_at = _pay_by(timezone.now())
        order.save(update_fields=["expires_at"])
        publish(PaymentOrderDue(order=order), request=request)
    return False


def _lock_file_then_order(**lookup: Any) -> PaymentOrder | None:
    """The order matching `lookup` (with its file loaded), both rows locked in the lock order:
    the file's row first, through the order's join (FOR UPDATE OF the file only), then the
    order's own. An order never changes file, so the second read finds the same pair."""
    first = list(PaymentOrder.objects.select_related("application").select_for_update(of=("application",))
                 .filter(**lookup)[:1])
    if not first:
        return None
    return (PaymentOrder.objects.select_for_update(of=("self",))
            .select_related("application__service_version", "application__applicant").get(pk=first[0].pk))


def payment_orders_update(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Catch up with files that reached their payment step: move on those already paid,
    start the time to pay of the others, and close the orders (and files, by their `expire`
    step) not paid in time. Run it every few minutes (`manage.py payments_update`)."""
    now = now or timezone.now()
    counts = {"moved": 0, "due": 0, "expired": 0}
    waiting = (PaymentOrder.objects.filter(application__is_final=False)
               .exclude(status__in=[PaymentOrder.Status.CANCELLED])
               .select_related("application__service_version"))
    for candidate in waiting.iterator():
        if not awaits_payment_step(candidate.application):
            continue
        with transaction.atomic():
            order = _lock_file_then_order(pk=candidate.pk)
            assert order is not None  # orders are never deleted
            application = order.application  # as it stands now, under its lock
            if application.is_final or not awaits_payment_step(application):
                continue  # moved meanwhile
            if order.status == PaymentOrder.Status.PAID:
                counts["moved"] += _take_step(application, PAY_STEP)
            elif order.expires_at is None:
                paused = application.clock_paused_on
                start = (timezone.make_aware(datetime.datetime.combine(paused, datetime.time.min))
                         if paused else now)
                order.expires_at = _pay_by(start)
                order.save(update_fields=["expires_at"])
                publish(PaymentOrderDue(order=order))
                counts["due"] += 1
            elif order.expires_at < now and order.status == PaymentOrder.Status.PENDING:
                order.status = PaymentOrder.Status.EXPIRED
                order.save(update_fields=["status"])
                _take_step(application, EXPIRE_STEP)
                counts["expired"] += 1
    return counts


# --- money received --------------------------------------------------------------------------

def payment_notice_receive(*, notice: PaymentNotice, body: str = "",
                           request: HttpRequest | None = None) -> PaymentResult:
    """Apply a provider's notice and log it, accepted or refused (PaymentError).

    Safe to repeat and out of order: the same transaction reported again changes nothing, a
    "failed" after "paid" is ignored, and parallel notices for one order take turns on its row.
    """
    try:
        result = _apply(notice=notice, request=request)
    except PaymentError as refusal:
        order = PaymentOrder.objects.filter(reference=notice.reference).first()
        payment_callback_log(plugin=notice.plugin, provider=notice.provider, outcome=refusal.code,
                             http_status=404 if refusal.code == Outcome.UNKNOWN_REFERENCE else 409,
                             notice=notice, order=order, body=body, request=request)
        raise
    payment_callback_log(plugin=notice.plugin, provider=notice.provider, outcome=result.outcome, http_status=200,
                         notice=notice, order=result.order, body=body, request=request)
    return result


@transaction.atomic
def _apply(*, notice: PaymentNotice, request: HttpRequest | None) -> PaymentResult:
    order = _lock_file_then_order(reference=notice.reference)
    if order is None:
        raise PaymentError(_("No payment order has this reference."), code=Outcome.UNKNOWN_REFERENCE)
    known = Payment.objects.filter(provider=notice.provider, provider_transaction_id=notice.transaction_id).first()
    if known is not None:
        if known.order_id != order.pk:
            raise PaymentError(_("This transaction was reported for another order."), code=Outcome.WRONG_AMOUNT)
        return PaymentResult(outcome=Outcome.REPLAYED, order=order, payment=known)
    if notice.status != "paid":
        # A failure tells nothing new once the order is paid; before, the applicant may try again.
        outcome = Outcome.IGNORED if order.status == PaymentOrder.Status.PAID else Outcome.FAILED
        return PaymentResult(outcome=outcome, order=order, payment=None)
    if notice.amount != order.amount or notice.currency != order.currency:
        raise PaymentError(_("The amount paid is not the amount of the order."), code=Outcome.WRONG_AMOUNT)
    now = timezone.now()
    application = order.application
    already_paid = order.status == PaymentOrder.Status.PAID
    # Money the file cannot use is still recorded (it was taken), and owed back.
    unusable = (Refund.Reason.DUPLICATE if already_paid
                else Refund.Reason.FILE_CLOSED if order.status == PaymentOrder.Status.CANCELLED or application.is_final
                else None)
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                order=order, plugin=notice.plugin, provider=notice.provider,
                provider_transaction_id=notice.transaction_id, amount=notice.amount, currency=notice.currency,
                late=unusable is None and order.expires_at is not None and now > order.expires_at,
                duplicate=already_paid,
            )
    except IntegrityError:
        # Recorded a moment ago by a parallel notice of the same transaction.
        payment = Payment.objects.get(provider=notice.provider, provider_transaction_id=notice.transaction_id)
        return PaymentResult(outcome=Outcome.REPLAYED, order=order, payment=payment)
    audit_record(action="payments.paid", target_type="payment_order", target_id=order.reference,
                 subject=application.applicant, request=request,
                 data={"provider": notice.provider, "transaction": notice.transaction_id, "amount": notice.amount,
                       "late": payment.late, "duplicate": payment.duplicate, "refund_due": unusable or ""})
    if unusable is not None:
        _refund_open(payment=payment, reason=unusable, request=request)
        return PaymentResult(outcome=Outcome.REFUND_DUE, order=order, payment=payment)
    order.status = PaymentOrder.Status.PAID
    order.paid_at = now
    order.save(update_fields=["status", "paid_at"])
    publish(PaymentReceived(order=order, payment=payment), request=request)
    _take_step(application, PAY_STEP, request=request)
    return PaymentResult(outcome=Outcome.RECORDED, order=order, payment=payment)


def _take_step(application: Application, step: str, *, reason: str = "",
               request: HttpRequest | None = None) -> bool:
    """Take a system step (the payment step, `expire`) if the file's workflow has it from
    where the file stands.

    In a savepoint: a file that cannot move (withdrawn, moved meanwhile) keeps its payment,
    and reconciliation shows it as paid but not moved."""
    try:
        with transaction.atomic():
            application_transition(application=application, actor=None, transition=step,
                                   expected_state=application.state, reason_text=reason, request=request,
                                   as_system=True)
    except ApplicationError:
        return False
    return True


def payment_callback_log(*, plugin: str, provider: str, outcome: str, http_status: int,
                         notice: PaymentNotice | None = None, order: PaymentOrder | None = None, body: str = "",
                         request: HttpRequest | None = None) -> PaymentCallbackLog:
    """Keep a provider's notice as received, with what was done with it."""
    entry = PaymentCallbackLog.objects.create(
        plugin=plugin, provider=provider[:40], outcome=outcome, http_status=http_status,
        reference=(notice.reference if notice else "")[:40],
        transaction_id=(notice.transaction_id if notice else "")[:100],
        status=(notice.status if notice else "")[:20],
        amount=notice.amount if notice else None,
        order=order, agency_id=order.agency_id if order else None,
        body=body[:4000], request_id=getattr(request, "request_id", "") if request is not None else "",
    )
    if outcome not in (Outcome.RECORDED, Outcome.REPLAYED, Outcome.FAILED, Outcome.IGNORED, Outcome.REFUND_DUE):
        audit_record(action="payments.notice_refused", target_type="payment_order",
                     target_id=entry.reference or "-", request=request,
                     data={"plugin": plugin, "provider": provider, "outcome": outcome, "log": entry.pk})
    return entry


def payment_demo_record(*, application: Application, transaction_id: str) -> Application:
    """Pay an application's order through the demo provider (demonstration data, tests);
    returns the application as it stands afterwards. Harmless to repeat."""
    order = PaymentOrder.objects.get(application=application)
    payment_notice_receive(notice=PaymentNotice(
        plugin="demo", provider="demo", reference=order.reference, transaction_id=f"demo-{transaction_id}",
        amount=order.amount, status="paid"))
    return application_selectors.application_get(pk=application.pk)


# --- refunds -----------------------------------------------------------------------------------

PAYOUT_PROVIDER_MAX = 40
PAYOUT_TRANSACTION_MAX = 100
CANCEL_REASON_MAX = 500


def _refund_open(*, payment: Payment, reason: str, request: HttpRequest | None = None) -> Refund:
    """Owe `payment` back to the applicant, in the caller's transaction (the file and the order
    locked): a refund with its own reference, audited, and the applicant told by SMS."""
    order = payment.order
    agency = order.agency
    year = solar_hijri_year(timezone.localdate())
    number = sequence_next(RefundReferenceCounter, agency=agency, year=year)  # counters last
    refund = Refund.objects.create(
        reference=refund_reference(agency_code=agency.code, year=year, number=number), payment=payment,
        order=order, agency=agency, amount=payment.amount, currency=payment.currency, reason=reason)
    audit_record(action="payments.refund_due", target_type="refund", target_id=refund.reference,
                 subject=order.application.applicant, request=request,
                 data={"order": order.reference, "provider": payment.provider,
                       "transaction": payment.provider_transaction_id, "amount": refund.amount, "reason": reason})
    publish(PaymentRefundDue(refund=refund), request=request)
    return refund


def _refund_if_never_used(*, order: PaymentOrder, request: HttpRequest | None = None) -> Refund | None:
    """A paid order whose file closed without ever going past its payment step (paid early,
    then rejected at the driving test, say): the fee was never used, so it is owed back."""
    if payment_step_taken(order.application):
        return None
    settling = payment_first(order=order)
    if settling is None or Refund.objects.filter(payment=settling).exists():
        return None
    return _refund_open(payment=settling, reason=Refund.Reason.FILE_CLOSED, request=request)


def refunds_backfill() -> int:
    """Open the refunds owed for money recorded before refunds existed: second payments of an
    order, and payments of files closed before their payment step (which the platform used to
    mark paid silently). Idempotent; `manage.py payments_refunds_backfill` runs it once after
    upgrading. Returns how many refunds it opened."""
    opened = 0
    for order_pk in orders_owing_refunds():
        with transaction.atomic():
            order = _lock_file_then_order(pk=order_pk)
            assert order is not None
            for payment in order.payments.filter(duplicate=True, refund__isnull=True):
                _refund_open(payment=payment, reason=Refund.Reason.DUPLICATE)
                opened += 1
            if order.status == PaymentOrder.Status.PAID and order.application.is_final:
                opened += _refund_if_never_used(order=order) is not None
    return opened


def _may_settle(actor: User, refund: Refund) -> None:
    """Only the administrator of the agency that holds the money pays it back or cancels it."""
    if getattr(actor, "role", None) != Role.AGENCY_ADMIN or getattr(actor, "agency_id", None) != refund.agency_id:
        raise RefundError(_("Only an administrator of the agency that received the money may settle its refund."),
                          code="forbidden")


def _locked_due(refund: Refund) -> Refund:
    locked = Refund.objects.select_for_update(of=("self",)).select_related(
        "order__application__applicant").get(pk=refund.pk)
    if locked.status != Refund.Status.DUE:
        raise RefundError(_("This refund was already settled: it is “%(status)s”.")
                          % {"status": locked.get_status_display()}, code="not_due")
    return locked


def _one_line(text: str) -> str:
    return " ".join(str(text or "").split())


@transaction.atomic
def refund_pay_out(*, refund: Refund, actor: User, provider: str, transaction_id: str,
                   request: HttpRequest | None = None) -> Refund:
    """Record that the agency paid a refund back, through `provider` (the bank or mobile-money
    operator) in its transaction `transaction_id`. Audited; the applicant is told. A payout
    transaction settles one refund only."""
    _may_settle(actor, refund)
    provider, transaction_id = _one_line(provider), _one_line(transaction_id)
    if not provider or not transaction_id:
        raise RefundError(_("Give the bank or mobile-money operator and its transaction number for the payout."),
                          code="payout_needed")
    if len(provider) > PAYOUT_PROVIDER_MAX or len(transaction_id) > PAYOUT_TRANSACTION_MAX:
        raise RefundError(_("The operator's name or the transaction number is too long."), code="payout_needed")
    locked = _locked_due(refund)
    used = Refund.objects.filter(status=Refund.Status.PAID_OUT, payout_provider=provider,
                                 payout_transaction_id=transaction_id)
    if used.exists():
        raise RefundError(_("This payout transaction already settled another refund."), code="payout_used")
    locked.status = Refund.Status.PAID_OUT
    locked.settled_at = timezone.now()
    locked.settled_by = actor
    locked.payout_provider, locked.payout_transaction_id = provider, transaction_id
    try:
        with transaction.atomic():
            locked.save(update_fields=["status", "settled_at", "settled_by", "payout_provider",
                                       "payout_transaction_id"])
    except IntegrityError as error:  # the same transaction recorded a moment ago for another refund
        raise RefundError(_("This payout transaction already settled another refund."),
                          code="payout_used") from error
    audit_record(action="payments.refund_paid_out", target_type="refund", target_id=locked.reference,
                 actor=actor, subject=locked.order.application.applicant, request=request,
                 data={"amount": locked.amount, "provider": provider, "transaction": transaction_id,
                       "order": locked.order.reference})
    publish(PaymentRefundPaidOut(refund=locked), request=request)
    return locked


@transaction.atomic
def refund_cancel(*, refund: Refund, actor: User, reason: str, request: HttpRequest | None = None) -> Refund:
    """Close a refund without paying it (the bank reversed the payment itself, say), for a
    reason the applicant reads. Audited."""
    _may_settle(actor, refund)
    reason = _one_line(reason)
    if not reason:
        raise RefundError(_("Give the reason for cancelling the refund: the applicant will read it."),
                          code="reason_needed")
    if len(reason) > CANCEL_REASON_MAX:
        raise RefundError(_("Say it in at most %(count)s characters.") % {"count": CANCEL_REASON_MAX},
                          code="reason_needed")
    locked = _locked_due(refund)
    locked.status = Refund.Status.CANCELLED
    locked.settled_at = timezone.now()
    locked.settled_by = actor
    locked.cancel_reason = reason
    locked.save(update_fields=["status", "settled_at", "settled_by", "cancel_reason"])
    audit_record(action="payments.refund_cancelled", target_type="refund", target_id=locked.reference,
                 actor=actor, subject=locked.order.application.applicant, reason=reason, request=request,
                 data={"amount": locked.amount, "order": locked.order.reference})
    publish(PaymentRefundCancelled(refund=locked), request=request)
    return locked
