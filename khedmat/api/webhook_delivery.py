"""Sending webhooks from the outbox: at least once, signed, retried for three days.

A worker *claims* due deliveries (status → sending, a lease, in one short transaction: on
PostgreSQL with SKIP LOCKED, so two workers never post the same delivery at once; SQLite runs
one process), posts each, and records the try and its outcome in its own short transaction:
- 2xx: delivered;
- 410 Gone: the receiver asks us to stop: the subscription is disabled with the reason and
  its deliveries still waiting are stopped;
- anything else, a time-out, a refused connection, a redirect (never followed): tried again
  after 30 s, 2 min, 10 min, 1 h, 3 h, 6 h, then every 12 h (each ±20 %), until `give_up_at`
  (created + WEBHOOK_RETRY_HOURS, 72), then it has failed for good.
The address is resolved at each send and every address checked (a name that pointed to a
public server may point to 127.0.0.1 later); the connection goes to the address checked. A
worker that dies mid-post leaves the delivery "sending"; the sweep takes it again when its
lease ran out, so a receiver may see a webhook-id twice and must dedupe by it.
"""

from __future__ import annotations

import datetime
import http.client
import logging
import os
import random
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from standardwebhooks import Webhook

from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookSubscription
from .webhooks import address_allowed, body_of, private_urls_allowed, resolve, webhook_disable

logger = logging.getLogger(__name__)

CONNECT_SECONDS = 5
READ_SECONDS = 10
USER_AGENT = "AsanKhedmat-Webhooks/1 (+https://github.com/asan-khedmat)"
EXCERPT_CHARS = 200
BACKOFF_SECONDS = (30, 120, 600, 3600, 3 * 3600, 6 * 3600, 12 * 3600)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


@dataclass
class Answer:
    """What one POST came to: a status code, or an error before any."""

    status_code: int | None = None
    error: str = ""
    excerpt: str = ""
    duration_ms: int = 0


