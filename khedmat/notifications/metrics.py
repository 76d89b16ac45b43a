"""The outbox's lag for Prometheus, read at scrape time (docs/observability.md)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from . import selectors


def collect_outbox() -> Iterator[Metric]:
    lag = selectors.outbox_lag()
    yield GaugeMetricFamily("khedmat_outbox_oldest_pending_seconds",
                            "Age of the oldest message not yet handed to an SMS gateway (0: none waiting).",
                            value=lag.oldest_pending_seconds)
    pending = GaugeMetricFamily("khedmat_outbox_pending_messages",
                                "Messages not yet handed to a gateway and not given up, by status.", labels=["status"])
    for status, count in lag.pending_by_status.items():
        pending.add_metric([status], count)
    yield pending
    last_day = GaugeMetricFamily("khedmat_outbox_messages_last_day",
                                 "Messages created in the last 24 hours, by their status now.", labels=["status"])
    for status, count in lag.last_day_by_status.items():
        last_day.add_metric([status], count)
    yield last_day
