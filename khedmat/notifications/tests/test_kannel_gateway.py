"""The Kannel plug-in against a real Kannel (bearerbox + smsbox + the fakesmsc test SMSC).

Skips without Kannel (apt-get install kannel kannel-extras); fails instead when CI is set.
One Kannel serves the whole module; each test uses its own phone numbers.
"""

from __future__ import annotations

import socket
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import RequestFactory

from khedmat.notifications.sms.base import (
    Accepted,
    GatewayError,
    GatewayMisconfigured,
    OutgoingSms,
    Receipt,
    ReceiptStatus,
)
from khedmat.notifications.sms.contrib.kannel import Gateway, _accepted_or_raise
from khedmat.notifications.sms.encoding import sms_length
from khedmat.notifications.tests.kannel import (
    GLOBAL_SENDER,
    FakeSmscMessage,
    Kannel,
    RecordingServer,
    free_port,
    recording_server,
    require_kannel,
    running_kannel,
    wait_for,
)

DARI = "آسان خدمت: درخواست شما MOI-PSP-1405-000123 ثبت شد. فیس ۵۰۰۰ افغانی"
PASHTO = "آسان خدمت: ستاسو غوښتنه ثبت شوه. ۍ ښ ځ ړ ټ ډ ګ"
ENGLISH = "Asan Khedmat: application MOI-PSP-1405-000123 [received]. Fee 5000 AFN, not €."
LONG_DARI = "آسان خدمت: درخواست شما MOI-PSP-1405-000123 ثبت شد. لطفاً با تذکره اصلی به مرکز خدمات مراجعه کنید."


@pytest.fixture(scope="module")
def http_server() -> Iterator[RecordingServer]:
    with recording_server() as server:
        yield server


@pytest.fixture(scope="module")
def kannel(tmp_path_factory: pytest.TempPathFactory, http_server: RecordingServer) -> Iterator[Kannel]:
    require_kannel()
    workdir: Path = tmp_path_factory.mktemp("kannel")
    with running_kannel(workdir, inbound_url=f"{http_server.url}/sms/inbound/kannel/?key=secret") as running:
        yield running


def sms(to: str, body: str, *, message_id: int = 1, receipt_url: str = "") -> OutgoingSms:
    return OutgoingSms(message_id=message_id, to=to, body=body, idempotency_key=f"k{message_id}",
                       receipt_url=receipt_url)


def texts_to(kannel: Kannel, receiver: str) -> list[str]:
    return [text for _, to, text in kannel.received_texts() if to == receiver]


def test_gsm7_dari_and_pashto_reach_the_smsc_exactly(kannel: Kannel) -> None:
    gateway = Gateway(name="kannel", options=kannel.gateway_options())
    sent = {"+93700000101": ENGLISH, "+93700000102": DARI, "+93700000103": PASHTO}
    for to, body in sent.items():
        gateway.send(sms(to, body))

    wait_for(lambda: all(texts_to(kannel, to) for to in sent), what="the three messages")
    for to, body in sent.items():
        assert texts_to(kannel, to) == [body]
    by_receiver = {message.receiver: message for message in kannel.received()}
    assert by_receiver["+93700000101"].kind == "text"  # GSM-7, € and [ ] included
    assert by_receiver["+93700000102"].kind == "ucs-2"
    assert by_receiver["+93700000102"].payload == DARI.encode("utf-16-be")
    assert by_receiver["+93700000103"].payload == PASHTO.encode("utf-16-be")
    assert by_receiver["+93700000103"].sender == GLOBAL_SENDER


def test_a_long_dari_text_arrives_as_two_concatenated_parts(kannel: Kannel) -> None:
    assert sms_length(LONG_DARI).parts == 2
    Gateway(name="kannel", options=kannel.gateway_options(sender="7755")).send(sms("+93700000104", LONG_DARI))

    def both_parts() -> list[FakeSmscMessage]:
        parts = [message for message in kannel.received() if message.receiver == "+93700000104"]
        return parts if len(parts) >= 2 else []

    parts = wait_for(both_parts, what="two parts")
    # bearerbox splits it (67 UCS-2 characters a part, a concatenation UDH on each).
    assert [part.kind for part in parts] == ["udh", "udh"]
    first, second = parts[0].concatenation, parts[1].concatenation
    assert first is not None and second is not None
    assert (first[1:], second[1:]) == ((2, 1), (2, 2))  # (parts, this part)
    assert first[0] == second[0]  # one reference
    assert parts[0].payload == LONG_DARI[:67].encode("utf-16-be")
    assert b"".join(part.payload for part in parts) == LONG_DARI.encode("utf-16-be")
    assert texts_to(kannel, "+93700000104") == [LONG_DARI]
    assert {part.sender for part in parts} == {"7755"}


