"""Handing messages from the outbox to the gateways: at least once, and visibly once.

A worker *claims* a batch (status → sending, a lease, in one short transaction: on
PostgreSQL with SKIP LOCKED, so workers never take the same message), then hands each to
the first healthy gateway and records the outcome in its own short transaction.

What makes it exactly once for the person holding the phone:
- a message is only ever in one worker's hands (the claim), and a claim is only taken over
  when its lease has run out; a worker starts no send once its lease is over, and
  SMS_IN_DOUBT_GRACE_SECONDS is longer than a gateway's time-out, so that a send started in
  time has ended before another worker may take the message;
- a worker that dies after the gateway took a message but before recording it leaves the
  message "sending" without a hand-over; the gateway's delivery receipt (keyed by the
  message id, signed) records the hand-over when it arrives, and another worker takes such
  a message only `SMS_IN_DOUBT_GRACE_SECONDS` after the lease ran out, time for that receipt
  to arrive. Gateways without receipts get the message's idempotency key instead.

Failures: a temporary one (gateway down, time-out) is tried again with exponential back-off
until `give_up_at` (72 hours by default), then the message fails for good; a number the
gateway refuses fails at once; our own misconfiguration is a technical failure. A gateway
that fails `SMS_GATEWAY_FAILURES_TO_REST` times in a row rests (is skipped) for a while,
longer each time, and one whose receipts stopped for `SMS_RECEIPT_SILENCE_SECONDS` counts as
unhealthy: traffic moves to the next gateway by priority.
"""

from __future__ import annotations

import datetime
import logging
import os
import random
import socket
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import GatewayHealth, Message, MessageStatusChange, Status
from .services import receipt_url
from .sms.base import GatewayError, GatewayMisconfigured, OutgoingSms, SmsGateway, configured_gateways

logger = logging.getLogger(__name__)


# A gateway's health row is written at most this often while nothing goes wrong.
HEALTH_NEWS_SECONDS = 5


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


@dataclass
class DeliveryRun:
    claimed: int = 0
    handed_over: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    by_gateway: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"claimed": self.claimed, "handed_over": self.handed_over, "delivered": self.delivered,
                "retrying": self.retrying, "failed": self.failed, "by_gateway": self.by_gateway}


def deliver_messages(*, ids: list[int] | None = None, batch_size: int | None = None,
                     worker: str | None = None, max_batches: int = 50, with_others: bool = False) -> DeliveryRun:
    """Claim and send due messages (only `ids`, when given; one batch of them and, with
    `with_others`, other due messages to fill it) until none is left or `max_batches`
    batches were sent. Safe to run in any number of processes at once."""
    worker = worker or worker_name()
    batch_size = batch_size or settings.SMS_BATCH_SIZE
    run = DeliveryRun()
    gateways = configured_gateways()
    for _batch in range(max_batches):
        batch = claim_due(ids=ids, batch_size=batch_size, worker=worker, with_others=with_others)
        if not batch:
            break
        run.claimed += len(batch)
        health = _Health(gateways)
        for position, message in enumerate(batch):
            # Past the lease another worker may take the rest (after the grace): sending one
            # now could send it twice. They wait for that worker (a slow gateway, a paused process).
            if message.lease_until is not None and timezone.now() >= message.lease_until:
                logger.warning("lease over after %s of %s messages: the rest are left to another worker",
                               position, len(batch))
                break
            _send_one(message, worker=worker, gateways=gateways, health=health, run=run)
        health.save()
        if ids is not None:
            break
    return run


def _ready_filter(now: datetime.datetime) -> Q:
    """New messages and retries whose time has come: one ordered walk of the message_due index."""
    return Q(status__in=[Status.CREATED, Status.TEMPORARY_FAILURE], next_attempt_at__lte=now)


