"""The queue's figures for Prometheus, read at scrape time (docs/observability.md)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from . import selectors


def collect_queue() -> Iterator[Metric]:
    """Tickets waiting today and the longest wait, per active center (labelled by its code)."""
    waiting = GaugeMetricFamily("khedmat_queue_waiting_tickets", "Tickets of today waiting to be called, per center.",
                                labels=["center"])
    oldest = GaugeMetricFamily("khedmat_queue_oldest_wait_seconds",
                               "How long the longest-waiting ticket of today has waited, per center (0: nobody).",
                               labels=["center"])
    for row in selectors.queue_waiting_by_center():
        waiting.add_metric([row.center_code], row.waiting)
        oldest.add_metric([row.center_code], row.oldest_wait_seconds)
    yield waiting
    yield oldest