def test_delivery_receipts_come_back_to_the_receipt_url(kannel: Kannel, http_server: RecordingServer) -> None:
    receipt_url = f"{http_server.url}/sms/receipts/kannel/?m=42&sig=abc"
    Gateway(name="kannel", options=kannel.gateway_options()).send(sms("+93700000105", DARI, receipt_url=receipt_url))

    # The fake SMSC reports both "SMSC submit" (8) and "delivered" (1) at once.
    paths = http_server.wait_for_paths(lambda path: path.startswith("/sms/receipts/kannel/?m=42&"), count=2)
    types = set()
    gateway = Gateway(name="kannel")
    for path in paths:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        assert query["m"] == ["42"] and query["sig"] == ["abc"]
        types.add(query["type"][0])
        receipt = gateway.parse_receipt(RequestFactory().get(path))
        assert receipt is not None
        assert receipt.message_id == 42
        assert receipt.status in (ReceiptStatus.ACCEPTED, ReceiptStatus.DELIVERED)
    assert types == {"1", "8"}
    delivered = next(path for path in paths if path.endswith("type=1"))
    assert gateway.parse_receipt(RequestFactory().get(delivered)) == Receipt(
        42, ReceiptStatus.DELIVERED, detail="Kannel DLR type 1")


@pytest.mark.parametrize(("phone", "text"), [
    ("+93700000201", "وضعیت MOI-PSP-1405-000123"),
    ("+93700000202", "حالت ۱۲۳"),
    ("+93700000203", "  دو  فاصله\nښ ځ ړ 😀 + & %"),  # spaces, a line break and an emoji kept as sent
])
def test_an_inbound_dari_text_reaches_the_inbound_url_exactly(
    kannel: Kannel, http_server: RecordingServer, phone: str, text: str
) -> None:
    kannel.inject(phone, "1234", text)

    needle = "from=" + urllib.parse.quote(phone)
    [path] = http_server.wait_for_paths(lambda path: path.startswith("/sms/inbound/kannel/") and needle in path)
    inbound = Gateway(name="kannel").parse_inbound(RequestFactory().get(path))
    assert inbound is not None
    assert inbound.sender == phone
    assert inbound.text == text
    assert inbound.gateway_reference  # Kannel's message id (%I)


def test_wrong_password_is_a_misconfiguration(kannel: Kannel) -> None:
    gateway = Gateway(name="kannel", options=kannel.gateway_options(password="wrong"))
    with pytest.raises(GatewayMisconfigured, match="403"):
        gateway.send(sms("+93700000106", "hello"))


def test_a_denied_number_is_a_permanent_failure(kannel: Kannel) -> None:
    gateway = Gateway(name="kannel", options=kannel.gateway_options())
    with pytest.raises(GatewayError, match="denied") as raised:
        gateway.send(sms("+93799000107", "hello"))
    assert raised.type is GatewayError
    assert raised.value.temporary is False


def test_nobody_listening_is_a_temporary_failure() -> None:
    options = {"url": f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms", "username": "u", "password": "p"}
    with pytest.raises(GatewayError) as raised:
        Gateway(name="kannel", options=options).send(sms("+93700000108", "hello"))
    assert raised.type is GatewayError
    assert raised.value.temporary is True


def test_no_answer_in_time_is_a_temporary_failure() -> None:
    with socket.socket() as silent:  # listens, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        options = {"url": f"http://127.0.0.1:{silent.getsockname()[1]}/cgi-bin/sendsms", "username": "u",
                   "password": "p", "timeout": 0.2}
        with pytest.raises(GatewayError, match=r"within 0\.2 s") as raised:
            Gateway(name="kannel", options=options).send(sms("+93700000109", "hello"))
    assert raised.value.temporary is True


@pytest.mark.parametrize(("status", "answer", "error", "temporary"), [
    (503, "Temporal failure, try again later.", GatewayError, True),
    (400, "Number(s) has/have been denied by white- and/or black-lists.", GatewayError, False),
    (400, "Charset or body misformed, rejected", GatewayMisconfigured, False),
    (404, "", GatewayMisconfigured, False),
    (200, "<html>not Kannel</html>", GatewayMisconfigured, False),
])
def test_kannel_answers_map_to_errors(status: int, answer: str, error: type[GatewayError], temporary: bool) -> None:
    with pytest.raises(GatewayError) as raised:
        _accepted_or_raise(status, answer)
    assert raised.type is error
    assert raised.value.temporary is temporary


