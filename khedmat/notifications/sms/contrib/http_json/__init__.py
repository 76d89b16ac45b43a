"""A generic HTTP JSON gateway, for operators and aggregators that offer one.

Sending: `POST <url>` with `{"to": "+93…", "text": "…", "id": "<idempotency key>",
"sender": "…", "callback_url": "<receipt url>"}`, `Authorization: Bearer <token>` and
`Idempotency-Key: <id>` (the same on every attempt of a message: a gateway that honours it
never sends one twice). A 2xx answer with `{"id": "<their reference>"}` means taken.

Receipts and inbound texts come back as JSON `POST`s signed like the payment callbacks:
`X-Khedmat-Timestamp: <unix seconds>` and `X-Khedmat-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>." + body with the shared secret>`. Receipt: `{"status": "delivered" | "accepted" |
"failed" | "rejected" | "expired" | "buffered", "detail": "…"}`; inbound: `{"from": "+93…",
"text": "…", "id": "<their id>"}`. docs/notifications.md has the whole format.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any, ClassVar

from django.http import HttpRequest

from khedmat.core.parsing import parse_int_or_none
from khedmat.notifications.sms.base import (
    Accepted,
    GatewayError,
    GatewayMisconfigured,
    InboundSms,
    OutgoingSms,
    Receipt,
    ReceiptStatus,
    SmsGateway,
)

TIMESTAMP_HEADER = "X-Khedmat-Timestamp"
SIGNATURE_HEADER = "X-Khedmat-Signature"
MAX_AGE_SECONDS = 300
_STATUSES = {
    "delivered": ReceiptStatus.DELIVERED,
    "accepted": ReceiptStatus.ACCEPTED,
    "sent": ReceiptStatus.ACCEPTED,
    "buffered": ReceiptStatus.BUFFERED,
    "queued": ReceiptStatus.BUFFERED,
    "failed": ReceiptStatus.PERMANENT_FAILURE,
    "rejected": ReceiptStatus.PERMANENT_FAILURE,
    "expired": ReceiptStatus.PERMANENT_FAILURE,
    "undeliverable": ReceiptStatus.PERMANENT_FAILURE,
}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class Gateway(SmsGateway):
    plugin: ClassVar[str] = "http_json"

    @property
    def sends_receipts(self) -> bool:  # type: ignore[override]
        return bool(self.option("receipts", True))

    def send(self, sms: OutgoingSms) -> Accepted:
        url = self.required_option("url")
        payload: dict[str, Any] = {"to": sms.to, "text": sms.body, "id": sms.idempotency_key}
        if self.option("sender"):
            payload["sender"] = self.option("sender")
        if sms.receipt_url:
            payload["callback_url"] = sms.receipt_url
        request = urllib.request.Request(  # noqa: S310 (the operator's configured https URL)
            url, data=json.dumps(payload, ensure_ascii=False).encode(), method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": sms.idempotency_key,
                     "Authorization": f"Bearer {self.option('token', '')}"})
        try:
            with urllib.request.urlopen(request, timeout=float(self.option("timeout", 10))) as response:  # noqa: S310
                body = response.read(4096)
        except urllib.error.HTTPError as error:
            detail = f"HTTP {error.code}: {error.read(300).decode(errors='replace')}"
            if error.code in (401, 403):
                raise GatewayMisconfigured(detail) from error
            if error.code in (400, 404, 422):
                raise GatewayError(detail, temporary=False) from error
            raise GatewayError(detail) from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise GatewayError(f"unreachable: {error}") from error
        try:
            reference = str(json.loads(body or b"{}").get("id", ""))
        except (ValueError, AttributeError):
            reference = ""
        return Accepted(reference=reference)

    def _signed_json(self, request: HttpRequest) -> dict[str, Any] | None:
        secret = self.option("secret", "")
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        given = request.headers.get(SIGNATURE_HEADER, "")
        sent_at = parse_int_or_none(timestamp)
        if not secret or sent_at is None or abs(time.time() - sent_at) > MAX_AGE_SECONDS:
            return None
        if not hmac.compare_digest(signature(secret, timestamp, request.body), given):
            return None
        try:
            data = json.loads(request.body)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def parse_receipt(self, request: HttpRequest) -> Receipt | None:
        data = self._signed_json(request)
        message_id = request.GET.get("m", "")
        status = _STATUSES.get(str((data or {}).get("status", "")).lower())
        message_pk = parse_int_or_none(message_id, minimum=1, maximum=2**63 - 1)
        if data is None or status is None or message_pk is None:
            return None
        return Receipt(message_id=message_pk, status=status, detail=str(data.get("detail", ""))[:200])

    def parse_inbound(self, request: HttpRequest) -> InboundSms | None:
        data = self._signed_json(request)
        if data is None or not data.get("from") or not isinstance(data.get("text"), str):
            return None
        return InboundSms(sender=str(data["from"]), text=data["text"], gateway_reference=str(data.get("id", ""))[:100])
