from __future__ import annotations

import pytest

from khedmat.api.models import ApiKey
from khedmat.applications.tests.office_helpers import agency_admin, verified_client

pytestmark = pytest.mark.django_db


def test_an_agency_administrator_makes_a_key_sees_it_once_and_revokes_it(moi, passport):
    admin = agency_admin(moi)
    client = verified_client(admin)
    response = client.post("/en/office/api-keys/", {"name": "Registry", "scopes": ["read", "act"],
                                                    "acts_as": "officer", "days": "30"})
    assert response.status_code == 200
    key = ApiKey.objects.get()
    token = response.context["token"]
    assert token.startswith(f"ak_{key.prefix}_") and token.encode() in response.content
    assert token.encode() not in client.get("/en/office/api-keys/").content  # shown once
    response = client.post(f"/en/office/api-keys/{key.public_id}/revoke/")
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_an_officer_may_not_open_the_page(moi):
    from khedmat.accounts.models import Role
    from khedmat.accounts.services import staff_user_create

    officer = staff_user_create(username="o1", password="pass-for-tests-1", role=Role.OFFICER, agency=moi)
    assert verified_client(officer).get("/en/office/api-keys/").status_code in (403, 404)


def test_another_agencys_administrator_cannot_revoke(moi, other_agency):
    from khedmat.api.services import api_key_create

    made = api_key_create(agency=moi, name="x", scopes=["read"])
    other_admin = agency_admin(other_agency, username="admin.mof", phone_number="+93700999777")
    response = verified_client(other_admin).post(f"/en/office/api-keys/{made.key.public_id}/revoke/")
    assert response.status_code == 404
    made.key.refresh_from_db()
    assert made.key.revoked_at is None
