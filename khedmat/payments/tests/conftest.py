"""Payments fixtures: the passport (fee by validity, paid first) and the driving licence (fee
asked after the test), a citizen, staff; applications sent through the real services."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.test import Client

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.applications.models import Application
from khedmat.applications.services import application_draft_save, application_submit
from khedmat.applications.tests.conftest import (  # noqa: F401 (fixtures)
    PASSPORT_ANSWERS,
    approver,
    citizen,
    moi,
    officer,
    other_agency,
    other_citizen,
    passport,
)
from khedmat.catalog import services as catalog_services
from khedmat.catalog.models import Agency, Service

SECRET = "test-shared-secret-azizi"
_keys = itertools.count(1)


@pytest.fixture(autouse=True)
def _payment_settings(settings: Any) -> None:
    settings.PAYMENT_PROVIDERS = ["demo", "bank_callback"]
    settings.PAYMENT_DEMO_ENABLED = True
    settings.PAYMENT_CALLBACK_SECRETS = {"azizi-bank": SECRET}
    settings.PAYMENT_ORDER_EXPIRY_DAYS = 7


def load_service(agency: Agency, file_name: str) -> Service:
    text = Path(settings.BASE_DIR, "demo/services", file_name).read_text(encoding="utf-8")
    slug = yaml.safe_load(text)["category"]
    catalog_services.category_upsert(slug=slug, name={"en": slug, "fa": slug, "ps": slug})
    return catalog_services.service_import_yaml(agency=agency, text=text).service


@pytest.fixture
def driving_licence(moi: Agency) -> Service:  # noqa: F811
    return load_service(moi, "moi-drl.yaml")


@pytest.fixture
def vehicle_registration(moi: Agency) -> Service:  # noqa: F811
    return load_service(moi, "moi-vhr.yaml")


@pytest.fixture
def agency_admin(moi: Agency) -> User:  # noqa: F811
    return staff_user_create(username="admin.test", password="pass-for-tests-1", role=Role.AGENCY_ADMIN, agency=moi)


def submit(service: Service, applicant: User, answers: dict[str, Any] | None = None,
           key: str | None = None) -> Application:
    draft = application_draft_save(applicant=applicant, service=service, data=answers or PASSPORT_ANSWERS)
    return application_submit(application=draft, idempotency_key=key or f"pay-{next(_keys)}", actor=applicant)


def signed_post(client: Client, body: dict[str, Any] | bytes, *, operator: str = "azizi-bank",
                secret: str = SECRET, timestamp: int | None = None, signature: str | None = None) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return client.post(f"/payments/callback/{operator}/", data=raw, content_type="application/json",
                       headers={"X-Khedmat-Timestamp": stamp,
                                "X-Khedmat-Signature": signature or f"sha256={digest}"})


def notice(order: Any, *, status: str = "paid", transaction_id: str = "TX-1",
           amount: int | None = None) -> dict[str, Any]:
    return {"reference": order.reference, "amount": order.amount if amount is None else amount,
            "currency": "AFN", "transaction_id": transaction_id, "status": status}


@pytest.fixture
def foreign_officer_client(other_agency: Agency) -> Client:  # noqa: F811
    from khedmat.catalog.tests.factories import verified_client

    user = staff_user_create(username="officer.other", password="pass-for-tests-1", role=Role.OFFICER,
                             agency=other_agency)
    return verified_client(user)
