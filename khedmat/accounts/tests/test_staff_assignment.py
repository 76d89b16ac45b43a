"""A staff account's role, unit and status change only with a reason, and the audit trail
keeps who changed what, from what to what, and why."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from khedmat.accounts import services
from khedmat.accounts.models import Role, User
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Agency
from khedmat.catalog.services import agency_upsert
from khedmat.catalog.tests.factories import verified_client
from khedmat.centers.models import Center

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db: None) -> User:
    return services.staff_user_create(username="root", password=PASSWORD, role=Role.PLATFORM_ADMIN)


@pytest.fixture
def finance(db: None) -> Agency:
    return agency_upsert(code="MOF", slug="mof", name={"en": "Ministry of Finance", "fa": "وزارت مالیه",
                                                       "ps": "د مالیې وزارت"})


def change_form(user: User, **changes: str) -> dict[str, str]:
    data = {"username": user.username, "full_name": user.full_name, "email": user.email,
            "phone_number": user.phone_number or "", "tazkira_number": user.tazkira_number,
            "preferred_language": user.preferred_language, "role": user.role,
            "agency": str(user.agency_id or ""), "center": str(user.center_id or ""),
            "is_active": "on" if user.is_active else ""}
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_a_role_change_without_a_reason_changes_nothing(root: User, officer: User) -> None:
    url = reverse("admin:accounts_user_change", args=[officer.pk])
    response = verified_client(root).post(url, change_form(officer, role="approver"))
    assert response.status_code == 200
    assert "Say why the role, unit or status changes" in response.content.decode()
    officer.refresh_from_db()
    assert officer.role == Role.OFFICER
    assert not AuditEvent.objects.filter(action="accounts.staff_assignment_changed").exists()


def test_a_role_and_agency_change_is_audited_with_who_what_and_why(root: User, officer: User,
                                                                   finance: Agency) -> None:
    url = reverse("admin:accounts_user_change", args=[officer.pk])
    response = verified_client(root).post(url, change_form(
        officer, role="agency_admin", agency=str(finance.pk), full_name="Mariam S.",
        change_reason="Transferred to Finance as its administrator (order 1403/112)"))
    assert response.status_code == 302, response.content.decode()[:2000]
    officer.refresh_from_db()
    assert (officer.role, officer.agency, officer.is_staff, officer.full_name) == \
        (Role.AGENCY_ADMIN, finance, True, "Mariam S.")
    event = AuditEvent.objects.get(action="accounts.staff_assignment_changed")
    assert (event.actor, event.subject, event.reason) == \
        (root, officer, "Transferred to Finance as its administrator (order 1403/112)")
    assert event.data["changes"] == {"role": {"from": "officer", "to": "agency_admin"},
                                     "agency": {"from": "MOI", "to": "MOF"}}


def test_deactivating_an_account_needs_a_reason_too(root: User, officer: User) -> None:
    url = reverse("admin:accounts_user_change", args=[officer.pk])
    client = verified_client(root)
    assert client.post(url, change_form(officer, is_active="")).status_code == 200
    officer.refresh_from_db()
    assert officer.is_active
    assert client.post(url, change_form(officer, is_active="", change_reason="left the ministry")).status_code == 302
    officer.refresh_from_db()
    assert not officer.is_active
    event = AuditEvent.objects.get(action="accounts.staff_assignment_changed")
    assert event.data["changes"] == {"is_active": {"from": True, "to": False}}


def test_other_details_change_without_a_reason(root: User, officer: User) -> None:
    url = reverse("admin:accounts_user_change", args=[officer.pk])
    assert verified_client(root).post(url, change_form(officer, full_name="Mariam Sultani")).status_code == 302
    officer.refresh_from_db()
    assert officer.full_name == "Mariam Sultani"
    assert not AuditEvent.objects.filter(action="accounts.staff_assignment_changed").exists()


def test_the_service_refuses_a_role_above_the_administrators_own(agency_admin: User, officer: User,
                                                                 center: Center) -> None:
    with pytest.raises(ValidationError):
        services.staff_assignment_change(user=officer, changed_by=agency_admin, reason="", role=Role.APPROVER)
    with pytest.raises(PermissionDenied):
        services.staff_assignment_change(user=officer, changed_by=agency_admin, reason="promotion",
                                         role=Role.PLATFORM_ADMIN)
    with pytest.raises(PermissionDenied):
        services.staff_assignment_change(user=officer, changed_by=agency_admin, reason="move",
                                         role=Role.OPERATOR, center=center)
    officer.refresh_from_db()
    assert officer.role == Role.OFFICER
    services.staff_assignment_change(user=officer, changed_by=agency_admin, reason="promotion", role=Role.APPROVER)
    officer.refresh_from_db()
    assert officer.role == Role.APPROVER


def test_opening_an_account_records_who_opened_it_and_where(agency_admin: User, agency: Agency) -> None:
    response = verified_client(agency_admin).post(reverse("admin:accounts_user_add"), {
        "username": "new.person", "password1": "a long enough passphrase 42",
        "password2": "a long enough passphrase 42", "full_name": "New Person", "email": "",
        "role": "officer", "agency": str(agency.pk)})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="accounts.staff_created", subject__username="new.person")
    assert event.actor == agency_admin
    assert event.data["role"] == "officer" and event.data["agency"] == "MOI"
