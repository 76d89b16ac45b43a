"""Catalog fixtures: two agencies with a service each, and one account per administering role."""

from __future__ import annotations

from datetime import time

import pytest

from khedmat.accounts.models import Role, User
from khedmat.catalog.models import Agency, Category, Service
from khedmat.centers.models import Center
from khedmat.centers.services import center_upsert

from .factories import AgencyFactory, CategoryFactory, StaffFactory, passport_definition, publish


@pytest.fixture
def category(db: None) -> Category:
    return CategoryFactory.create()


@pytest.fixture
def moi(db: None) -> Agency:
    return AgencyFactory.create(code="MOI", slug="interior", name={
        "en": "Ministry of Interior Affairs", "fa": "وزارت امور داخله", "ps": "د کورنیو چارو وزارت"})


@pytest.fixture
def mof(db: None) -> Agency:
    return AgencyFactory.create(code="MOF", slug="finance", name={
        "en": "Ministry of Finance", "fa": "وزارت مالیه", "ps": "د مالیې وزارت"})


@pytest.fixture
def passport(moi: Agency, category: Category) -> Service:
    return publish(moi).service


@pytest.fixture
def tax_service(mof: Agency, category: Category) -> Service:
    """A service of another agency than MOI's (the passport definition under other names)."""
    definition = passport_definition(code="TIN", slug="tax-number", **{
        "name.en": "Tax identification number", "name.fa": "نمبر تشخیصیه مالیه", "name.ps": "د مالیې پېژند نمبر"})
    return publish(mof, definition).service


@pytest.fixture
def moi_admin(moi: Agency) -> User:
    return StaffFactory.create(username="admin.moi", role=Role.AGENCY_ADMIN, agency=moi)


@pytest.fixture
def mof_admin(mof: Agency) -> User:
    return StaffFactory.create(username="admin.mof", role=Role.AGENCY_ADMIN, agency=mof)


@pytest.fixture
def moi_officer(moi: Agency) -> User:
    return StaffFactory.create(username="officer.moi", role=Role.OFFICER, agency=moi)


@pytest.fixture
def platform_admin(db: None) -> User:
    return StaffFactory.create(username="platform", role=Role.PLATFORM_ADMIN, is_superuser=False)


@pytest.fixture
def kabul(db: None) -> Center:
    return _center("KBL", "kabul", "Kabul")


@pytest.fixture
def herat(db: None) -> Center:
    return _center("HRT", "herat", "Herat")


def _center(code: str, slug: str, city: str) -> Center:
    names = {"en": f"{city} Service Center", "fa": f"مرکز خدمات {city}", "ps": f"د {city} مرکز"}
    return center_upsert(code=code, slug=slug, name=names, city=names, address=names,
                         opens_at=time(8), closes_at=time(16))


@pytest.fixture
def kabul_manager(kabul: Center) -> User:
    return StaffFactory.create(username="manager.kbl", role=Role.CENTER_MANAGER, center=kabul)