class _Refused(Exception):
    pass


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url`: short time-outs, no redirect followed, and (unless private
    addresses are allowed) only to a public address, the one checked."""
    started = time.monotonic()
    answer = Answer()
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        secure = parts.scheme == "https"
        port = parts.port or (443 if secure else 80)
        addresses = resolve(host, port)
        if not addresses:
            raise _Refused("the host name does not resolve")
        if not private_urls_allowed():
            if not secure:
                raise _Refused("plain http is not allowed")
            if not all(address_allowed(address) for address in addresses):
                raise _Refused("the address is private, local or reserved")
        sock = socket.create_connection((addresses[0], port), timeout=CONNECT_SECONDS)
        sock.settimeout(READ_SECONDS)
        if secure:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        conn = http.client.HTTPConnection(host, port, timeout=READ_SECONDS)
        conn.sock = sock  # the connection to the checked address, not a second lookup
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        default_port = 443 if secure else 80
        host_header = host if port == default_port else f"{host}:{port}"
        try:
            conn.request("POST", target, body=body, headers={**headers, "Host": host_header,
                                                             "Content-Length": str(len(body))})
            response = conn.getresponse()
            answer.status_code = response.status
            answer.excerpt = response.read(4096).decode("utf-8", "replace")[:EXCERPT_CHARS]
            if 300 <= response.status < 400:
                answer.error = "a redirect, not followed"
        finally:
            conn.close()
    except _Refused as refused:
        answer.error = f"refused: {refused}"
    except TimeoutError:
        answer.error = "timed out"
    except ConnectionRefusedError:
        answer.error = "connection refused"
    except ssl.SSLError as error:
        answer.error = f"TLS: {error.reason or error}"[:300]
    except (OSError, http.client.HTTPException) as error:
        answer.error = f"{type(error).__name__}: {error}"[:300]
    answer.duration_ms = int((time.monotonic() - started) * 1000)
    return answer


def signed_headers(delivery: WebhookDelivery, secret: str, body: bytes,
                   now: datetime.datetime | None = None) -> dict[str, str]:
    """The Standard Webhooks headers, signed by the reference library."""
    moment = now or timezone.now()
    return {"webhook-id": delivery.message_id, "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": Webhook(secret).sign(delivery.message_id, moment, body),
            "Content-Type": "application/json", "User-Agent": USER_AGENT}


def _due(now: datetime.datetime) -> Any:
    from django.db.models import Q

    return (Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, lease_until__lt=now))


def claim_due(*, ids: list[int] | None, batch_size: int, worker: str,
              now: datetime.datetime | None = None) -> list[WebhookDelivery]:
    """Take due deliveries for this worker, oldest first, in one commit (only `ids` when given)."""
    now = now or timezone.now()
    lease_until = now + datetime.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    with transaction.atomic():
        rows = WebhookDelivery.objects.filter(_due(now), subscription__disabled_at__isnull=True)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        if connection.features.has_select_for_update_skip_locked:
            of = ("self",) if connection.features.has_select_for_update_of else ()
            rows = rows.select_for_update(skip_locked=True, of=of)
        chosen = list(rows.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:batch_size])
        if not chosen:
            return []
        WebhookDelivery.objects.filter(pk__in=chosen).update(status=DeliveryStatus.SENDING, lease_until=lease_until,
                                                             claimed_by=worker)
    return list(WebhookDelivery.objects.select_related("subscription").filter(pk__in=chosen)
                .order_by("next_attempt_at", "id"))


def backoff(attempts: int) -> datetime.timedelta:
    """After the n-th failed try: 30 s, 2 min, 10 min, 1 h, 3 h, 6 h, then 12 h; ±20 % jitter."""
    seconds = BACKOFF_SECONDS[min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1]
    return datetime.timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311 (not a secret)


def deliver_webhooks(*, ids: list[int] | None = None, worker: str | None = None, max_batches: int = 10,
                     now: datetime.datetime | None = None) -> dict[str, int]:
    """Claim and send due deliveries (only `ids`, when given) until none is left. Safe in any
    number of processes at once. `now`: the clock, for tests."""
    worker = worker or worker_name()
    counts = {"claimed": 0, "delivered": 0, "retrying": 0, "failed": 0, "disabled": 0}
    for _batch in range(max_batches):
        batch = claim_due(ids=ids, batch_size=settings.WEBHOOK_BATCH_SIZE, worker=worker, now=now)
        if not batch:
            break
        counts["claimed"] += len(batch)
        disabled: set[int] = set()  # a 410 in this batch stopped the rest of that subscription's
        for delivery in batch:
            if delivery.subscription_id in disabled:
                continue
            if now is None and delivery.lease_until is not None and timezone.now() + datetime.timedelta(
                    seconds=CONNECT_SECONDS + READ_SECONDS + 1) >= delivery.lease_until:
                # Too little of the lease is left for a whole post (slow receivers before it in
                # the batch): leave it to the sweep rather than risk another worker posting it too.
                continue
            outcome = _send_one(delivery, worker=worker, now=now)
            counts[outcome] = counts.get(outcome, 0) + 1
            if outcome == "disabled":
                disabled.add(delivery.subscription_id)
    return counts


def _send_one(delivery: WebhookDelivery, *, worker: str, now: datetime.datetime | None) -> str:
    subscription = delivery.subscription
    body = body_of(delivery)
    answer = post(subscription.url, body, signed_headers(delivery, subscription.secret, body))
    logger.info("webhook %s %s to %s: %s %s", delivery.message_id, delivery.event_type,
                urlsplit(subscription.url).hostname, answer.status_code or "-", answer.error)
    return _record(delivery, subscription, answer, worker=worker, now=now or timezone.now())


@transaction.atomic
def _record(delivery: WebhookDelivery, subscription: WebhookSubscription, answer: Answer, *, worker: str,
            now: datetime.datetime) -> str:
    if not WebhookDelivery.objects.select_for_update().filter(pk=delivery.pk).exists():
        return "gone"  # its subscription was deleted meanwhile, and its log with it
    WebhookAttempt.objects.create(delivery=delivery, at=now, status_code=answer.status_code,
                                  duration_ms=answer.duration_ms, error=answer.error[:300],
                                  response_excerpt=answer.excerpt[:500])
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, claimed_by=worker, status=DeliveryStatus.SENDING)
    attempts = delivery.attempts + 1
    common: dict[str, Any] = {"attempts": attempts, "lease_until": None, "last_status_code": answer.status_code,
                              "last_error": answer.error[:300]}
    code = answer.status_code
    if code is not None and 200 <= code < 300:
        mine.update(status=DeliveryStatus.DELIVERED, delivered_at=now, **common)
        return "delivered"
    if code == 410:
        mine.update(status=DeliveryStatus.CANCELLED, **common)
        webhook_disable(subscription=subscription, actor=None,
                        reason="The receiver answered 410 Gone: it asked us to stop.")
        return "disabled"
    next_attempt = now + backoff(attempts)
    if next_attempt > delivery.give_up_at:
        why = answer.error or f"answered {code}"
        mine.update(status=DeliveryStatus.FAILED, **{**common, "last_error": f"gave up: {why}"[:300]})
        return "failed"
    mine.update(status=DeliveryStatus.PENDING, next_attempt_at=next_attempt, **common)
    return "retrying"


def webhook_deliveries_prune(*, now: datetime.datetime | None = None) -> int:
    """Forget finished deliveries (and their tries) older than WEBHOOK_KEEP_DAYS (`webhooks_prune`)."""
    before = (now or timezone.now()) - datetime.timedelta(days=settings.WEBHOOK_KEEP_DAYS)
    deleted, _kinds = WebhookDelivery.objects.filter(
        created_at__lt=before,
        status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED]).delete()
    return deleted
