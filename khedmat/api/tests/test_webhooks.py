"""Webhooks as an agency's receiver meets them: a real HTTP server on 127.0.0.1 gets signed,
thin deliveries after real changes, verified with the reference library (standardwebhooks);
retries, giving up, 410, the outbox's guarantees and the agency's boundaries."""

from __future__ import annotations

import datetime
import itertools
import json
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from khedmat.api.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from khedmat.api.webhook_delivery import deliver_webhooks, webhook_deliveries_prune
from khedmat.api.webhooks import NewSubscription, webhook_subscribe, webhook_test_send
from khedmat.applications.tests.office_helpers import agency_admin, publish, submitted

from .receiver import closed_port_url, receiver

pytestmark = pytest.mark.django_db

ALL_EVENTS = ["application.submitted", "application.transitioned", "application.paid", "document.issued",
              "document.revoked"]


def subscribe(agency: Any, url: str, events: list[str] | None = None,
              services: list[Any] | None = None) -> NewSubscription:
    return webhook_subscribe(agency=agency, url=url, event_types=events or ALL_EVENTS, services=services or [])


def verified(secret: str, body: bytes, headers: dict[str, str]) -> Any:
    return Webhook(secret).verify(body, {name: headers[name] for name in
                                         ("webhook-id", "webhook-timestamp", "webhook-signature")})


def test_a_submission_reaches_the_receiver_signed_and_thin(moi, passport, citizen,
                                                         django_capture_on_commit_callbacks):
    with receiver() as hook:
        made = subscribe(moi, hook.url)
        assert made.secret.startswith("whsec_")
        with django_capture_on_commit_callbacks(execute=True):
            file = submitted(passport, citizen)
        types = [item.json()["type"] for item in hook.received]
        assert "application.submitted" in types and "application.paid" in types
        for item in hook.received:
            assert item.path == "/hooks/khedmat"
            assert item.headers["content-type"] == "application/json"
            assert "AsanKhedmat" in item.headers["user-agent"]
            assert item.headers["webhook-id"].startswith("msg_")
            assert verified(made.secret, item.body, item.headers) == item.json()
            with pytest.raises(WebhookVerificationError):
                verified("whsec_" + "A" * 43 + "=", item.body, item.headers)
            with pytest.raises(WebhookVerificationError):  # a body changed on the way
                verified(made.secret, item.body.replace(b"application", b"applicatioN"), item.headers)
            # thin: ids and states, none of the citizen's name, number or answers
            text = item.body.decode()
            for personal in ("Ahmad", "Zia", "Mohammad", "Nabi", "1990", "700111222", "+93"):
                assert personal not in text
        sent = next(item.json() for item in hook.received if item.json()["type"] == "application.submitted")
        assert sent["data"] == {"file": str(file.public_id), "reference": file.reference, "service": "PSP",
                                "state": sent["data"]["state"]}
        assert sent["timestamp"].endswith("Z")
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}


def test_a_rolled_back_change_sends_nothing(moi, passport, citizen, django_capture_on_commit_callbacks):
    with receiver() as hook:
        subscribe(moi, hook.url)
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
            submitted(passport, citizen)
            raise RuntimeError("the change fails after the event")
        deliver_webhooks()
        assert hook.received == []
    assert WebhookDelivery.objects.count() == 0


def test_a_delivery_whose_hand_off_was_lost_is_sent_by_the_sweep(moi, passport, citizen):
    with receiver() as hook:
        subscribe(moi, hook.url, ["application.submitted"])
        submitted(passport, citizen)  # the commit's hand-off never runs here: as if the broker lost it
        assert hook.received == []
        [waiting] = WebhookDelivery.objects.all()
        assert waiting.status == DeliveryStatus.PENDING
        assert waiting.give_up_at - waiting.created_at == datetime.timedelta(hours=72)
        assert deliver_webhooks()["delivered"] == 1
        assert [item.headers["webhook-id"] for item in hook.received] == [waiting.message_id]
        assert deliver_webhooks()["claimed"] == 0  # delivered once, never again


