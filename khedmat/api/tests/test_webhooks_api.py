"""The webhooks endpoints as an agency's system uses them with curl: subscribe (the secret in
that answer only), list, test, read the log, delete; scopes, other agencies, bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import override_settings
from standardwebhooks import Webhook

from khedmat.api.models import WebhookSubscription
from khedmat.api.services import api_key_create
from khedmat.audit.models import AuditEvent

from .conftest import bearer
from .receiver import receiver

pytestmark = pytest.mark.django_db


def post(api: Any, path: str, data: dict[str, Any], key: Any, **headers: Any) -> Any:
    return api.post(path, json.dumps(data), content_type="application/json", **bearer(key), **headers)


@pytest.fixture
def hooks_key(moi: Any) -> Any:
    return api_key_create(agency=moi, name="hooks", scopes=["webhooks"])


def test_subscribe_test_read_the_log_and_delete(api, hooks_key, passport, django_capture_on_commit_callbacks):
    with receiver() as hook:
        made = post(api, "/api/v1/webhooks", {"url": hook.url, "events": ["application.submitted"],
                                              "services": ["PSP"]}, hooks_key)
        assert made.status_code == 201, made.content
        body = made.json()
        assert body["secret"].startswith("whsec_") and body["services"] == ["PSP"] and body["active"] is True
        listed = api.get("/api/v1/webhooks", **bearer(hooks_key)).json()
        assert [row["id"] for row in listed] == [body["id"]] and "secret" not in listed[0]
        assert "secret" not in api.get(f"/api/v1/webhooks/{body['id']}", **bearer(hooks_key)).json()
        with django_capture_on_commit_callbacks(execute=True):
            tested = post(api, f"/api/v1/webhooks/{body['id']}/test", {}, hooks_key)
        assert tested.status_code == 202 and tested.json()["delivery"].startswith("msg_")
        [item] = hook.received
        Webhook(body["secret"]).verify(item.body, item.headers)
        assert item.json()["type"] == "webhook.test"
        log = api.get(f"/api/v1/webhooks/{body['id']}/deliveries", **bearer(hooks_key)).json()
        assert log[0]["id"] == tested.json()["delivery"] and log[0]["status"] == "delivered"
        assert log[0]["tries"][0]["status_code"] == 200
    assert api.delete(f"/api/v1/webhooks/{body['id']}", **bearer(hooks_key)).status_code == 204
    assert WebhookSubscription.objects.count() == 0
    actions = set(AuditEvent.objects.filter(target_type="webhook").values_list("action", flat=True))
    assert {"api.webhook_subscribed", "api.webhook_test_sent", "api.webhook_deleted"} <= actions
    assert not any(body["secret"] in json.dumps(event.data) for event in AuditEvent.objects.all())


def test_the_post_with_an_idempotency_key_subscribes_once(api, hooks_key):
    data = {"url": "http://127.0.0.1:9/hooks", "events": ["document.issued"]}
    first = post(api, "/api/v1/webhooks", data, hooks_key, HTTP_IDEMPOTENCY_KEY="sub-1")
    again = post(api, "/api/v1/webhooks", data, hooks_key, HTTP_IDEMPOTENCY_KEY="sub-1")
    assert first.status_code == again.status_code == 201 and first.content == again.content
    assert WebhookSubscription.objects.count() == 1


def test_bad_input_is_refused_and_saves_nothing(api, hooks_key, other_agency):
    from khedmat.applications.tests.office_helpers import foreign_passport

    foreign_passport(other_agency)
    cases = [({"url": "http://127.0.0.1:9/", "events": ["no.such"]}, 422, "validation_failed"),
             ({"url": "http://127.0.0.1:9/", "events": ["webhook.test"]}, 422, "validation_failed"),
             ({"url": "ftp://example.org/", "events": ["document.issued"]}, 422, "validation_failed"),
             ({"url": "https://user:pw@example.org/", "events": ["document.issued"]}, 422, "validation_failed"),
             ({"url": "http://127.0.0.1:9/", "events": ["document.issued"], "services": ["PSPF"]}, 404, "not_found")]
    for data, status, code in cases:
        response = post(api, "/api/v1/webhooks", data, hooks_key)
        assert response.status_code == status and response.json()["code"] == code, (data, response.content)
    assert WebhookSubscription.objects.count() == 0


@override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=False)
def test_plain_http_and_private_addresses_are_refused_in_production(api, hooks_key):
    for url, code in [("http://example.org/hooks", "url_not_https"), ("https://127.0.0.1/hooks", "url_private"),
                      ("https://10.0.0.5/hooks", "url_private"), ("https://0.0.0.0/hooks", "url_private"),
                      ("https://169.254.169.254/latest", "url_private"), ("https://localhost/x", "url_private")]:
        response = post(api, "/api/v1/webhooks", {"url": url, "events": ["document.issued"]}, hooks_key)
        assert response.status_code == 422 and response.json()["code"] == code, (url, response.content)
    assert WebhookSubscription.objects.count() == 0


@override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=False)
def test_the_address_check_knows_ipv6_and_mapped_loopback() -> None:
    from khedmat.api.webhooks import url_check
    from khedmat.core.errors import Refusal

    for url in ("https://[::1]/h", "https://[::ffff:127.0.0.1]/h", "https://[fd00::1]/h", "https://printer.local/h"):
        with pytest.raises(Refusal) as refused:
            url_check(url)
        assert refused.value.code == "url_private", url
    assert url_check("https://93.184.216.34/hooks") == "https://93.184.216.34/hooks"  # a public address


@override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=False)
def test_an_address_that_turned_private_is_not_posted_to(moi):
    """A subscription made while allowed (or a name that resolves elsewhere now): checked at send time."""
    from khedmat.api.webhook_delivery import deliver_webhooks
    from khedmat.api.webhooks import webhook_test_send
    from khedmat.applications.tests.office_helpers import agency_admin

    with receiver() as hook:
        made = WebhookSubscription.objects.create(agency=moi, url=hook.url.replace("http:", "https:"),
                                                  event_types=["document.issued"], secret="whsec_" + "A" * 44)
        delivery = webhook_test_send(subscription=made, actor=agency_admin(moi))
        deliver_webhooks()
        assert hook.received == []
    delivery.refresh_from_db()
    assert delivery.status == "pending" and "private" in delivery.last_error


def test_a_key_limited_to_services_subscribes_within_them(api, moi, passport):
    from khedmat.applications.tests.office_helpers import publish

    other = publish(moi, slug="passport-other", code="PSPX").service
    limited = api_key_create(agency=moi, name="one", scopes=["webhooks"], services=[passport])
    refused = post(api, "/api/v1/webhooks", {"url": "http://127.0.0.1:9/", "events": ["document.issued"],
                                             "services": [other.code]}, limited)
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    made = post(api, "/api/v1/webhooks", {"url": "http://127.0.0.1:9/", "events": ["document.issued"]}, limited)
    assert made.status_code == 201 and made.json()["services"] == ["PSP"]


def test_a_disabled_webhook_sends_no_test(api, hooks_key, moi):
    from khedmat.api.webhooks import webhook_disable

    made = post(api, "/api/v1/webhooks", {"url": "http://127.0.0.1:9/", "events": ["document.issued"]}, hooks_key)
    webhook_disable(subscription=WebhookSubscription.objects.get(), actor=None, reason="test")
    response = post(api, f"/api/v1/webhooks/{made.json()['id']}/test", {}, hooks_key)
    assert response.status_code == 409 and response.json()["code"] == "webhook_disabled"
