"""Log lines: one JSON object each in production, readable text in development; never a
citizen's personal data (docs/observability.md).

Every line, Django's, Celery's, gunicorn's (inside a worker) and ours, goes through one
structlog `ProcessorFormatter`, so they all carry the same keys: timestamp, level, logger,
event, and, inside a request, request_id, role, view, route, method, status and duration_ms.
`redact` runs last before rendering: it masks the values of keys known to hold personal data
and replaces phone-number- and Tazkira-like strings in every other text, tracebacks included.

This module reads no Django settings: `logging_config` is also what gunicorn's own
`logconfig_dict` can use (deploy/gunicorn.conf.py), before Django is set up.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog
from structlog.contextvars import get_contextvars

# Keys whose values are personal data wherever they appear (a log call's keyword arguments,
# a `extra=` dict, a nested dict one level down): the value is replaced, the key kept.
PERSONAL_KEYS = frozenset({
    "phone", "phone_number", "mobile", "mobile_number", "msisdn", "to", "sender", "recipient",
    "tazkira", "tazkira_number", "national_id", "email", "email_address",
    "name", "full_name", "first_name", "last_name", "father_name", "username", "user", "user_id",
    "password", "code", "otp", "token", "secret", "address", "body", "text", "answers", "birth_date",
})
REDACTED = "[redacted]"
# Keys we write ourselves and that never hold free text from a person.
_SAFE_KEYS = frozenset({"timestamp", "level", "logger", "request_id", "role", "view", "route", "method",
                        "status", "status_code", "duration_ms", "task", "task_id"})

_SEPARATORS = "-\u2010\u2011\u2013\u2014\u2212\u0640"
# An e-Tazkira number (1400-0101-12345) or any digits joined by dashes, in any script's digits.
_DASHED = re.compile(rf"(?<![\w.])\d+(?:[{_SEPARATORS}]\d+)+(?![\w])")
# A phone number as people and systems write it: +93 799 123 456, 0093…, 0799123456, 0799 123 456.
_SPACED = re.compile(r"(?<![\w.])\+?\d+(?: \d+)*(?![\w])")
# How many digits make a string look like a phone or Tazkira number: fewer stay (dates, counts).
_MIN_DIGITS = 9


def _mask(match: re.Match[str]) -> str:
    text = match.group(0)
    return "[number]" if sum(ch.isdigit() for ch in text) >= _MIN_DIGITS else text


def redact_text(text: str) -> str:
    """`text` with phone-number- and Tazkira-like runs of digits replaced by "[number]"."""
    if not any(ch.isdigit() for ch in text):
        return text
    return _SPACED.sub(_mask, _DASHED.sub(_mask, text))


def _redact_value(key: str, value: Any) -> Any:
    if key.lower() in PERSONAL_KEYS:
        return REDACTED if value not in (None, "") else value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_value("", v) for v in value]
    return value


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: no personal key's value and no phone- or Tazkira-like string leaves."""
    for key in list(event_dict):
        if key in _SAFE_KEYS or key.startswith("_"):
            continue
        event_dict[key] = _redact_value(key, event_dict[key])
    return event_dict


def _record_fields(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The keys of a standard-library record: `extra={"log_fields": {...}}` (the request line,
    which skips structlog's own chain to stay cheap), and the status code Django's request
    loggers pass (never their `request` object)."""
    record = event_dict.get("_record")
    if record is not None:
        fields = getattr(record, "log_fields", None)
        if fields:
            event_dict.update(fields)
        status = getattr(record, "status_code", None)
        if status is not None:
            event_dict.setdefault("status", status)
    return event_dict


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]


class JsonFormatter(logging.Formatter):
    """One JSON object per record, for structlog's records and the standard library's alike.

    structlog's own `ProcessorFormatter` does the same through a chain of processors, at three
    times the cost of a plain log line; the request line is written for every request, so this
    builds the object directly (bench/observability.py measures both)."""

    def format(self, record: logging.LogRecord) -> str:
        if isinstance(record.msg, dict) and hasattr(record, "_logger"):
            # From a structlog logger: its chain already added timestamp, level, logger, context.
            event: dict[str, Any] = dict(record.msg)
        else:
            event = {
                "timestamp": _iso(record.created), "level": record.levelname.lower(), "logger": record.name,
                "event": record.getMessage(), **get_contextvars(),
            }
            fields = getattr(record, "log_fields", None)
            if fields:
                event.update(fields)
            status = getattr(record, "status_code", None)
            if status is not None:
                event.setdefault("status", status)
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            event["stack"] = self.formatStack(record.stack_info)
        event.pop("exc_info", None)
        redact(None, "", event)
        return json.dumps(event, ensure_ascii=False, default=repr)


def _iso(created: float) -> str:
    return datetime.datetime.fromtimestamp(created, datetime.UTC).isoformat().replace("+00:00", "Z")


def formatter(fmt: str = "json") -> logging.Formatter:
    """The one formatter of every handler: JSON objects (`fmt="json"`) or readable text."""
    configure_structlog()
    if fmt == "json":
        return JsonFormatter()
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared_processors(), _record_fields],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, redact,
                    structlog.dev.ConsoleRenderer(colors=False)],
    )


_configured = False


def configure_structlog() -> None:
    """Route structlog's loggers through the standard library, so that LOGGING's handlers and
    the formatter above render them (idempotent)."""
    global _configured
    if _configured:
        return
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    _configured = True


def logging_config(*, fmt: str = "console", level: str = "INFO") -> dict[str, Any]:
    """The LOGGING dictionary: every logger to one stream handler with `formatter(fmt)`.

    gunicorn's loggers are named so that their lines are formatted the same (not printed a
    second time by their own handlers)."""
    fmt = "json" if fmt.strip().lower() == "json" else "console"
    handler = {"class": "logging.StreamHandler", "formatter": "structured"}
    own = {"handlers": ["console"], "propagate": False}
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": "khedmat.core.logs.formatter", "fmt": fmt}},
        "handlers": {"console": handler},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "gunicorn.error": {**own, "level": "INFO"},
            # gunicorn's access log is dropped: our request line says more, and its lines carry
            # the client's address. (A WARNING level keeps it silent even where a gunicorn
            # configuration turns it on.)
            "gunicorn.access": {**own, "level": "WARNING"},
        },
    }
    # Celery's loggers propagate to the root logger: here, and in a worker to the handler
    # Celery sets up there, which config/celery.py gives this formatter under LOG_FORMAT=json.
    return config


def get_logger(name: str) -> Any:
    """A structlog logger: `log.info("event_name", key=value)`; keys are redacted like the rest."""
    configure_structlog()
    return structlog.stdlib.get_logger(name)
