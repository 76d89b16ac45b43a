"""Two workers at once on PostgreSQL: a delivery one of them holds is skipped by the other
(SKIP LOCKED), so no delivery is posted by two workers at the same moment."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from khedmat.api.models import WebhookDelivery
from khedmat.api.webhook_delivery import claim_due
from khedmat.api.webhooks import webhook_subscribe, webhook_test_send
from khedmat.applications.tests.office_helpers import agency_admin

from .receiver import closed_port_url

needs_postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                      reason="two writers at once: PostgreSQL (SQLite runs one process)")


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_delivery_locked_by_one_worker_is_skipped_by_another(moi):
    made = webhook_subscribe(agency=moi, url=closed_port_url(), event_types=["document.issued"])
    admin = agency_admin(moi)
    first, second = (webhook_test_send(subscription=made.subscription, actor=admin) for _ in range(2))
    # Each was tried once as it was committed (nothing listens there): both due again now.
    WebhookDelivery.objects.update(status="pending", next_attempt_at=timezone.now())
    holding, release = threading.Event(), threading.Event()

    def worker_a() -> None:
        try:
            with transaction.atomic():  # worker "a" in the middle of its claim of the first delivery
                WebhookDelivery.objects.select_for_update().get(pk=first.pk)
                holding.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker_a)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        taken = claim_due(ids=None, batch_size=10, worker="b")  # does not wait for "a": skips its row
        assert [row.pk for row in taken] == [second.pk]
    finally:
        release.set()
        thread.join(timeout=30)
    assert [row.pk for row in claim_due(ids=None, batch_size=10, worker="c")] == [first.pk]
