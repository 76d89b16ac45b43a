"""Banks and mobile-money operators: the applicant pays with the reference at a branch, an
agent or a phone; the operator notifies the platform by an HMAC-signed HTTP callback.

The callback format is in docs/payments.md. Each operator has its own shared secret
(`PAYMENT_CALLBACK_SECRETS`, "name=secret,…"); a notice is accepted only if its signature
matches its raw body and its timestamp is within `PAYMENT_CALLBACK_MAX_AGE_SECONDS`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from khedmat.core.parsing import parse_int_or_none
from khedmat.payments.base import PaymentProvider
from khedmat.payments.models import PaymentCallbackLog, PaymentOrder
from khedmat.payments.services import PaymentNotice

TIMESTAMP_HEADER = "X-Khedmat-Timestamp"
SIGNATURE_HEADER = "X-Khedmat-Signature"
_OPERATOR = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
Outcome = PaymentCallbackLog.Outcome
# More afghani than any order (a fee is at most 10,000,000) and less than a database integer holds.
MAX_AMOUNT = 10**12


@dataclass
class CallbackRefused(Exception):
    outcome: str
    http_status: int


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value: sha256=HMAC-SHA256(secret, "<timestamp>." + body) in hex."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class BankCallbackProvider(PaymentProvider):
    name = "bank_callback"
    label = _("Bank or mobile money")

    def instructions(self, order: PaymentOrder) -> str | Promise:
        return _("Pay at a branch of a participating bank or through a mobile-money agent or app: "
                 "give the payment reference and the exact amount. The payment shows here within minutes.")

    def is_enabled(self) -> bool:
        """In use, and at least one operator has a shared secret."""
        return super().is_enabled() and bool(self.operators())

    def operators(self) -> dict[str, str]:
        return {name: secret for name, secret in settings.PAYMENT_CALLBACK_SECRETS.items() if secret}

    def verify(self, *, operator: str, timestamp: str, signature_header: str, body: bytes, now: float) -> None:
        """Refuse (CallbackRefused) a notice not signed by `operator`'s secret, or too old."""
        secret = self.operators().get(operator) if _OPERATOR.match(operator) else None
        if secret is None:
            raise CallbackRefused(Outcome.BAD_SIGNATURE, 401)
        if not hmac.compare_digest(signature(secret, timestamp, body), signature_header):
            raise CallbackRefused(Outcome.BAD_SIGNATURE, 401)
        sent_at = parse_int_or_none(timestamp)
        if sent_at is None or abs(now - sent_at) > settings.PAYMENT_CALLBACK_MAX_AGE_SECONDS:
            # Signed but outside the window: a replay of an old notice, or a clock far off.
            raise CallbackRefused(Outcome.STALE, 400)

    def parse(self, *, operator: str, body: bytes) -> PaymentNotice:
        """The notice in a verified body, or CallbackRefused(malformed)."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise CallbackRefused(Outcome.MALFORMED, 400) from error
        if not isinstance(data, dict):
            raise CallbackRefused(Outcome.MALFORMED, 400)
        reference, transaction_id = data.get("reference"), data.get("transaction_id")
        amount, status, currency = data.get("amount"), data.get("status"), data.get("currency", "AFN")
        # Bounded as the database stores them: a NUL in a text or an amount beyond a bigint
        # was a server error (PostgreSQL), signed or not.
        if not (isinstance(reference, str) and 0 < len(reference) <= 40
                and isinstance(transaction_id, str) and 0 < len(transaction_id) <= 100
                and isinstance(amount, int) and not isinstance(amount, bool) and 0 <= amount <= MAX_AMOUNT
                and status in ("paid", "failed") and isinstance(currency, str) and len(currency) <= 3
                and "\x00" not in reference + transaction_id + currency):
            raise CallbackRefused(Outcome.MALFORMED, 400)
        return PaymentNotice(plugin=self.name, provider=operator, reference=reference.strip().upper(),
                             transaction_id=transaction_id, amount=amount, status=status, currency=currency)


provider = BankCallbackProvider()