def test_a_500_is_retried_with_back_off_and_delivered_once(moi, passport, citizen):
    with receiver(500) as hook:
        subscribe(moi, hook.url, ["application.submitted"])
        submitted(passport, citizen)
        assert deliver_webhooks()["retrying"] == 1
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == DeliveryStatus.PENDING and delivery.last_status_code == 500
        wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
        assert 20 <= wait <= 37  # 30 s ± 20 %
        assert deliver_webhooks()["claimed"] == 0  # not due yet
        later = delivery.next_attempt_at + datetime.timedelta(seconds=1)
        assert deliver_webhooks(now=later)["delivered"] == 1
        assert deliver_webhooks(now=later + datetime.timedelta(hours=1))["claimed"] == 0
        ids = [item.headers["webhook-id"] for item in hook.received]
        assert ids == [delivery.message_id, delivery.message_id]  # the same id: the receiver dedupes by it
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert list(WebhookAttempt.objects.order_by("at").values_list("status_code", flat=True)) == [500, 200]


def test_a_closed_port_is_retried_until_three_days_then_given_up(moi, passport, citizen):
    made = subscribe(moi, closed_port_url())
    delivery = webhook_test_send(subscription=made.subscription, actor=agency_admin(moi))
    assert deliver_webhooks()["retrying"] == 1
    delivery.refresh_from_db()
    assert delivery.last_status_code is None and "refused" in delivery.last_error
    waits = [delivery.next_attempt_at]
    for _ in range(3):  # the back-off grows: 2 min, 10 min, 1 h
        deliver_webhooks(now=waits[-1] + datetime.timedelta(seconds=1))
        delivery.refresh_from_db()
        waits.append(delivery.next_attempt_at)
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(waits)]
    assert gaps[0] < gaps[1] < gaps[2] and 2800 <= gaps[2] <= 4400
    near_the_end = delivery.give_up_at - datetime.timedelta(seconds=10)
    assert deliver_webhooks(now=near_the_end)["failed"] == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_error.startswith("gave up")
    assert delivery.attempts == 5
    assert deliver_webhooks(now=delivery.give_up_at + datetime.timedelta(days=1))["claimed"] == 0


def test_410_disables_the_subscription_and_stops_its_waiting_deliveries(moi):
    with receiver(410) as hook:
        made = subscribe(moi, hook.url)
        admin = agency_admin(moi)
        first = webhook_test_send(subscription=made.subscription, actor=admin)
        second = webhook_test_send(subscription=made.subscription, actor=admin)
        assert deliver_webhooks()["disabled"] == 1
        assert len(hook.received) == 1
    made.subscription.refresh_from_db()
    assert not made.subscription.is_active and "410" in made.subscription.disabled_reason
    first.refresh_from_db()
    second.refresh_from_db()
    assert {first.status, second.status} == {DeliveryStatus.CANCELLED}
    assert deliver_webhooks(now=timezone.now() + datetime.timedelta(hours=1))["claimed"] == 0


def test_another_agencys_service_or_a_service_not_chosen_is_never_delivered(moi, other_agency, passport, citizen,
                                                                              django_capture_on_commit_callbacks):
    other_service = publish(moi, slug="passport-other", code="PSPX").service
    with receiver() as theirs, receiver() as elsewhere, receiver() as ours:
        subscribe(other_agency, theirs.url)
        subscribe(moi, elsewhere.url, services=[other_service])
        subscribe(moi, ours.url, ["application.submitted"], services=[passport])
        with django_capture_on_commit_callbacks(execute=True):
            submitted(passport, citizen)
        deliver_webhooks()
        assert theirs.received == [] and elsewhere.received == []
        assert [item.json()["type"] for item in ours.received] == ["application.submitted"]  # only what it chose


def test_the_test_event_is_delivered(moi, django_capture_on_commit_callbacks):
    with receiver() as hook:
        made = subscribe(moi, hook.url, ["document.issued"])
        with django_capture_on_commit_callbacks(execute=True):
            webhook_test_send(subscription=made.subscription, actor=agency_admin(moi))
        [item] = hook.received
        assert item.json()["type"] == "webhook.test"
        assert item.json()["data"] == {"subscription": str(made.subscription.public_id)}
        verified(made.secret, item.body, item.headers)


