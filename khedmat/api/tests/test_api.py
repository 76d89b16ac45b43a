"""The API as an agency's system and an attacker meet it: scopes × own/other agency, problem
details on every error, idempotency keys, expired and revoked keys, floods, huge bodies."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from khedmat.api.models import ApiKey, WebhookDelivery, WebhookSubscription
from khedmat.api.services import NewKey, api_key_revoke
from khedmat.api.webhooks import webhook_subscribe
from khedmat.applications.selectors.access_log import access_events
from khedmat.applications.tests.office_helpers import agency_admin, publish, submitted

from .conftest import bearer

pytestmark = pytest.mark.django_db


def problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert {"type", "title", "detail"} <= set(body)


def post(client: Client, path: str, data: dict[str, Any], key: NewKey | None = None, **headers: Any) -> Any:
    extra: dict[str, Any] = bearer(key) if key else {}
    return client.post(path, json.dumps(data), content_type="application/json", **extra, **headers)


# --- the permission matrix -----------------------------------------------------------------------

HOOKS = ["hooks_list", "hooks_create", "hooks_get", "hooks_test", "hooks_deliveries", "hooks_delete"]
ENDPOINTS = ["list", "get", "note", "message", "step", "documents", "issue", "order", "file_order", "notice",
             "catalog", "verify", *HOOKS]
NO_HOOKS = {endpoint: 403 for endpoint in HOOKS}
PUBLIC = {"catalog": 200, "verify": 200}  # the public endpoints answer whatever key comes, or none
# key → endpoint → expected status on the key's own agency's file
EXPECTED = {
    "read": {"list": 200, "get": 200, "note": 403, "message": 403, "step": 403, "documents": 200, "issue": 403,
             "order": 200, "file_order": 200, "notice": 403, **PUBLIC, **NO_HOOKS},
    "act": {"list": 200, "get": 200, "note": 201, "message": 201, "step": 200, "documents": 200,
            "issue": 409,  # allowed, but a submitted passport issues nothing yet (not_issuable)
            "order": 200, "file_order": 200, "notice": 403, **PUBLIC, **NO_HOOKS},
    "pay": {"list": 403, "get": 403, "note": 403, "message": 403, "step": 403, "documents": 403, "issue": 403,
            "order": 403, "file_order": 403, "notice": 200, **PUBLIC, **NO_HOOKS},
    "hooks": {"list": 403, "get": 403, "note": 403, "message": 403, "step": 403, "documents": 403, "issue": 403,
              "order": 403, "file_order": 403, "notice": 403, **PUBLIC,
              "hooks_list": 200, "hooks_create": 201, "hooks_get": 200, "hooks_test": 202, "hooks_deliveries": 200,
              "hooks_delete": 204},
    "none": {**{endpoint: 401 for endpoint in ENDPOINTS}, **PUBLIC},
}


def call(client: Client, endpoint: str, key: NewKey | None, file: Any, order_reference: str,
         hook: Any = None) -> Any:
    extra: dict[str, Any] = bearer(key) if key else {}
    if endpoint in HOOKS:
        hook_path = f"/api/v1/webhooks/{hook.public_id if hook is not None else uuid.uuid4()}"
        if endpoint == "hooks_list":
            return client.get("/api/v1/webhooks", **extra)
        if endpoint == "hooks_create":
            return post(client, "/api/v1/webhooks", {"url": "http://127.0.0.1:9/h", "events": ["document.issued"]},
                        key)
        if endpoint == "hooks_get":
            return client.get(hook_path, **extra)
        if endpoint == "hooks_test":
            return post(client, hook_path + "/test", {}, key)
        if endpoint == "hooks_deliveries":
            return client.get(hook_path + "/deliveries", **extra)
        return client.delete(hook_path, **extra)
    base = f"/api/v1/files/{file.public_id}"
    if endpoint == "list":
        return client.get("/api/v1/files", **extra)
    if endpoint == "get":
        return client.get(base, **extra)
    if endpoint == "note":
        return post(client, base + "/notes", {"text": "checked by the registry"}, key)
    if endpoint == "message":
        return post(client, base + "/messages", {"text": "Please bring the original Tazkira."}, key)
    if endpoint == "documents":
        return client.get(base + "/documents", **extra)
    if endpoint == "issue":
        return post(client, base + "/documents", {}, key)
    if endpoint == "catalog":
        return client.get("/api/v1/catalog/services", **extra)
    if endpoint == "verify":
        return post(client, "/api/v1/documents/verify", {"code": "AK1.not-a-code"}, key)
    if endpoint == "step":
        return post(client, base + "/steps", {"transition": "start_review", "expected_state": file.state}, key)
    if endpoint == "order":
        return client.get(f"/api/v1/payments/orders/{order_reference}", **extra)
    if endpoint == "file_order":
        return client.get(f"/api/v1/payments/files/{file.public_id}/order", **extra)
    return post(client, "/api/v1/payments/notices", {"order_reference": order_reference,
                                                       "transaction_id": "TX-1", "amount_afn": 1}, key)


@pytest.mark.parametrize("scope", list(EXPECTED))
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_permission_matrix_own_agency(api, keys, passport, citizen, scope, endpoint):
    from khedmat.payments import selectors as payment_selectors

    file = submitted(passport, citizen)
    order = payment_selectors.order_of(file)
    hook = webhook_subscribe(agency=passport.agency, url="http://127.0.0.1:9/h", event_types=["document.issued"])
    response = call(api, endpoint, keys.get(scope), file, order.reference if order else "NONE", hook.subscription)
    expected = EXPECTED[scope][endpoint]
    if endpoint == "notice" and expected == 200:
        # the order is paid already (the fixture pays as sent): a second notice is told so, not refused
        assert response.status_code in (200, 409), response.content
    else:
        assert response.status_code == expected, response.content


@pytest.mark.parametrize("endpoint", ["get", "note", "message", "step", "documents", "issue", "order", "file_order",
                                      "notice", "hooks_get", "hooks_test", "hooks_deliveries", "hooks_delete"])
def test_other_agencys_key_never_sees_the_file(api, keys, passport, citizen, endpoint):
    from khedmat.payments import selectors as payment_selectors

    file = submitted(passport, citizen)
    order = payment_selectors.order_of(file)
    hook = webhook_subscribe(agency=passport.agency, url="http://127.0.0.1:9/h", event_types=["document.issued"])
    response = call(api, endpoint, keys["other"], file, order.reference if order else "NONE", hook.subscription)
    problem(response, 404, "not_found")
    assert WebhookSubscription.objects.filter(pk=hook.subscription.pk).exists()
    assert not WebhookDelivery.objects.exists()


def test_other_agencys_list_holds_none_of_our_webhooks(api, keys, passport):
    webhook_subscribe(agency=passport.agency, url="http://127.0.0.1:9/h", event_types=["document.issued"])
    response = api.get("/api/v1/webhooks", **bearer(keys["other"]))
    assert response.status_code == 200 and response.json() == []


def test_other_agencys_list_holds_none_of_our_files(api, keys, passport, citizen):
    submitted(passport, citizen)
    response = api.get("/api/v1/files", **bearer(keys["other"]))
    assert response.status_code == 200 and response.json()["items"] == []


def test_a_key_limited_to_a_service_sees_only_that_service(api, moi, passport, citizen):
    from khedmat.api.services import api_key_create

    other_service = publish(moi, slug="passport-other", code="PSPX").service
    limited = api_key_create(agency=moi, name="one service", scopes=["read"], services=[other_service])
    file = submitted(passport, citizen)
    assert api.get("/api/v1/files", **bearer(limited)).json()["items"] == []
    problem(api.get(f"/api/v1/files/{file.public_id}", **bearer(limited)), 404, "not_found")


# --- reading and acting --------------------------------------------------------------------------

def test_list_pages_by_keyset_and_filters_by_state(api, keys, passport, citizen):
    files = [submitted(passport, citizen) for _ in range(5)]
    seen: list[str] = []
    after = ""
    while True:
        response = api.get("/api/v1/files", {"limit": 2, "after": after}, **bearer(keys["read"]))
        assert response.status_code == 200
        body = response.json()
        seen += [item["id"] for item in body["items"]]
        if not body["next_cursor"]:
            break
        after = body["next_cursor"]
    assert sorted(seen) == sorted(str(file.public_id) for file in files)
    assert api.get("/api/v1/files", {"state": "no-such-state"}, **bearer(keys["read"])).json()["items"] == []
    problem(api.get("/api/v1/files", {"after": "garbage"}, **bearer(keys["read"])), 422, "validation_failed")
    problem(api.get("/api/v1/files", {"state": "x\x00"}, **bearer(keys["read"])), 400, "bad_request")
    problem(api.get("/api/v1/files", {"limit": 100000}, **bearer(keys["read"])), 422, "validation_failed")
    # an offset PostgreSQL would refuse (found by schemathesis), a date at the calendar's edge
    far = api.get("/api/v1/files", {"updated_since": "0996-10-17T15:54:28+21:00"}, **bearer(keys["read"]))
    assert far.status_code == 200 and len(far.json()["items"]) == 5
    edge = api.get("/api/v1/files", {"updated_since": "0001-01-01T00:00:00+23:00"}, **bearer(keys["read"]))
    assert edge.status_code in (200, 422) and edge["Content-Type"].startswith(("application/json",
                                                                              "application/problem+json"))


def test_reading_a_file_shows_on_the_citizens_page_as_the_agencys_system(api, keys, passport, citizen):
    file = submitted(passport, citizen)
    response = api.get(f"/api/v1/files/{file.public_id}", **bearer(keys["read"]))
    assert response.status_code == 200
    assert response.json()["answers"]["full_name"] == "Ahmad Zia"
    entries = access_events(file)
    assert any(entry.who == "The agency's system" and entry.what == "opened your file" for entry in entries)


def test_a_step_follows_the_back_office_rules(api, keys, passport, citizen):
    file = submitted(passport, citizen)
    path = f"/api/v1/files/{file.public_id}/steps"
    stale = post(api, path, {"transition": "start_review", "expected_state": "approved"}, keys["act"])
    problem(stale, 409, "stale")
    moved = post(api, path, {"transition": "start_review", "expected_state": file.state}, keys["act"])
    assert moved.status_code == 200, moved.content
    assert moved.json()["state"] != file.state
    not_allowed = post(api, path, {"transition": "approve", "expected_state": moved.json()["state"]}, keys["act"])
    problem(not_allowed, 409, "not_allowed")  # an officer's key cannot approve


def test_a_note_too_long_or_empty_is_refused_and_changes_nothing(api, keys, passport, citizen):
    file = submitted(passport, citizen)
    problem(post(api, f"/api/v1/files/{file.public_id}/notes", {"text": "   "}, keys["act"]), 422, "validation_failed")
    problem(post(api, f"/api/v1/files/{file.public_id}/notes", {"text": "x" * 5001}, keys["act"]), 422,
            "validation_failed")
    assert file.notes.count() == 0


# --- keys ---------------------------------------------------------------------------------------

def test_bad_expired_and_revoked_keys_are_refused(api, keys, moi, passport, citizen):
    problem(api.get("/api/v1/files", HTTP_AUTHORIZATION="Bearer ak_nope_nope"), 401, "not_authenticated")
    token = keys["read"].token
    problem(api.get("/api/v1/files", HTTP_AUTHORIZATION="Bearer " + token[:-1] + "x"), 401, "not_authenticated")
    problem(api.get("/api/v1/files", HTTP_AUTHORIZATION="Bearer " + "۱" * 5000), 401, "not_authenticated")
    ApiKey.objects.filter(pk=keys["act"].key.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    problem(api.get("/api/v1/files", **bearer(keys["act"])), 401, "not_authenticated")
    admin = agency_admin(moi)
    api_key_revoke(key=keys["read"].key, actor=admin)
    problem(api.get("/api/v1/files", **bearer(keys["read"])), 401, "not_authenticated")


def test_only_a_hash_of_the_secret_is_stored(keys):
    key = keys["read"].key
    secret = keys["read"].token.split("_", 2)[2]  # the secret itself may hold "_"
    assert secret not in key.secret_hash and len(key.secret_hash) == 64


@override_settings(API_KEY_RATE=(3, 60))
def test_a_flood_from_one_key_is_throttled(api, keys):
    statuses = [api.get("/api/v1/files", **bearer(keys["read"])).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200]
    response = api.get("/api/v1/files", **bearer(keys["read"]))
    problem(response, 429, "rate_limited")
    assert "Retry-After" in response
    assert api.get("/api/v1/files", **bearer(keys["act"])).status_code == 200  # another key is not slowed


# --- idempotency and shapes --------------------------------------------------------------------------

def test_same_idempotency_key_and_body_replays_the_answer(api, keys, passport, citizen):
    file = submitted(passport, citizen)
    path = f"/api/v1/files/{file.public_id}/notes"
    first = post(api, path, {"text": "one"}, keys["act"], HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(api, path, {"text": "one"}, keys["act"], HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.content == again.content and again["Idempotent-Replayed"] == "true"
    assert file.notes.count() == 1
    problem(post(api, path, {"text": "two"}, keys["act"], HTTP_IDEMPOTENCY_KEY="k-1"), 422, "idempotency_key_reused")
    # another key's same Idempotency-Key is its own
    assert post(api, path, {"text": "one"}, keys["approve"], HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
    assert file.notes.count() == 2


def test_errors_are_problems(api, keys):
    problem(api.get("/api/v1/no/such/thing"), 404, "not_found")
    problem(api.get("/api/v1/catalog/services/no-such-service"), 404, "not_found")
    problem(post(api, "/api/v1/documents/verify", {"wrong": 1}), 422, "validation_failed")
    problem(api.post("/api/v1/documents/verify", "{not json", content_type="application/json"), 400,
            "body_not_json")
    problem(api.get("/api/v1/files/not-a-uuid", **bearer(keys["read"])), 404, "not_found")


def test_a_huge_body_is_refused_before_it_is_read(api, keys):
    response = api.post("/api/v1/documents/verify", json.dumps({"code": "x" * 70_000}),
                        content_type="application/json")
    problem(response, 413, "body_too_large")


# --- public -----------------------------------------------------------------------------------------

def test_public_catalog_centres_and_verification(api, passport):
    services = api.get("/api/v1/catalog/services")
    assert services.status_code == 200
    row = next(item for item in services.json() if item["slug"] == passport.slug)
    assert row["agency"] == "MOI" and row["time_standard_days"] > 0 and row["fee_max_afn"] >= row["fee_min_afn"]
    detail = api.get(f"/api/v1/catalog/services/{passport.slug}")
    assert detail.status_code == 200 and "workflow" in detail.json()["definition"]
    assert api.get("/api/v1/catalog/agencies").json()[0]["code"] == "MOI"
    assert api.get("/api/v1/centers").status_code == 200
    problem(api.get("/api/v1/centers/nowhere/queue"), 404, "not_found")
    verdict = post(api, "/api/v1/documents/verify", {"code": "not a real code"})
    assert verdict.status_code == 200 and verdict.json()["verdict"] not in ("valid", "")


def test_openapi_and_docs(api):
    schema = api.get("/api/v1/openapi.json")
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")
    assert api.get("/api/v1/docs").status_code == 200