def _in_doubt_filter(now: datetime.datetime) -> Q:
    """Messages a worker took and never reported on, past their lease and the grace for a
    receipt: a walk of the small message_in_doubt index (not of every message awaiting its
    receipt, which grow by thousands while phones are off)."""
    in_doubt_since = now - datetime.timedelta(seconds=settings.SMS_IN_DOUBT_GRACE_SECONDS)
    return Q(status=Status.SENDING, handed_over_at__isnull=True, lease_until__lt=in_doubt_since)


def _due_filter(now: datetime.datetime) -> Q:
    return _ready_filter(now) | _in_doubt_filter(now)


def claim_due(*, ids: list[int] | None, batch_size: int, worker: str, with_others: bool = False) -> list[Message]:
    """Take up to `batch_size` due messages for this worker, oldest first, in one commit:
    those of `ids` when given, then any others due (no `ids`: the sweep) or ready to go
    (`with_others`: new messages and retries, not those in doubt, which are the sweep's)."""
    now = timezone.now()
    lease_until = now + datetime.timedelta(seconds=settings.SMS_LEASE_SECONDS)
    with transaction.atomic():
        rows = Message.objects.all()
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        rows = rows.order_by("next_attempt_at", "id")
        chosen: list[int] = []
        if ids is not None:
            chosen = list(rows.filter(_due_filter(now), pk__in=ids).values_list("pk", flat=True)[:batch_size])
        if (ids is None or with_others) and len(chosen) < batch_size:
            # Ready ones first (an ordered walk of message_due); a worker woken for a message
            # leaves those in doubt to the sweep.
            chosen += rows.filter(_ready_filter(now)).exclude(pk__in=chosen).values_list(
                "pk", flat=True)[:batch_size - len(chosen)]
        if ids is None and len(chosen) < batch_size:
            chosen += rows.filter(_in_doubt_filter(now)).exclude(pk__in=chosen).order_by(
                "lease_until", "id").values_list("pk", flat=True)[:batch_size - len(chosen)]
        if not chosen:
            return []
        Message.objects.filter(pk__in=chosen).update(
            status=Status.SENDING, lease_until=lease_until, claimed_by=worker, attempts=F("attempts") + 1)
        MessageStatusChange.objects.bulk_create(
            [MessageStatusChange(message_id=pk, status=Status.SENDING, at=now, detail=f"taken by {worker}"[:300])
             for pk in chosen])
    return list(Message.objects.filter(pk__in=chosen).order_by("next_attempt_at", "id"))


