"""Prometheus metrics: what the request middleware and sign-in count, and the figures apps
compute when the metrics are read (docs/observability.md, docs/decisions/0027).

Counters and the latency histogram live in each process. Under gunicorn with several workers,
PROMETHEUS_MULTIPROC_DIR (set before any worker starts) makes prometheus-client keep them in
files there, and a scrape adds up every worker's; gunicorn's `child_exit` must call
`prometheus_client.multiprocess.mark_process_dead(worker.pid)` (deploy/gunicorn.conf.py).

Gauges of the domain (tickets waiting per centre, the outbox's lag) are not kept: each app
registers a collector in its `ready()` that asks its selectors at scrape time, so a figure is
never a stale copy from the worker that happened to update it last.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

# The metrics this module keeps; a private registry, so tests and imports never collide with
# prometheus-client's global one.
REGISTRY = CollectorRegistry(auto_describe=True)

REQUEST_LATENCY = Histogram(
    "khedmat_http_request_duration_seconds",
    "Time from the request reaching Django's middleware to the response, by view (the route's name).",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
SERVER_ERRORS = Counter(
    "khedmat_http_server_errors_total",
    "Responses with a 5xx status, by view.",
    ["view", "method"],
    registry=REGISTRY,
)
FAILED_LOGINS = Counter(
    "khedmat_failed_logins_total",
    "Failed sign-in attempts, by kind: password, sms_code, second_factor.",
    ["kind"],
    registry=REGISTRY,
)
FAILED_LOGIN_KINDS = ("password", "sms_code", "second_factor")


def start_counting() -> None:
    """Make the failed-login series exist at 0 (rate() needs a first sample). Called by the
    request middleware, so only web processes do it: in multiprocess mode a series is a file,
    and a `manage.py` command or a Celery worker would leave files for nothing."""
    for kind in FAILED_LOGIN_KINDS:
        FAILED_LOGINS.labels(kind=kind)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def failed_login(kind: str) -> None:
    """Count one failed sign-in attempt of `kind` (one of FAILED_LOGIN_KINDS)."""
    FAILED_LOGINS.labels(kind=kind if kind in FAILED_LOGIN_KINDS else "other").inc()


_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(*, view: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request (the middleware's one call per request). The labelled
    children are kept per (view, method, status class): `labels()` costs more than `observe()`."""
    method = method if method in _METHODS else "other"
    key = (view, method, status // 100)
    children = _children.get(key)
    if children is None:
        children = _children[key] = (REQUEST_LATENCY.labels(view, method, f"{key[2]}xx"),
                                     SERVER_ERRORS.labels(view, method) if key[2] >= 5 else None)
    children[0].observe(seconds)
    if children[1] is not None:
        children[1].inc()


# --- Figures computed at scrape time --------------------------------------------------------

Collect = Callable[[], Iterable[Metric]]
_collectors: dict[str, Collect] = {}


def register_collector(name: str, collect: Collect) -> None:
    """Add `collect` (yielding metric families) to every scrape. Apps call this in `ready()`;
    `name` labels the khedmat_collector_up gauge that says whether it worked."""
    _collectors[name] = collect


class _AppCollectors:
    """Runs each registered collector; one that fails (a dead database) costs only its own figures."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("khedmat_collector_up", "1 when the collector's figures were read at this scrape.",
                               labels=["collector"])
        for name, collect in sorted(_collectors.items()):
            try:
                families = list(collect())
            except Exception:
                logger.exception("metrics collector failed", extra={"collector": name})
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from families
        yield up


class _Registry:
    """Yields what a registry holds (this process's own counters outside multiprocess mode)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def exposition() -> bytes:
    """The text a scrape gets: this process's or every worker's counters, and the apps' figures."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        MultiProcessCollector(registry)
    else:
        registry.register(_Registry(REGISTRY))  # type: ignore[arg-type]
    registry.register(_AppCollectors())  # type: ignore[arg-type]
    return generate_latest(registry)


# --- Who may read them --------------------------------------------------------------------

# "allow", "forbid" (staff whom the page is not for: 403) or "hide" (404, no hint it exists).
ViewerCheck = Callable[[Any], str]
_viewer_check: list[ViewerCheck] = []


def set_viewer_check(check: ViewerCheck) -> None:
    """Say which signed-in users may read the metrics (accounts does, from its roles)."""
    _viewer_check[:] = [check]


def viewer_verdict(user: Any) -> str:
    if not getattr(user, "is_authenticated", False) or not _viewer_check:
        return "hide"
    return _viewer_check[0](user)
