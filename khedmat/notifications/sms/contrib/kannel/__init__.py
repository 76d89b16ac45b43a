"""Kannel: the open-source SMS gateway that speaks SMPP to an operator's SMSC for us.

We talk to its smsbox over HTTP: `send` calls the sendsms interface; Kannel calls back the
receipt URL for every delivery report and the inbound URL (an `sms-service` get-url) for
every text a citizen sends. deploy/kannel/ has the configuration that goes with this.

Options: `url` (smsbox's sendsms URL), `username`, `password`, `smsc` (an smsc-id to route
to), `sender` (the `from`), `dlr_mask` (default 31: every report), `timeout` (seconds, 10).
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from typing import ClassVar, Protocol

from django.http import HttpRequest

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
from khedmat.notifications.sms.encoding import needs_ucs2

# Kannel's DLR types (the `%d` of a dlr-url), one per report.
DLR_STATUS = {
    1: ReceiptStatus.DELIVERED,
    2: ReceiptStatus.PERMANENT_FAILURE,  # the operator gave up: undeliverable
    4: ReceiptStatus.BUFFERED,  # the operator keeps it queued
    8: ReceiptStatus.ACCEPTED,  # "SMSC submit": the operator took it
    16: ReceiptStatus.PERMANENT_FAILURE,  # "SMSC reject": the operator refused it
}

# sendsms's answers (HTTP 202) when it took the message: accepted, or queued because the
# operator's link is down for now (Kannel delivers it when the link comes back).
ACCEPTED_ANSWERS = ("0:", "3:")
# The 400 answer for a number the sendsms-user's white-/black-list (or its sendsms-chars) refuses.
DENIED_NUMBER = "denied by white- and/or black-lists"
# Kannel's answer is a short line; more than this is not Kannel.
MAX_ANSWER = 1000


class Gateway(SmsGateway):
    """Sends through a Kannel smsbox; reads its delivery reports and inbound texts."""

    plugin: ClassVar[str] = "kannel"

    @property
    def sends_receipts(self) -> bool:  # type: ignore[override]
        """Receipts of delivery come only if dlr_mask asks for them (1 delivered, 2 failed)."""
        try:
            return bool(int(self.option("dlr_mask", 31)) & 0x03)
        except (TypeError, ValueError):
            return True  # send() reports the bad option

    def send(self, sms: OutgoingSms) -> Accepted:
        """One GET to sendsms; Kannel answers at once, before the operator has the message."""
        url = self._sendsms_url(sms)
        request = urllib.request.Request(url, method="GET")  # noqa: S310 (scheme checked in _sendsms_url)
        try:
            with urllib.request.urlopen(request, timeout=self._timeout()) as response:  # noqa: S310
                status, answer = response.status, _read_answer(response)
        except urllib.error.HTTPError as error:
            status, answer = error.code, _read_answer(error)
            error.close()
        except TimeoutError as error:
            raise GatewayError(f"Kannel did not answer within {self._timeout()} s ({error})") from error
        except urllib.error.URLError as error:  # refused, unreachable, DNS, TLS
            raise GatewayError(f"Kannel is unreachable: {error.reason}") from error
        except OSError as error:  # the connection broke mid-answer
            raise GatewayError(f"Kannel's answer broke off: {error}") from error
        return _accepted_or_raise(status, answer)

    def parse_receipt(self, request: HttpRequest) -> Receipt | None:
        """Kannel calls the receipt URL with `type=<DLR type>` added to our `m=<message id>`."""
        try:
            message_id = int(request.GET.get("m", ""))
            dlr_type = int(request.GET.get("type", ""))
        except ValueError:
            return None
        status = DLR_STATUS.get(dlr_type)
        if status is None or message_id <= 0:
            return None
        return Receipt(message_id=message_id, status=status, detail=f"Kannel DLR type {dlr_type}")

    def parse_inbound(self, request: HttpRequest) -> InboundSms | None:
        """Read `from` and `text` (Kannel's %p and %b) as raw bytes and decode `text` in the
        `charset` Kannel names (its %C; UTF-8 when absent, as smsbox's `mo-recode` makes it):
        Django's request.GET would have decoded UTF-16 bytes as UTF-8 and mangled them."""
        fields = _raw_query(request.META.get("QUERY_STRING", ""))
        sender, text = fields.get("from"), fields.get("text")
        if not sender or text is None:
            return None
        charset = fields.get("charset", b"").decode("ascii", "replace").strip()
        if not charset:
            charset = "utf-16-be" if fields.get("coding") == b"2" else "utf-8"
        try:
            decoded = text.decode(charset)
            sender_text = sender.decode("utf-8").strip()
        except (LookupError, UnicodeDecodeError):
            return None
        reference = fields.get("id", b"").decode("utf-8", "replace")[:100]
        return InboundSms(sender=sender_text, text=decoded, gateway_reference=reference)

    def _sendsms_url(self, sms: OutgoingSms) -> str:
        url = self.required_option("url")
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise GatewayMisconfigured(f"gateway {self.name!r}: option 'url' must be an http(s) URL")
        params: dict[str, str] = {
            "username": self.required_option("username"),
            "password": self.required_option("password"),
            "to": sms.to,
            "text": sms.body,
            "charset": "UTF-8",
            # Kannel would send UTF-8 text as GSM-7 and lose what the alphabet lacks: say UCS-2.
            "coding": "2" if needs_ucs2(sms.body) else "0",
        }
        if self.option("sender"):
            params["from"] = str(self.option("sender"))
        if self.option("smsc"):
            params["smsc"] = str(self.option("smsc"))
        if sms.receipt_url:
            params["dlr-mask"] = str(self._int_option("dlr_mask", 31))
            # Kannel replaces %d with the DLR type when it calls the URL back.
            separator = "&" if urllib.parse.urlsplit(sms.receipt_url).query else "?"
            params["dlr-url"] = f"{sms.receipt_url}{separator}type=%d"
        separator = "&" if urllib.parse.urlsplit(url).query else "?"
        return f"{url}{separator}{urllib.parse.urlencode(params)}"

    def _timeout(self) -> float:
        try:
            return float(self.option("timeout", 10))
        except (TypeError, ValueError) as error:
            raise GatewayMisconfigured(f"gateway {self.name!r}: option 'timeout' must be a number") from error

    def _int_option(self, key: str, default: int) -> int:
        try:
            return int(self.option(key, default))
        except (TypeError, ValueError) as error:
            raise GatewayMisconfigured(f"gateway {self.name!r}: option {key!r} must be a whole number") from error


class _Readable(Protocol):
    def read(self, amount: int, /) -> bytes: ...


def _read_answer(response: _Readable) -> str:
    """The first bytes of Kannel's answer, as text (it is one short line)."""
    try:
        body = response.read(MAX_ANSWER)
    except OSError:
        return ""
    return body.decode("utf-8", "replace").strip()


def _accepted_or_raise(status: int, answer: str) -> Accepted:
    """Kannel's HTTP status says whose fault a refusal is; its text says which refusal."""
    detail = f"Kannel answered {status}: {answer[:200]!r}"
    if 200 <= status < 300:
        if answer.startswith(ACCEPTED_ANSWERS):
            return Accepted()
        raise GatewayMisconfigured(f"{detail}; is 'url' Kannel's sendsms?")
    if status >= 500:
        raise GatewayError(detail, temporary=True)
    if status == 400 and (DENIED_NUMBER in answer or answer.startswith("Missing receiver")):
        raise GatewayError(detail, temporary=False)  # this number, never through this gateway
    # 403 "Authorization failed for sendsms", 404, and the 400s for a request Kannel cannot
    # read (coding, charset, sender): our configuration, not this message.
    raise GatewayMisconfigured(detail)


def _raw_query(query: str) -> dict[str, bytes]:
    """The query string's fields, percent-decoded to bytes (the first of each name)."""
    fields: dict[str, bytes] = {}
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        key = urllib.parse.unquote_plus(name)
        if key and key not in fields:
            fields[key] = urllib.parse.unquote_to_bytes(value.replace("+", " "))
    return fields