class _Health:
    """The gateways' health for one batch: read once, written once (a row per gateway is
    shared by every worker, so it is not touched per message)."""

    def __init__(self, gateways: list[SmsGateway]) -> None:
        self.now = timezone.now()
        known = {row.name: row for row in GatewayHealth.objects.filter(name__in=[g.name for g in gateways])}
        self.rows = {}
        for gateway in gateways:
            row = known.get(gateway.name)
            if row is None:
                row, _created = GatewayHealth.objects.get_or_create(name=gateway.name)
            self.rows[gateway.name] = row
        self.successes: dict[str, int] = {}
        self.failures: dict[str, tuple[int, str]] = {}

    def usable(self, gateway: SmsGateway) -> bool:
        row = self.rows[gateway.name]
        if row.resting_until is not None and row.resting_until > self.now:
            return False
        silence = datetime.timedelta(seconds=settings.SMS_RECEIPT_SILENCE_SECONDS)
        expects_receipts = getattr(gateway, "sends_receipts", False)
        return not (expects_receipts and row.awaiting_receipt_since is not None
                    and row.awaiting_receipt_since < self.now - silence)

    def ordered(self, gateways: list[SmsGateway]) -> list[SmsGateway]:
        """Healthy gateways first (by priority), then the others as a last resort."""
        healthy = [g for g in gateways if self.usable(g)]
        resting_or_silent = [g for g in gateways if not self.usable(g)]
        return healthy + resting_or_silent

    def succeeded(self, gateway: SmsGateway) -> None:
        self.successes[gateway.name] = self.successes.get(gateway.name, 0) + 1
        self.failures.pop(gateway.name, None)
        row = self.rows[gateway.name]
        row.failures_in_row = 0
        row.resting_until = None

    def failed(self, gateway: SmsGateway, error: str) -> None:
        count, _last = self.failures.get(gateway.name, (0, ""))
        self.failures[gateway.name] = (count + 1, error)
        row = self.rows[gateway.name]
        row.failures_in_row += 1
        if row.failures_in_row >= settings.SMS_GATEWAY_FAILURES_TO_REST:
            # Rest longer each time it keeps failing: 30 s, 60 s, … up to 10 minutes.
            times = row.failures_in_row - settings.SMS_GATEWAY_FAILURES_TO_REST
            row.resting_until = self.now + datetime.timedelta(seconds=min(600, 30 * 2 ** min(times, 5)))

    def save(self) -> None:
        now = timezone.now()
        recently = now - datetime.timedelta(seconds=HEALTH_NEWS_SECONDS)
        for name, count in self.successes.items():
            # Written only when there is news (failures to forget, a first hand-over since the
            # last receipt, a success older than a few seconds): a cheap, mostly non-matching
            # update, so that hand-overs and receipts do not queue on the one row they share.
            GatewayHealth.objects.filter(name=name).filter(
                Q(failures_in_row__gt=0) | Q(resting_until__isnull=False) | Q(awaiting_receipt_since__isnull=True)
                | Q(last_success_at__isnull=True) | Q(last_success_at__lt=recently),
            ).update(failures_in_row=0, resting_until=None, last_success_at=now,
                     awaiting_receipt_since=Coalesce(F("awaiting_receipt_since"), Value(now)))
            logger.debug("gateway %s took %s messages", name, count)
        for name, (count, error) in self.failures.items():
            row = self.rows[name]
            GatewayHealth.objects.filter(name=name).update(
                failures_in_row=F("failures_in_row") + count, resting_until=row.resting_until,
                last_failure_at=now, last_error=error[:300])


def _send_one(message: Message, *, worker: str, gateways: list[SmsGateway], health: _Health,
              run: DeliveryRun) -> None:
    if not gateways:
        _record_failure(message, worker=worker, status=Status.TECHNICAL_FAILURE, gateway="",
                        detail="no SMS gateway is configured (SMS_GATEWAYS)", run=run)
        return
    last_error: GatewayError | None = None
    last_gateway = ""
    for gateway in health.ordered(gateways):
        sms = OutgoingSms(message_id=message.pk, to=message.to, body=message.body,
                          idempotency_key=str(message.idempotency_key),
                          receipt_url=receipt_url(gateway=gateway.name, message_id=message.pk)
                          if getattr(gateway, "sends_receipts", False) else "")
        try:
            accepted = gateway.send(sms)
        except GatewayMisconfigured as error:
            health.failed(gateway, error.detail)
            last_error, last_gateway = error, gateway.name
            logger.error("message %s: gateway %s is misconfigured: %s", message.pk, gateway.name, error.detail)
            continue  # another gateway may be set up right
        except GatewayError as error:
            last_error, last_gateway = error, gateway.name
            if not error.temporary:  # the number itself is refused: no gateway will do better
                _record_failure(message, worker=worker, status=Status.PERMANENT_FAILURE, gateway=gateway.name,
                                detail=error.detail, run=run)
                return
            health.failed(gateway, error.detail)
            logger.warning("message %s: gateway %s failed: %s", message.pk, gateway.name, error.detail)
            continue
        except Exception as error:  # a bug or an unexpected answer: treat as temporary, keep the message
            logger.exception("message %s: gateway %s raised", message.pk, gateway.name)
            health.failed(gateway, repr(error))
            last_error, last_gateway = GatewayError(repr(error)), gateway.name
            continue
        health.succeeded(gateway)
        _record_handed_over(message, worker=worker, gateway=gateway, reference=accepted.reference,
                            delivered=accepted.delivered or not getattr(gateway, "sends_receipts", False), run=run)
        return
    assert last_error is not None
    if isinstance(last_error, GatewayMisconfigured):
        _record_failure(message, worker=worker, status=Status.TECHNICAL_FAILURE, gateway=last_gateway,
                        detail=last_error.detail, run=run)
    else:
        _record_retry(message, worker=worker, gateway=last_gateway, detail=last_error.detail, run=run)


