"""Whether this server can do its work: the database, the cache and the broker answer.

Each check runs in a thread of its own and is waited for at most READINESS_TIMEOUT_SECONDS,
all of them at once, so a dependency that hangs (a dropped connection, a host gone from the
network) makes the answer "timeout" in bounded time instead of holding the load balancer's
probe. A check that hangs past it is left to finish in its daemon thread.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connections

logger = logging.getLogger(__name__)

OK, FAILED, TIMEOUT, NOT_CONFIGURED = "ok", "failed", "timeout", "not configured"


def check_database() -> None:
    """A trivial query on a connection of this thread's own, closed afterwards."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            if cursor.fetchone() != (1,):
                raise RuntimeError("SELECT 1 did not answer 1")
    finally:
        connections.close_all()


def check_cache() -> None:
    """Set and read back a key of its own (every process shares the cache in production)."""
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    try:
        if cache.get(key) != "1":
            raise RuntimeError("the cache did not keep a key")
    finally:
        cache.delete(key)


def broker_configured() -> bool:
    url = getattr(settings, "CELERY_BROKER_URL", "") or ""
    return bool(url) and not url.startswith("memory://") and not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)


def check_broker() -> None:
    """Open a connection to the broker and let go of it (kombu, as Celery's workers do)."""
    from kombu import Connection

    timeout = settings.READINESS_TIMEOUT_SECONDS
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout,
                    transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout,
                                       "max_retries": 0}) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
        connection.default_channel  # noqa: B018 (opens the channel: a Redis broker is asked here)


def _run(name: str, check: Callable[[], None], results: dict[str, str]) -> None:
    try:
        check()
    except Exception as error:
        # The log says which and why (it is read by operators, not served); the answer does not.
        logger.warning("readiness check failed", extra={"check": name, "error": type(error).__name__})
        results[name] = FAILED
    else:
        results[name] = OK


def readiness() -> dict[str, str]:
    """Each dependency's state: ok, failed, timeout or not configured."""
    checks: dict[str, Callable[[], None]] = {"database": check_database, "cache": check_cache}
    results: dict[str, str] = {}
    if broker_configured():
        checks["broker"] = check_broker
    threads = {name: threading.Thread(target=_run, args=(name, check, results), name=f"readyz-{name}", daemon=True)
               for name, check in checks.items()}
    deadline = time.monotonic() + settings.READINESS_TIMEOUT_SECONDS
    for thread in threads.values():
        thread.start()
    answer = dict.fromkeys(["database", "cache", "broker"], NOT_CONFIGURED)
    for name, thread in threads.items():
        thread.join(max(0.0, deadline - time.monotonic()))
        answer[name] = TIMEOUT if thread.is_alive() else results.get(name, FAILED)
        if answer[name] == TIMEOUT:
            logger.warning("readiness check timed out", extra={"check": name})
    return answer
