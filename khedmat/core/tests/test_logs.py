"""Log lines are JSON objects in production and never carry a citizen's personal data."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from structlog.contextvars import bound_contextvars

from khedmat.core.logs import formatter, get_logger, logging_config, redact_text

PHONE = "+93799123456"
LOCAL_PHONE = "0799 123 456"
TAZKIRA = "1400-0101-12345"
DARI_PHONE = "۰۷۹۹۱۲۳۴۵۶"  # the same kind of number typed in Eastern Arabic digits


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Everything logged while the test runs, as production writes it (JSON, one object a line)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_our_lines_and_djangos_are_json_objects_with_the_same_keys(json_lines: io.StringIO) -> None:
    with bound_contextvars(request_id="req-12345678"):
        get_logger("khedmat.test").info("ticket issued", center="KBL", waiting=4)
        logging.getLogger("django.request").warning("Not Found: %s", "/en/nowhere/")
    ours, djangos = lines(json_lines)
    for line in (ours, djangos):
        assert {"timestamp", "level", "logger", "event", "request_id"} <= set(line)
        assert line["request_id"] == "req-12345678"
    assert ours["event"] == "ticket issued" and ours["center"] == "KBL" and ours["waiting"] == 4
    assert djangos["logger"] == "django.request" and djangos["level"] == "warning"
    assert djangos["event"] == "Not Found: /en/nowhere/"


def test_personal_keys_are_masked_and_numbers_in_messages_redacted(json_lines: io.StringIO) -> None:
    log = get_logger("khedmat.test")
    log.info(f"code sent to {PHONE}", phone_number=PHONE, full_name="Ahmad Karimi", tazkira_number=TAZKIRA,
             email="ahmad@example.af", details={"to": LOCAL_PHONE, "center": "KBL"})
    log.warning(f"citizen typed {DARI_PHONE} and tazkira {TAZKIRA}; local form {LOCAL_PHONE}")
    logging.getLogger("django.db").error("duplicate key (phone_number)=(%s)", PHONE)
    output = json_lines.getvalue()
    for secret in (PHONE, "799123456", LOCAL_PHONE, TAZKIRA, DARI_PHONE, "Ahmad", "ahmad@example.af"):
        assert secret not in output, secret
    first, second, third = lines(json_lines)
    assert first["phone_number"] == "[redacted]" and first["full_name"] == "[redacted]"
    assert first["details"] == {"to": "[redacted]", "center": "KBL"}
    assert first["event"] == "code sent to [number]"
    assert "[number]" in str(second["event"]) and "[number]" in str(third["event"])


def test_tracebacks_are_redacted_too(json_lines: io.StringIO) -> None:
    try:
        raise ValueError(f"no citizen with number {PHONE} and tazkira {TAZKIRA}")
    except ValueError:
        logging.getLogger("khedmat.test").exception("lookup failed")
    (line,) = lines(json_lines)
    assert "ValueError" in str(line["exception"])
    assert PHONE not in json_lines.getvalue() and TAZKIRA not in json_lines.getvalue()


def test_dates_times_and_small_numbers_are_left_alone() -> None:
    text = "ticket P-042 at 2026-12-04 16:23:45 took 1234 ms; ip 10.20.0.1; id 3f2a99887766554433aa"
    assert redact_text(text) == text


@pytest.mark.parametrize("number", [PHONE, "0093799123456", "0799123456", LOCAL_PHONE, "+93 799 123 456",
                                    TAZKIRA, "1400–0101–12345", DARI_PHONE])
def test_phone_and_tazkira_shapes_are_redacted(number: str) -> None:
    assert redact_text(f"number {number}.") == "number [number]."


def test_logging_config_names_the_format() -> None:
    config = logging_config(fmt="json", level="WARNING")
    assert config["formatters"]["structured"]["fmt"] == "json"
    assert config["root"]["level"] == "WARNING"
    assert logging_config(fmt="anything else")["formatters"]["structured"]["fmt"] == "console"
    # gunicorn's and Celery's loggers go through the same handler, not also through their own.
    assert config["loggers"]["gunicorn.error"]["propagate"] is False