def test_queued_for_later_is_accepted() -> None:
    assert _accepted_or_raise(202, "3: Queued for later delivery") == Accepted()


# Without Kannel: what the plug-in makes of Kannel's calls.

@pytest.mark.parametrize(("dlr_type", "status"), [
    ("1", ReceiptStatus.DELIVERED),
    ("2", ReceiptStatus.PERMANENT_FAILURE),
    ("4", ReceiptStatus.BUFFERED),
    ("8", ReceiptStatus.ACCEPTED),
    ("16", ReceiptStatus.PERMANENT_FAILURE),
])
def test_each_dlr_type_has_a_receipt_status(dlr_type: str, status: str) -> None:
    request = RequestFactory().get(f"/sms/receipts/kannel/?m=7&sig=abc&type={dlr_type}")
    receipt = Gateway(name="kannel").parse_receipt(request)
    assert receipt is not None
    assert (receipt.message_id, receipt.status) == (7, status)


@pytest.mark.parametrize("query", ["m=7&sig=abc", "sig=abc&type=1", "m=x&type=1", "m=7&type=%d", "m=7&type=3"])
def test_a_request_that_is_no_receipt_gives_none(query: str) -> None:
    assert Gateway(name="kannel").parse_receipt(RequestFactory().get(f"/sms/receipts/kannel/?{query}")) is None


def test_inbound_text_in_utf16_is_decoded_with_the_charset_kannel_names() -> None:
    """Without mo-recode Kannel passes the UCS-2 bytes on; charset=%C says so."""
    text = "حالت ۱۲۳"
    query = urllib.parse.urlencode({"key": "k", "from": "+93700000301"}) + "&text=" + urllib.parse.quote_plus(
        text.encode("utf-16-be")) + "&charset=UTF-16BE"
    inbound = Gateway(name="kannel").parse_inbound(RequestFactory().get(f"/sms/inbound/kannel/?{query}"))
    assert inbound is not None
    assert (inbound.sender, inbound.text) == ("+93700000301", text)


def test_inbound_without_sender_or_text_gives_none() -> None:
    gateway = Gateway(name="kannel")
    assert gateway.parse_inbound(RequestFactory().get("/sms/inbound/kannel/?key=k&text=hi")) is None
    assert gateway.parse_inbound(RequestFactory().get("/sms/inbound/kannel/?key=k&from=%2B93700000302")) is None


def test_sendsms_request_carries_coding_and_the_dlr_url() -> None:
    gateway = Gateway(name="kannel", options={"url": "http://kannel:13013/cgi-bin/sendsms", "username": "u",
                                              "password": "p", "smsc": "operator1", "sender": "AsanKhedmat"})
    url = gateway._sendsms_url(sms("+93700000303", DARI, receipt_url="https://x.af/sms/receipts/kannel/?m=5&sig=ab"))
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["coding"] == ["2"] and query["charset"] == ["UTF-8"] and query["text"] == [DARI]
    assert query["dlr-url"] == ["https://x.af/sms/receipts/kannel/?m=5&sig=ab&type=%d"]
    assert query["dlr-mask"] == ["31"] and query["smsc"] == ["operator1"] and query["from"] == ["AsanKhedmat"]
    plain = urllib.parse.parse_qs(urllib.parse.urlsplit(gateway._sendsms_url(sms("+93700000303", ENGLISH))).query)
    assert plain["coding"] == ["0"] and "dlr-url" not in plain and "dlr-mask" not in plain


def test_missing_options_are_a_misconfiguration() -> None:
    with pytest.raises(GatewayMisconfigured, match="password"):
        Gateway(name="kannel", options={"url": "http://kannel/cgi-bin/sendsms", "username": "u"}).send(
            sms("+93700000304", "hi"))
    with pytest.raises(GatewayMisconfigured, match="http"):
        Gateway(name="kannel", options={"url": "file:///etc/passwd", "username": "u", "password": "p"}).send(
            sms("+93700000304", "hi"))


def test_receipts_are_expected_when_dlr_mask_asks_for_delivery() -> None:
    assert Gateway(name="kannel").sends_receipts is True
    assert Gateway(name="kannel", options={"dlr_mask": 8}).sends_receipts is False
    assert Gateway(name="kannel", options={"dlr_mask": 19}).sends_receipts is True
