"""Writing messages into the outbox, and what gateways report back.

`message_queue` is called by subscribers inside the transaction of the change they tell
about (notices.py): the message commits with the change or not at all, and after the commit
it is handed to a worker (tasks.deliver; in-process when no broker is configured).
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from khedmat.accounts import selectors as account_selectors
from khedmat.core.caching import CACHE_UNAVAILABLE, cache_unavailable
from khedmat.core.inserts import insert_new
from khedmat.core.parsing import parse_int_or_none

from . import message_templates
from .models import FINAL_STATUSES, GatewayHealth, Message, MessageStatusChange, MessageTemplate, Status
from .sms.base import Receipt, ReceiptStatus

logger = logging.getLogger(__name__)
LANGUAGES = account_selectors.SMS_LANGUAGES


def language_for(phone: str, fallback: str = "") -> str:
    """The language to write to this number in (accounts.selectors.sms_language_for)."""
    return account_selectors.sms_language_for(phone_number=phone, acted_in=fallback)


def language_of(*choices: str) -> str:
    """The first of `choices` that is one of our languages ("fa-AF" counts as "fa"), else Dari."""
    return account_selectors.sms_language_of(*choices)


WORDINGS_CACHE_SECONDS = 300


def _wordings_cache_key(key: str, language: str) -> str:
    return f"sms-wordings:{key}:{language}"


def _overrides(key: str, language: str) -> dict[int, str]:
    """Administrators' wordings of one message in one language, by agency id (0: the
    platform's). Read on every message sent, changed rarely: cached, and dropped from the
    cache when one is saved (`wordings_changed`)."""
    cache_key = _wordings_cache_key(key, language)
    try:
        found: dict[int, str] | None = cache.get(cache_key)
    except CACHE_UNAVAILABLE as error:  # a copy only: the database has them (a Redis restart)
        cache_unavailable("SMS wordings", error)
        return _overrides_from_database(key, language)
    if found is None:
        found = _overrides_from_database(key, language)
        with contextlib.suppress(*CACHE_UNAVAILABLE):
            cache.set(cache_key, found, WORDINGS_CACHE_SECONDS)
    return found


def _overrides_from_database(key: str, language: str) -> dict[int, str]:
    return {row.agency_id or 0: row.body
            for row in MessageTemplate.objects.filter(key=key, language=language).only("agency_id", "body")}


def wordings_changed(*, key: str, language: str) -> None:
    """Call after saving or deleting a MessageTemplate: the next message reads it."""
    cache.delete(_wordings_cache_key(key, language))


def wording(*, key: str, language: str, agency_id: int | None = None) -> str:
    """The text of message `key` in `language`: the agency's wording, else the platform's,
    else the translated default."""
    kind = message_templates.KINDS[key]
    overrides = _overrides(key, language)
    if agency_id and kind.agency_may_edit and agency_id in overrides:
        return overrides[agency_id]
    if 0 in overrides:
        return overrides[0]
    return message_templates.default_wording(kind, language)


def message_queue(*, to: str, key: str, values: dict[str, str], language: str, reference: str = "",
                  agency_id: int | None = None) -> Message | None:
    """Write one SMS into the outbox, in the caller's transaction; None when there is no number.

    `values` are already written for the reader (their digits, their calendar)."""
    if not to:
        return None
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("queue a message inside the transaction of the change it tells about")
    kind = message_templates.KINDS[key]
    body = message_templates.fill(wording(key=key, language=language, agency_id=agency_id), values)
    now = timezone.now()
    message = insert_new(Message(
        to=to, body=body, language=language, template=key, reference=reference[:60], agency_id=agency_id,
        sensitive=kind.sensitive, next_attempt_at=now, created_at=now,
        give_up_at=now + datetime.timedelta(hours=settings.SMS_RETRY_HOURS),
    ))
    _deliver_after_commit(message.pk)
    return message


class _HandOff:
    """The messages one transaction (or one savepoint of it) queued, handed to a worker in one
    task after the commit: a call that texts the person called and the person whose turn is
    near publishes once, not twice (a publish costs ~0.7 ms of the web request: kombu builds a
    Redis client for each)."""

    def __init__(self) -> None:
        self.message_ids: list[int] = []

    def __call__(self) -> None:
        from .tasks import deliver_soon  # imports Celery's app, which needs settings loaded

        deliver_soon(self.message_ids)


def _deliver_after_commit(message_id: int) -> None:
    """After the commit (never for a rollback), a worker takes the message at once; the
    periodic sweep (`deliver_due`) catches any hand-off that was lost on the way.

    Messages queued at the same savepoint depth share one hand-off: Django forgets a
    savepoint's commit hooks when it rolls back, and with them exactly the messages it wrote.
    (`run_on_commit` holds Django's `(savepoint ids, hook, robust)`; a test pins this.)"""
    connection = transaction.get_connection()
    depth = set(connection.savepoint_ids)
    for savepoints, hook, _robust in reversed(connection.run_on_commit):
        if isinstance(hook, _HandOff) and savepoints == depth:
            hook.message_ids.append(message_id)
            return
    hand_off = _HandOff()
    hand_off.message_ids.append(message_id)
    transaction.on_commit(hand_off)


def message_retry(*, message: Message, actor: object = None) -> Message:
    """Send a failed message again from now (an administrator's retry)."""
    now = timezone.now()
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.status not in (Status.TEMPORARY_FAILURE, Status.PERMANENT_FAILURE, Status.TECHNICAL_FAILURE):
            return locked
        locked.status = Status.CREATED
        locked.next_attempt_at = now
        locked.give_up_at = now + datetime.timedelta(hours=settings.SMS_RETRY_HOURS)
        locked.lease_until = None
        locked.failed_at = None
        locked.status_detail = ""
        locked.save()
        who = getattr(actor, "username", "") or ""
        MessageStatusChange.objects.create(message=locked, status=Status.CREATED, at=now,
                                           detail=f"retry asked by {who}"[:300] if who else "retry")
        _deliver_after_commit(locked.pk)
    return locked


# --- delivery receipts -------------------------------------------------------------------

def receipt_signature(*, gateway: str, message_id: int) -> str:
    key = (settings.SMS_RECEIPT_SECRET or settings.SECRET_KEY).encode()
    return hmac.new(key, f"receipt:{gateway}:{message_id}".encode(), hashlib.sha256).hexdigest()[:32]


def receipt_url(*, gateway: str, message_id: int) -> str:
    """Where `gateway` reports on this message: signed, so that nobody else can."""
    base = str(settings.SMS_CALLBACK_BASE_URL or settings.PUBLIC_BASE_URL).rstrip("/")
    query = urlencode({"m": message_id, "sig": receipt_signature(gateway=gateway, message_id=message_id)})
    return f"{base}/sms/receipts/{gateway}/?{query}"


def receipt_signature_valid(*, gateway: str, message_id: str, signature: str) -> bool:
    message_pk = parse_int_or_none(message_id, minimum=1, maximum=2**63 - 1)
    if message_pk is None:
        return False
    return hmac.compare_digest(receipt_signature(gateway=gateway, message_id=message_pk), signature or "")


@transaction.atomic
def receipt_apply(*, gateway: str, receipt: Receipt) -> bool | None:
    """Apply a delivery receipt. None: no such message; False: it changed nothing (a replay,
    or news older than what is known); True: the message moved.

    A receipt also proves a hand-over the outbox did not get to record (a worker that died
    just after the gateway took the message), so that message is never sent again."""
    message = Message.objects.select_for_update().filter(pk=receipt.message_id).first()
    if message is None:
        return None
    now = timezone.now()
    _gateway_heard_from(gateway, now)
    status = receipt.status
    changed = False
    if message.handed_over_at is None and status != ReceiptStatus.BUFFERED:
        message.handed_over_at = now
        message.gateway = message.gateway or gateway
        changed = True
    if status == ReceiptStatus.ACCEPTED and message.accepted_at is None:
        message.accepted_at = now
        changed = True
    elif status == ReceiptStatus.DELIVERED and message.status != Status.DELIVERED:
        message.status = Status.DELIVERED
        message.delivered_at = now
        message.accepted_at = message.accepted_at or now
        changed = True
    elif status == ReceiptStatus.PERMANENT_FAILURE and message.status not in FINAL_STATUSES:
        message.status = Status.PERMANENT_FAILURE
        message.failed_at = now
        changed = True
    if not changed:
        return False
    if message.status == Status.SENDING:
        message.lease_until = None  # proven handed over: no worker may take it again
    message.status_detail = f"receipt: {status}"[:300]
    message.save()
    MessageStatusChange.objects.create(message=message, status=message.status, at=now, gateway=gateway,
                                       detail=f"receipt: {status} {receipt.detail}".replace("\x00", "").strip()[:300])
    return True


def _gateway_heard_from(gateway: str, now: datetime.datetime) -> None:
    """Receipts arrive: the gateway is alive. Written at most every few seconds (one row per
    gateway is shared by every receipt and every worker): a hand-over a moment ago may wait
    for the next receipt to be cleared, as silence counts only after many minutes."""
    recently = now - datetime.timedelta(seconds=5)
    GatewayHealth.objects.filter(name=gateway).filter(
        Q(awaiting_receipt_since__lt=recently) | Q(last_receipt_at__isnull=True) | Q(last_receipt_at__lt=recently),
    ).update(last_receipt_at=now, awaiting_receipt_since=None)
