"""The agency administrator's webhooks pages: subscribe once (even posted twice), the secret
shown once, refusals that save nothing, the test button, the log, and other people kept out."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from khedmat.api.models import WebhookDelivery, WebhookSubscription
from khedmat.api.webhooks import webhook_subscribe
from khedmat.applications.tests.office_helpers import agency_admin, verified_client
from khedmat.audit.models import AuditEvent

from .receiver import receiver

pytestmark = pytest.mark.django_db


def subscribe_form(url: str, token: str = "t" * 32, **more: Any) -> dict[str, Any]:
    return {"url": url, "events": ["application.submitted", "document.issued"], "form_token": token, **more}


def test_an_administrator_subscribes_sees_the_secret_once_and_a_double_post_makes_one(moi, passport):
    client = verified_client(agency_admin(moi))
    page = client.get("/en/office/webhooks/")
    assert page.status_code == 200 and b'name="form_token"' in page.content
    first = client.post("/en/office/webhooks/", subscribe_form("http://127.0.0.1:9/hooks"))
    again = client.post("/en/office/webhooks/", subscribe_form("http://127.0.0.1:9/hooks"))
    assert first.status_code == again.status_code == 200
    made = WebhookSubscription.objects.get()  # one, not two
    assert made.secret.encode() in first.content and first.context["made"] == made
    listing = client.get("/en/office/webhooks/").content
    detail = client.get(f"/en/office/webhooks/{made.public_id}/").content
    assert made.secret.encode() not in listing and made.secret.encode() not in detail  # shown once
    assert b"127.0.0.1:9/hooks" in listing
    assert AuditEvent.objects.filter(action="api.webhook_subscribed", target_id=str(made.public_id)).count() == 1


@override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=False)
def test_http_and_private_addresses_are_refused_with_a_message_and_nothing_saved(moi):
    client = verified_client(agency_admin(moi))
    for url, said in [("http://example.org/hooks", b"must start with https://"),
                      ("https://127.0.0.1/hooks", b"not a private or local network"),
                      ("https://192.168.1.10/hooks", b"not a private or local network"),
                      ("not an address", b"not a web address")]:
        response = client.post("/en/office/webhooks/", subscribe_form(url))
        assert response.status_code == 422 and said in response.content, url
    assert WebhookSubscription.objects.count() == 0


def test_the_test_button_delivers_and_the_log_shows_it(moi, django_capture_on_commit_callbacks):
    client = verified_client(agency_admin(moi))
    with receiver(503) as hook:
        made = webhook_subscribe(agency=moi, url=hook.url, event_types=["document.issued"])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/en/office/webhooks/{made.subscription.public_id}/test/")
        assert response.status_code == 302
        [item] = hook.received
        assert item.json()["type"] == "webhook.test"
    log = client.get(f"/en/office/webhooks/{made.subscription.public_id}/")
    delivery = WebhookDelivery.objects.get()
    assert delivery.message_id.encode() in log.content and b"503" in log.content and b"Test event" in log.content


def test_rotate_disable_enable_delete(moi):
    client = verified_client(agency_admin(moi))
    made = webhook_subscribe(agency=moi, url="http://127.0.0.1:9/h", event_types=["document.issued"])
    base = f"/en/office/webhooks/{made.subscription.public_id}"
    rotated = client.post(base + "/rotate/")
    subscription = WebhookSubscription.objects.get()
    assert rotated.status_code == 200 and subscription.secret != made.secret
    assert subscription.secret.encode() in rotated.content
    assert client.post(base + "/disable/").status_code == 302
    subscription.refresh_from_db()
    assert not subscription.is_active and b"Disabled" in client.get(base + "/").content
    assert client.post(base + "/enable/").status_code == 302
    subscription.refresh_from_db()
    assert subscription.is_active
    assert client.post(base + "/delete/").status_code == 302
    assert WebhookSubscription.objects.count() == 0
    actions = list(AuditEvent.objects.filter(target_type="webhook").values_list("action", flat=True))
    assert {"api.webhook_secret_rotated", "api.webhook_disabled", "api.webhook_enabled",
            "api.webhook_deleted"} <= set(actions)


@pytest.mark.parametrize("action", ["", "test/", "rotate/", "disable/", "enable/", "delete/"])
def test_another_agencys_administrator_gets_404_and_changes_nothing(moi, other_agency, action):
    made = webhook_subscribe(agency=moi, url="http://127.0.0.1:9/h", event_types=["document.issued"])
    other = verified_client(agency_admin(other_agency, username="admin.mof", phone_number="+93700999777"))
    path = f"/en/office/webhooks/{made.subscription.public_id}/{action}"
    response = other.get(path) if not action else other.post(path)
    assert response.status_code == 404
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret == made.secret and subscription.is_active
    assert WebhookDelivery.objects.count() == 0


def test_an_officer_may_not_open_the_pages(moi):
    from khedmat.accounts.models import Role
    from khedmat.accounts.services import staff_user_create

    made = webhook_subscribe(agency=moi, url="http://127.0.0.1:9/h", event_types=["document.issued"])
    officer = verified_client(staff_user_create(username="o1", password="pass-for-tests-1", role=Role.OFFICER,
                                                agency=moi))
    assert officer.get("/en/office/webhooks/").status_code in (403, 404)
    assert officer.post(f"/en/office/webhooks/{made.subscription.public_id}/delete/").status_code in (403, 404)
    assert WebhookSubscription.objects.count() == 1


def test_the_keys_page_links_the_webhooks_page(moi):
    client = verified_client(agency_admin(moi))
    assert b'href="/en/office/webhooks/"' in client.get("/en/office/api-keys/").content
