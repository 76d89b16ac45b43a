"""A file worked end to end by an agency's systems: an officer's key reviews and recommends,
an approver's key approves (two people), the document is issued and revoked through the API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from khedmat.api.services import NewKey
from khedmat.applications.tests.office_helpers import submitted

from .conftest import bearer

pytestmark = pytest.mark.django_db


def step(api: Client, key: NewKey, file: Any, transition: str, expected: str) -> Any:
    return api.post(f"/api/v1/files/{file.public_id}/steps",
                    json.dumps({"transition": transition, "expected_state": expected}),
                    content_type="application/json", **bearer(key))


def test_review_approve_issue_and_revoke_through_the_api(api, keys, passport, citizen):
    file = submitted(passport, citizen)
    assert step(api, keys["act"], file, "start_review", file.state).json()["state"] == "in_review"
    assert step(api, keys["act"], file, "recommend", "in_review").json()["state"] == "awaiting_approval"
    refused = step(api, keys["act"], file, "approve", "awaiting_approval")  # an officer's key may not approve
    assert refused.status_code == 409 and refused.json()["code"] == "not_allowed"
    approved = step(api, keys["approve"], file, "approve", "awaiting_approval")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"

    listed = api.get(f"/api/v1/files/{file.public_id}/documents", **bearer(keys["read"]))
    assert listed.status_code == 200 and len(listed.json()) == 1
    number = listed.json()[0]["number"]
    again = api.post(f"/api/v1/files/{file.public_id}/documents", "{}", content_type="application/json",
                     **bearer(keys["act"]))
    assert again.status_code == 200 and again.json()["number"] == number  # the same document, not a second
    assert api.post(f"/api/v1/files/{file.public_id}/documents", "{}", content_type="application/json",
                    **bearer(keys["read"])).status_code == 403
    assert api.get(f"/api/v1/files/{file.public_id}/documents", **bearer(keys["other"])).status_code == 404

    path = f"/api/v1/files/{file.public_id}/documents/{number}/revoke"
    body = json.dumps({"reason": "Issued on a forged Tazkira"})
    assert api.post(path, body, content_type="application/json", **bearer(keys["other"])).status_code == 404
    revoked = api.post(path, body, content_type="application/json", **bearer(keys["act"]))
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    twice = api.post(path, body, content_type="application/json", **bearer(keys["act"]))
    assert twice.status_code == 409 and twice.json()["code"] == "already_revoked"


def test_a_document_is_not_issued_before_its_state(api, keys, passport, citizen):
    file = submitted(passport, citizen)
    response = api.post(f"/api/v1/files/{file.public_id}/documents", "{}", content_type="application/json",
                        **bearer(keys["act"]))
    assert response.status_code == 409 and response.json()["code"] == "not_issuable"
