"""The generic HTTP JSON gateway against a small local server that plays the operator."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import RequestFactory

from khedmat.notifications.sms.base import GatewayError, GatewayMisconfigured, OutgoingSms, ReceiptStatus
from khedmat.notifications.sms.contrib.http_json import Gateway, signature

SECRET = "shared-secret-for-tests"


class Operator:
    """What the operator's API answers next, and everything it was sent."""

    def __init__(self) -> None:
        self.status = 200
        self.body: dict[str, Any] = {"id": "op-1"}
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []


@pytest.fixture
def operator() -> Iterator[tuple[Operator, str]]:
    state = Operator()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            state.received.append((dict(self.headers), json.loads(self.rfile.read(length))))
            payload = json.dumps(state.body).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/v1/messages"
    server.shutdown()
    server.server_close()


def _gateway(url: str, **options: Any) -> Gateway:
    return Gateway(name="json", priority=1, options={"url": url, "token": "tok", "secret": SECRET, **options})


SMS = OutgoingSms(message_id=7, to="+93700123456", body="آسان خدمت: نوبت P-۰۱۲", idempotency_key="key-7",
                  receipt_url="http://platform/sms/receipts/json/?m=7&sig=abc")


def test_a_message_is_posted_with_its_idempotency_key_and_callback(operator: tuple[Operator, str]) -> None:
    state, url = operator
    accepted = _gateway(url, sender="KHEDMAT").send(SMS)
    assert accepted.reference == "op-1"
    headers, body = state.received[0]
    assert headers["Idempotency-Key"] == "key-7" and headers["Authorization"] == "Bearer tok"
    assert body == {"to": "+93700123456", "text": SMS.body, "id": "key-7", "sender": "KHEDMAT",
                    "callback_url": SMS.receipt_url}


@pytest.mark.parametrize(("status", "error", "temporary"), [
    (503, GatewayError, True), (429, GatewayError, True), (422, GatewayError, False),
    (401, GatewayMisconfigured, False),
])
def test_the_operators_answers_map_to_the_outbox_outcomes(operator: tuple[Operator, str], status: int,
                                                          error: type[GatewayError], temporary: bool) -> None:
    state, url = operator
    state.status, state.body = status, {"error": "no"}
    with pytest.raises(error) as raised:
        _gateway(url).send(SMS)
    assert raised.value.temporary is temporary


def test_an_unreachable_operator_is_a_temporary_failure() -> None:
    with pytest.raises(GatewayError) as raised:
        _gateway("http://127.0.0.1:9/v1/messages", timeout=2).send(SMS)
    assert raised.value.temporary


def _signed(path: str, body: dict[str, Any], *, secret: str = SECRET, age: int = 0) -> Any:
    raw = json.dumps(body).encode()
    timestamp = str(int(time.time()) - age)
    return RequestFactory().post(path, raw, content_type="application/json",
                                 headers={"X-Khedmat-Timestamp": timestamp,
                                          "X-Khedmat-Signature": signature(secret, timestamp, raw)})


def test_receipts_and_texts_must_be_signed_and_fresh() -> None:
    gateway = _gateway("http://unused")
    receipt = gateway.parse_receipt(_signed("/sms/receipts/json/?m=7&sig=x", {"status": "delivered"}))
    assert receipt is not None and (receipt.message_id, receipt.status) == (7, ReceiptStatus.DELIVERED)
    assert gateway.parse_receipt(_signed("/sms/receipts/json/?m=7", {"status": "delivered"}, secret="other")) is None
    assert gateway.parse_receipt(_signed("/sms/receipts/json/?m=7", {"status": "delivered"}, age=3600)) is None
    assert gateway.parse_receipt(_signed("/sms/receipts/json/?m=7", {"status": "teleported"})) is None
    text = gateway.parse_inbound(_signed("/sms/inbound/json/", {"from": "+93700123456", "text": "وضعیت", "id": "9"}))
    assert text is not None and (text.sender, text.text, text.gateway_reference) == ("+93700123456", "وضعیت", "9")
