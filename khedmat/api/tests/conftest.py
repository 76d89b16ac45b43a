"""API fixtures: the passport service of the Ministry of Interior (applications' fixtures), keys
of each scope for it and for another agency, all made through the real services."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from khedmat.accounts.models import Role
from khedmat.api.services import NewKey, api_key_create
from khedmat.applications.tests.conftest import (  # noqa: F401 (fixtures)
    _fee_paid_as_sent,
    citizen,
    moi,
    other_agency,
    other_citizen,
    passport,
)
from khedmat.catalog.models import Agency


@pytest.fixture
def keys(moi: Agency, other_agency: Agency) -> dict[str, NewKey]:  # noqa: F811
    return {
        "read": api_key_create(agency=moi, name="read", scopes=["read"]),
        "act": api_key_create(agency=moi, name="act", scopes=["read", "act"]),
        "approve": api_key_create(agency=moi, name="approver", scopes=["read", "act"], acts_as=Role.APPROVER),
        "pay": api_key_create(agency=moi, name="bank", scopes=["pay"], payment_operator="azizi-bank"),
        "hooks": api_key_create(agency=moi, name="hooks", scopes=["webhooks"]),
        "other": api_key_create(agency=other_agency, name="other", scopes=["read", "act", "pay", "webhooks"]),
    }


def bearer(new: NewKey) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {new.token}"}


@pytest.fixture
def api() -> Client:
    return Client()
