"""Enrolling an authenticator needs a set-up code from an administrator: a password alone
shows no secret. Issuing codes and resetting a second factor are audited services."""

from __future__ import annotations

import io
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from khedmat.accounts import services
from khedmat.accounts.models import EnrolmentCode, Role, User
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Agency
from khedmat.catalog.services import agency_upsert
from khedmat.catalog.tests.factories import verified_client

from .conftest import (
    ENROL,
    PASSWORD,
    RECOVERY_CODES,
    SECOND_FACTOR,
    current_totp,
    give_password,
    let_time_pass,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(agency: Agency) -> User:
    """An officer whose account was just opened: no authenticator yet."""
    return services.staff_user_create(username="new.officer", password=PASSWORD, role=Role.OFFICER, agency=agency)


def second_factor_page(user: User) -> str:
    return reverse("admin:accounts_user_second_factor", args=[user.pk])


def issued_code(html: str) -> str:
    match = re.search(r'class="secret">([0-9-]{14})<', html)
    assert match, "no set-up code on the page"
    return match.group(1)


def test_a_password_alone_shows_no_secret(client: Client, newcomer: User) -> None:
    assert give_password(client, "new.officer")["Location"] == ENROL
    page = client.get(ENROL).content.decode()
    assert "Ask your administrator for one" in page
    assert "data:image/svg+xml" not in page and 'class="secret"' not in page
    assert not TOTPDevice.objects.filter(user=newcomer).exists()
    assert "_auth_user_id" not in client.session, "and nobody is signed in"
    # A made-up code does not open it either.
    response = client.post(ENROL, {"step": "code", "code": "1234-5678-9012"})
    assert "That set-up code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=newcomer).exists()


def test_an_administrator_issues_a_code_and_the_officer_enrols_with_it(client: Client, newcomer: User,
                                                                       agency_admin: User) -> None:
    admin_client = verified_client(agency_admin)
    change_page = admin_client.get(reverse("admin:accounts_user_change", args=[newcomer.pk])).content.decode()
    assert "cannot sign in until you issue a set-up code" in change_page
    page = admin_client.post(second_factor_page(newcomer), {"action": "issue", "reason": "new staff member"})
    html = page.content.decode()
    code = issued_code(html)
    assert f"/fa/account/staff/set-up/{code.replace('-', '')}/" in html, "the link, in the officer's language"
    # Stored as a keyed hash only.
    enrolment = EnrolmentCode.objects.get(user=newcomer)
    assert code.replace("-", "") not in enrolment.code_hash and enrolment.issued_by == agency_admin
    assert code not in admin_client.get(second_factor_page(newcomer)).content.decode(), "shown once"

    give_password(client, "new.officer")
    assert client.post(ENROL, {"step": "code", "code": code})["Location"] == ENROL
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    assert client.post(ENROL, {"step": "confirm", "code": current_totp(device)})["Location"] == RECOVERY_CODES
    enrolment.refresh_from_db()
    assert enrolment.used_at is not None
    actions = list(AuditEvent.objects.filter(subject=newcomer).order_by("id").values_list("action", flat=True))
    assert actions[-4:] == ["accounts.enrolment_code_issued", "accounts.second_factor_enrolled",
                            "accounts.recovery_codes_made", "accounts.signed_in"]
    issued = AuditEvent.objects.get(action="accounts.enrolment_code_issued", subject=newcomer)
    assert (issued.actor, issued.reason) == (agency_admin, "new staff member")


def test_a_set_up_code_works_once(client: Client, other_client: Client, newcomer: User) -> None:
    code = services.staff_enrolment_code_issue(user=newcomer, issued_by=None).code
    give_password(client, "new.officer")
    client.post(ENROL, {"step": "code", "code": code})
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    client.post(ENROL, {"step": "confirm", "code": current_totp(device)})
    # Someone else with the password and the same code, later: the account has its authenticator.
    give_password(other_client, "new.officer")
    assert other_client.get(ENROL)["Location"] == SECOND_FACTOR
    assert TOTPDevice.objects.filter(user=newcomer).count() == 1


def test_a_newer_code_or_the_clock_ends_an_older_one(client: Client, newcomer: User) -> None:
    first = services.staff_enrolment_code_issue(user=newcomer, issued_by=None).code
    second = services.staff_enrolment_code_issue(user=newcomer, issued_by=None)
    give_password(client, "new.officer")
    assert "not right" in client.post(ENROL, {"step": "code", "code": first}).content.decode()
    EnrolmentCode.objects.filter(pk=second.enrolment.pk).update(expires_at=timezone.now())
    assert "not right" in client.post(ENROL, {"step": "code", "code": second.code}).content.decode()
    assert not TOTPDevice.objects.filter(user=newcomer).exists()


def test_a_code_replaced_while_scanning_does_not_confirm(client: Client, newcomer: User) -> None:
    code = services.staff_enrolment_code_issue(user=newcomer, issued_by=None).code
    give_password(client, "new.officer")
    client.post(ENROL, {"step": "code", "code": code})
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    services.staff_enrolment_code_issue(user=newcomer, issued_by=None)  # e.g. the administrator changed their mind
    response = client.post(ENROL, {"step": "confirm", "code": current_totp(device)}, follow=True)
    assert "Your set-up code has expired or been replaced" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=newcomer, confirmed=True).exists()