def _mine(message: Message, worker: str) -> Q:
    """Only the claim's holder records an outcome, and never over a receipt's news."""
    return Q(pk=message.pk, claimed_by=worker, status=Status.SENDING)


@transaction.atomic
def _record_handed_over(message: Message, *, worker: str, gateway: SmsGateway, reference: str, delivered: bool,
                        run: DeliveryRun) -> None:
    now = timezone.now()
    status: str = Status.DELIVERED if delivered else Status.SENDING
    updates: dict[str, object] = {"gateway": gateway.name, "gateway_reference": reference[:100],
                                  "lease_until": None, "status": status, "status_detail": ""}
    if delivered:
        updates["delivered_at"] = now
    moved = Message.objects.filter(_mine(message, worker), handed_over_at__isnull=True).update(
        handed_over_at=now, **updates)
    detail = f"handed over{(' as ' + reference) if reference else ''}"[:300]
    if not moved:  # a receipt was faster and recorded the hand-over (and perhaps delivery) already
        Message.objects.filter(pk=message.pk).update(gateway=gateway.name, gateway_reference=reference[:100])
        Message.objects.filter(_mine(message, worker)).update(lease_until=None)
        status = Message.objects.values_list("status", flat=True).get(pk=message.pk)
        detail += " (after its receipt)"
    MessageStatusChange.objects.create(message_id=message.pk, status=status, at=now, gateway=gateway.name,
                                       detail=detail)
    run.handed_over += 1
    run.delivered += int(delivered)
    run.by_gateway[gateway.name] = run.by_gateway.get(gateway.name, 0) + 1
    logger.info("message %s handed to %s", message.pk, gateway.name)


def _backoff(attempts: int) -> datetime.timedelta:
    """30 s, 1 min, 2 min … up to an hour, with a little jitter so retries do not stampede."""
    seconds = min(3600, 30 * 2 ** max(0, attempts - 1))
    return datetime.timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311 (not a secret)


@transaction.atomic
def _record_retry(message: Message, *, worker: str, gateway: str, detail: str, run: DeliveryRun) -> None:
    now = timezone.now()
    next_attempt = now + _backoff(message.attempts)
    if next_attempt > message.give_up_at:
        _record_failure(message, worker=worker, status=Status.PERMANENT_FAILURE, gateway=gateway,
                        detail=f"gave up after {message.attempts} attempts: {detail}", run=run)
        return
    if Message.objects.filter(_mine(message, worker), handed_over_at__isnull=True).update(
            status=Status.TEMPORARY_FAILURE, next_attempt_at=next_attempt, lease_until=None, gateway=gateway,
            status_detail=detail[:300]):
        MessageStatusChange.objects.create(message_id=message.pk, status=Status.TEMPORARY_FAILURE, at=now,
                                           gateway=gateway, detail=detail[:300])
        run.retrying += 1


@transaction.atomic
def _record_failure(message: Message, *, worker: str, status: str, gateway: str, detail: str,
                    run: DeliveryRun) -> None:
    now = timezone.now()
    if Message.objects.filter(_mine(message, worker), handed_over_at__isnull=True).update(
            status=status, failed_at=now, lease_until=None, gateway=gateway, status_detail=detail[:300]):
        MessageStatusChange.objects.create(message_id=message.pk, status=status, at=now, gateway=gateway,
                                           detail=detail[:300])
        run.failed += 1
        logger.warning("message %s failed (%s): %s", message.pk, status, detail)
