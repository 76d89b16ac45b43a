"""Fixtures for complaints: the applications' Ministry of Interior, its passport service, staff
and citizens (khedmat/applications/tests/conftest.py), a centre with its manager, and the
ombudsman desk, all made through the real services."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.applications.tests.conftest import (  # noqa: F401 (fixtures)
    _fee_paid_as_sent,
    approver,
    citizen,
    foreign_officer,
    moi,
    officer,
    other_agency,
    other_citizen,
    passport,
    second_officer,
)
from khedmat.catalog.models import Agency
from khedmat.centers.models import Center
from khedmat.centers.services import center_upsert
from khedmat.complaints.selectors import OMBUDSMAN_GROUP


@pytest.fixture
def center(db: None) -> Center:
    return center_upsert(code="KBL", slug="kabul", name={"en": "Kabul center", "fa": "مرکز کابل", "ps": "د کابل مرکز"},
                         city={"en": "Kabul", "fa": "کابل", "ps": "کابل"},
                         address={"en": "Street 1", "fa": "سرک ۱", "ps": "سړک ۱"},
                         opens_at=datetime.time(8), closes_at=datetime.time(16))


@pytest.fixture
def manager(center: Center) -> User:
    return staff_user_create(username="manager.kbl", password="pass-for-tests-1", role=Role.CENTER_MANAGER,
                             center=center, phone_number="+93700444555", full_name="Manager Kabul")


@pytest.fixture
def operator(center: Center) -> User:
    return staff_user_create(username="operator.kbl", password="pass-for-tests-1", role=Role.OPERATOR,
                             center=center, full_name="Operator Kabul")


@pytest.fixture
def head(moi: Agency) -> User:  # noqa: F811
    return staff_user_create(username="head.moi", password="pass-for-tests-1", role=Role.AGENCY_ADMIN, agency=moi,
                             phone_number="+93700999888", full_name="Head MOI")


@pytest.fixture
def supervisor(moi: Agency) -> User:  # noqa: F811
    return staff_user_create(username="supervisor.moi", password="pass-for-tests-1", role=Role.APPROVER,
                             agency=moi, phone_number="+93700777666", full_name="Supervisor MOI")


@pytest.fixture
def ombudsman(db: None) -> User:
    user = staff_user_create(username="ombudsman", password="pass-for-tests-1", role=Role.PLATFORM_ADMIN,
                             phone_number="+93700123123", full_name="Ombudsman desk")
    group, _created = Group.objects.get_or_create(name=OMBUDSMAN_GROUP)
    user.groups.add(group)
    return user