def test_guessing_set_up_codes_locks_like_guessing_authenticator_codes(client: Client, newcomer: User) -> None:
    services.staff_enrolment_code_issue(user=newcomer, issued_by=None)
    give_password(client, "new.officer")
    statuses = [client.post(ENROL, {"step": "code", "code": f"00000000000{n}"}).status_code for n in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    newcomer.refresh_from_db()
    assert newcomer.second_factor_locked_until is not None


def test_the_link_fills_in_the_code_after_the_password(client: Client, newcomer: User) -> None:
    code = services.staff_enrolment_code_issue(user=newcomer, issued_by=None).code
    response = client.get(f"/en/account/staff/set-up/{code}/", follow=True)
    assert response.redirect_chain[-1][0] == "/en/account/staff/sign-in/"
    assert "Sign in with your username and password to set up your authenticator app." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=newcomer).exists(), "opening the link changes nothing"
    give_password(client, "new.officer")
    page = client.get(ENROL).content.decode()
    assert f'value="{code[:4]}-{code[4:8]}-{code[8:]}"' in page
    assert client.post(ENROL, {"step": "code", "code": code})["Location"] == ENROL
    assert 'class="qr"' in client.get(ENROL).content.decode()


def test_resetting_a_second_factor_needs_a_reason_and_is_audited(officer: User, agency_admin: User) -> None:
    services.staff_recovery_codes_make(user=officer)
    officer_client = verified_client(officer)
    assert officer_client.get("/en/office/").status_code == 200
    admin_client = verified_client(agency_admin)

    page = admin_client.post(second_factor_page(officer), {"action": "reset", "reason": "  "}).content.decode()
    assert "Say why the second factor is reset" in page
    assert TOTPDevice.objects.filter(user=officer, confirmed=True).count() == 2  # verified_client's and the seed's

    page = admin_client.post(second_factor_page(officer), {"action": "reset", "reason": "lost phone"}).content.decode()
    assert issued_code(page)
    assert not TOTPDevice.objects.filter(user=officer).exists()
    assert not StaticToken.objects.filter(device__user=officer).exists()
    event = AuditEvent.objects.get(action="accounts.second_factor_reset")
    assert (event.actor, event.subject, event.reason) == (agency_admin, officer, "lost phone")
    assert event.data["recovery_codes_removed"] == 10
    # A session signed in with the old authenticator must give the second factor again.
    assert officer_client.get("/en/office/")["Location"].startswith("/en/account/staff/second-factor/")


def test_nobody_resets_their_own_second_factor_or_one_they_do_not_manage(agency_admin: User, officer: User) -> None:
    admin_client = verified_client(agency_admin)
    page = admin_client.post(second_factor_page(agency_admin), {"action": "reset", "reason": "me"})
    assert "ask another administrator" in page.content.decode()
    assert TOTPDevice.objects.filter(user=agency_admin, confirmed=True).exists()
    with pytest.raises(PermissionDenied):
        services.staff_second_factor_reset(user=agency_admin, reset_by=agency_admin, reason="me")
    other = agency_upsert(code="MOF", slug="mof", name={"en": "Finance", "fa": "مالیه", "ps": "مالیه"})
    foreign_admin = services.staff_user_create(username="admin.mof", password=PASSWORD, role=Role.AGENCY_ADMIN,
                                               agency=other)
    assert verified_client(foreign_admin).post(second_factor_page(officer),
                                               {"action": "reset", "reason": "x"}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.staff_second_factor_reset(user=officer, reset_by=foreign_admin, reason="x")
    assert TOTPDevice.objects.filter(user=officer).exists()


def test_an_account_with_an_authenticator_gets_no_set_up_code_without_a_reset(officer: User,
                                                                             operator: User) -> None:
    with pytest.raises(ValidationError):
        services.staff_enrolment_code_issue(user=officer, issued_by=None)
    with pytest.raises(ValidationError):
        services.staff_enrolment_code_issue(user=operator, issued_by=None)  # operators need no second factor
    assert not EnrolmentCode.objects.exists()


def test_devices_cannot_be_edited_in_the_admin(officer: User) -> None:
    root = services.staff_user_create(username="root", password=PASSWORD, role=Role.PLATFORM_ADMIN)
    client = verified_client(root)
    device = TOTPDevice.objects.filter(user=officer).first()
    assert device is not None
    listing = client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    assert listing.status_code == 200 and "Officer of MOI" in listing.content.decode()
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).content.decode()
    assert device.key not in page
    assert client.post(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
                       {"confirmed": ""}).status_code == 403
    assert client.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/delete/").status_code == 403
    device.refresh_from_db()
    assert device.confirmed


def test_the_command_line_issues_a_code_for_the_first_administrator(agency: Agency) -> None:
    root = User.objects.create_superuser("root", password=PASSWORD)
    out = io.StringIO()
    call_command("enrolment_code", "root", "--base-url", "https://asan.example.af", stdout=out)
    text = out.getvalue()
    code = re.search(r"Set-up code for root: ([0-9-]{14})", text)
    assert code and f"https://asan.example.af/fa/account/staff/set-up/{code.group(1).replace('-', '')}/" in text
    client = Client()
    give_password(client, "root")
    assert client.post(ENROL, {"step": "code", "code": code.group(1)})["Location"] == ENROL
    device = TOTPDevice.objects.get(user=root)
    assert client.post(ENROL, {"step": "confirm", "code": current_totp(device)})["Location"] == RECOVERY_CODES
    let_time_pass(device)
    assert StaticDevice.objects.filter(user=root).exists()
