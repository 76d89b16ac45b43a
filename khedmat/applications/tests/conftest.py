"""Shared fixtures for applications: a passport service of the Ministry of Interior, a
citizen, and the Ministry's officer and approver, all made through the real services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import citizen_get_or_create, staff_user_create
from khedmat.catalog import services as catalog_services
from khedmat.catalog.models import Agency, Service

PASSPORT_ANSWERS = {
    "full_name": "Ahmad Zia", "father_name": "Mohammad Nabi", "date_of_birth": "1990-03-21",
    "validity_years": "5", "collection_center": "KBL",  # where the passport is collected (a center's code)
}


@pytest.fixture(autouse=True)
def _fee_paid_as_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """The passport waits for its fee before review (issue 5). These tests are about review,
    so the fee is paid (demo provider) as the file is sent; khedmat/payments/tests cover paying."""
    from khedmat.payments import services as payments
    from khedmat.payments import subscribers

    open_order = payments.payment_order_open

    def open_and_pay(*, application: Any, actor: Any = None, request: Any = None, just_sent: bool = False) -> Any:
        order = open_order(application=application, actor=actor, request=request, just_sent=just_sent)
        if order is not None and order.expires_at is not None:
            payments.payment_demo_record(application=application, transaction_id=order.reference)
            application.refresh_from_db()
        return order

    monkeypatch.setattr(subscribers, "payment_order_open", open_and_pay)


@pytest.fixture
def moi(db: None) -> Agency:
    catalog_services.category_upsert(slug="identity-and-travel",
                                     name={"en": "Identity and travel", "fa": "هویت و سفر", "ps": "هویت او سفر"})
    return catalog_services.agency_upsert(
        code="MOI", slug="interior",
        name={"en": "Ministry of Interior Affairs", "fa": "وزارت امور داخله", "ps": "د کورنیو چارو وزارت"},
    )


@pytest.fixture
def other_agency(db: None) -> Agency:
    return catalog_services.agency_upsert(
        code="MOF", slug="finance",
        name={"en": "Ministry of Finance", "fa": "وزارت مالیه", "ps": "د مالیې وزارت"},
    )


@pytest.fixture
def passport(moi: Agency) -> Service:
    text = Path(settings.BASE_DIR, "demo/services/moi-psp.yaml").read_text(encoding="utf-8")
    return catalog_services.service_import_yaml(agency=moi, text=text).service


@pytest.fixture
def citizen(db: None) -> User:
    user, _created = citizen_get_or_create(phone_number="+93700111222")
    return user


@pytest.fixture
def other_citizen(db: None) -> User:
    user, _created = citizen_get_or_create(phone_number="+93700333444")
    return user


@pytest.fixture
def officer(moi: Agency) -> User:
    return staff_user_create(username="officer.test", password="pass-for-tests-1", role=Role.OFFICER, agency=moi)


@pytest.fixture
def second_officer(moi: Agency) -> User:
    return staff_user_create(username="officer2.test", password="pass-for-tests-1", role=Role.OFFICER, agency=moi)


@pytest.fixture
def approver(moi: Agency) -> User:
    return staff_user_create(username="approver.test", password="pass-for-tests-1", role=Role.APPROVER, agency=moi)


@pytest.fixture
def foreign_officer(other_agency: Agency) -> User:
    return staff_user_create(username="officer.mof", password="pass-for-tests-1", role=Role.OFFICER,
                             agency=other_agency)