def test_events_cost_no_query_when_no_agency_has_webhooks(moi, passport, citizen, other_agency):
    submitted(passport, citizen)  # warm: the cache now says "no agency"
    with CaptureQueriesContext(connection) as queries:
        submitted(passport, citizen)
    assert not [query for query in queries.captured_queries if "webhook" in query["sql"]]
    subscribe(other_agency, "http://127.0.0.1:9/hooks")  # another agency's: ours still costs nothing
    submitted(passport, citizen)
    with CaptureQueriesContext(connection) as queries:
        submitted(passport, citizen)
    assert not [query for query in queries.captured_queries if "webhook" in query["sql"]]
    assert WebhookDelivery.objects.count() == 0


def test_finished_deliveries_are_pruned_after_their_days(moi, settings):
    with receiver() as hook:
        made = subscribe(moi, hook.url)
        webhook_test_send(subscription=made.subscription, actor=agency_admin(moi))
        deliver_webhooks()
    waiting = webhook_test_send(subscription=made.subscription, actor=agency_admin(moi, username="a2",
                                                                                   phone_number="+93700999111"))
    old = timezone.now() - datetime.timedelta(days=settings.WEBHOOK_KEEP_DAYS + 1)
    WebhookDelivery.objects.update(created_at=old)
    assert webhook_deliveries_prune() >= 2  # the delivered one and its try
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [waiting.pk]  # a waiting one stays
    assert WebhookAttempt.objects.count() == 0


def test_the_body_is_compact_json_and_signed_as_sent(moi):
    with receiver() as hook:
        made = subscribe(moi, hook.url)
        webhook_test_send(subscription=made.subscription, actor=agency_admin(moi))
        deliver_webhooks()
        [item] = hook.received
    assert json.loads(item.body) == item.json() and b", " not in item.body
    timestamp = int(item.headers["webhook-timestamp"])
    assert abs(timestamp - timezone.now().timestamp()) < 60


def test_a_webhook_deleted_while_its_delivery_is_posted_is_no_error(moi, monkeypatch):
    from khedmat.api import webhook_delivery
    from khedmat.api.webhooks import webhook_delete

    admin = agency_admin(moi)
    made = subscribe(moi, closed_port_url())
    webhook_test_send(subscription=made.subscription, actor=admin)
    posting = webhook_delivery.post

    def post_while_deleted(url: str, body: bytes, headers: dict[str, str]) -> Any:
        answer = posting(url, body, headers)
        webhook_delete(subscription=made.subscription, actor=admin)  # the administrator, at that moment
        return answer

    monkeypatch.setattr(webhook_delivery, "post", post_while_deleted)
    assert deliver_webhooks()["gone"] == 1
    assert WebhookDelivery.objects.count() == WebhookAttempt.objects.count() == 0


def test_a_claimed_delivery_is_not_taken_by_another_worker_until_its_lease_runs_out(moi, settings):
    from khedmat.api.webhook_delivery import claim_due

    made = subscribe(moi, closed_port_url())
    admin = agency_admin(moi)
    sent = {webhook_test_send(subscription=made.subscription, actor=admin).pk for _ in range(2)}
    assert {row.pk for row in claim_due(ids=None, batch_size=10, worker="a")} == sent
    assert claim_due(ids=None, batch_size=10, worker="b") == []
    later = timezone.now() + datetime.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS + 1)
    assert {row.pk for row in claim_due(ids=None, batch_size=10, worker="b", now=later)} == sent  # "a" died


def test_events_of_one_moment_wake_one_task_which_delivers_them_all(moi, monkeypatch, settings,
                                                                      django_capture_on_commit_callbacks):
    """With a broker, the commits of the moment share one woken task (khedmat.core.wake,
    decision 0045); it posts every delivery due, those committed while it waited included."""
    from django.core.cache import cache

    from khedmat.api import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = False
    cache.delete("outbox-wake:webhooks")
    published: list[dict[str, Any]] = []
    monkeypatch.setattr(tasks.deliver_woken, "apply_async", lambda **options: published.append(options))
    with receiver() as hook:
        made = subscribe(moi, hook.url, ["document.issued"])
        admin = agency_admin(moi)
        for _ in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                webhook_test_send(subscription=made.subscription, actor=admin)
        assert len(published) == 1 and hook.received == []
        assert tasks.deliver_woken()["delivered"] == 3
        assert len(hook.received) == 3
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
