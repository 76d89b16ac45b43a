"""Staff sign in with a password; officers and administrators then give a TOTP code."""

from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from khedmat.accounts import services
from khedmat.accounts.models import Role, User
from khedmat.catalog.models import Agency

from .conftest import PASSWORD, current_totp

pytestmark = pytest.mark.django_db
SIGN_IN = "/en/account/staff/sign-in/"
SECOND_FACTOR = "/en/account/staff/second-factor/"
ENROL = "/en/account/staff/second-factor/set-up/"


def give_password(client: Client, username: str, password: str = PASSWORD, **extra: str):
    return client.post(SIGN_IN, {"username": username, "password": password, **extra})


def secret_shown(html: str) -> str:
    start = html.index('<code class="secret" dir="ltr">')
    return html[start:html.index("</code>", start)]


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_an_administrator_gives_password_then_totp_and_reaches_the_admin(client: Client, agency_admin: User) -> None:
    response = give_password(client, "admin.moi")
    assert response["Location"] == SECOND_FACTOR
    assert signed_in_user_id(client) is None, "a password alone signs no one in"

    page = client.get(SECOND_FACTOR).content.decode()
    assert 'autocomplete="one-time-code"' in page
    device = TOTPDevice.objects.get(user=agency_admin)
    response = client.post(SECOND_FACTOR, {"code": current_totp(device)})
    assert response["Location"] == "/admin/"
    assert signed_in_user_id(client) == str(agency_admin.pk)
    assert client.get("/admin/").status_code == 200


def test_a_wrong_totp_code_is_refused(client: Client, agency_admin: User) -> None:
    give_password(client, "admin.moi")
    device = TOTPDevice.objects.get(user=agency_admin)
    wrong = "000000" if current_totp(device) != "000000" else "111111"
    page = client.post(SECOND_FACTOR, {"code": wrong})
    assert page.status_code == 200
    assert 'id="id_code_error"' in page.content.decode()
    assert signed_in_user_id(client) is None
    # A mistake is not a lock-out: the right code still works straight after.
    assert client.post(SECOND_FACTOR, {"code": current_totp(device)})["Location"] == "/admin/"


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client: Client, officer: User) -> None:
    for username, password in (("officer.moi", "wrong password"), ("nobody", PASSWORD)):
        html = give_password(client, username, password).content.decode()
        assert "The username or password is not right." in html
    assert signed_in_user_id(client) is None


def test_the_second_factor_page_needs_the_password_first(client: Client) -> None:
    assert client.get(SECOND_FACTOR)["Location"] == SIGN_IN
    assert client.get(ENROL)["Location"] == SIGN_IN


def test_staff_without_an_authenticator_set_one_up_with_a_set_up_code(client: Client, agency: Agency) -> None:
    user = services.staff_user_create(username="new.officer", password=PASSWORD, role=Role.OFFICER,
                                      agency=agency)
    code = services.staff_enrolment_code_issue(user=user, issued_by=None).code
    assert give_password(client, "new.officer")["Location"] == ENROL
    assert client.get(SECOND_FACTOR)["Location"] == ENROL
    assert client.post(ENROL, {"step": "code", "code": code})["Location"] == ENROL
    page = client.get(ENROL).content.decode()
    assert '<img class="qr" src="data:image/svg+xml;base64,' in page
    start = page.index("data:image/svg+xml;base64,") + len("data:image/svg+xml;base64,")
    svg = base64.b64decode(page[start:page.index('"', start)]).decode()
    assert svg.startswith("<svg") and "style=" not in svg
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert secret_shown(client.get(ENROL).content.decode()) == secret_shown(page), "a reload keeps the secret"

    response = client.post(ENROL, {"step": "confirm", "code": current_totp(device)})
    assert response["Location"] == "/en/account/staff/recovery-codes/"
    device.refresh_from_db()
    assert device.confirmed
    assert signed_in_user_id(client) == str(user.pk)
    codes_page = client.get(response["Location"]).content.decode()
    assert codes_page.count('<code class="secret" dir="ltr">') == 10
    assert 'href="/en/office/"' in codes_page, "then an officer goes on to the inbox"


def test_the_secret_is_also_shown_as_text_for_typing(client: Client, agency: Agency) -> None:
    user = services.staff_user_create(username="new.officer", password=PASSWORD, role=Role.OFFICER, agency=agency)
    code = services.staff_enrolment_code_issue(user=user, issued_by=None).code
    give_password(client, "new.officer")
    client.post(ENROL, {"step": "code", "code": code})
    html = client.get(ENROL).content.decode()
    assert '<code class="secret" dir="ltr">' in html


def test_an_officer_with_only_a_password_cannot_open_the_admin(client: Client, officer: User) -> None:
    give_password(client, "officer.moi")
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(SIGN_IN)
    assert signed_in_user_id(client) is None


def test_a_session_signed_in_without_the_second_factor_is_sent_to_it(client: Client, agency_admin: User) -> None:
    client.force_login(agency_admin)  # e.g. a password-only sign-in by some other path
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == SECOND_FACTOR
    device = TOTPDevice.objects.get(user=agency_admin)
    assert client.post(SECOND_FACTOR, {"code": current_totp(device)})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admins_own_sign_in_page_hands_over_to_the_staff_sign_in(client: Client) -> None:
    response = client.get("/admin/login/?next=/admin/catalog/")
    assert response.status_code == 302
    assert response["Location"] == SIGN_IN + "?next=%2Fadmin%2Fcatalog%2F"


def test_the_staff_sign_in_keeps_where_the_person_was_going(client: Client, agency_admin: User) -> None:
    give_password(client, "admin.moi", next="/admin/accounts/")
    device = TOTPDevice.objects.get(user=agency_admin)
    assert client.post(SECOND_FACTOR, {"code": current_totp(device)})["Location"] == "/admin/accounts/"


def test_an_operator_signs_in_with_a_password_only(client: Client, operator: User) -> None:
    response = give_password(client, "operator.kbl")
    assert response["Location"] == "/en/center/counter/", "an operator lands on the counter screen"
    assert signed_in_user_id(client) == str(operator.pk)
    profile = client.get("/en/account/").content.decode()
    assert "Center operator" in profile
    assert "Kabul center" in profile


def test_a_citizen_cannot_use_the_staff_sign_in(client: Client) -> None:
    citizen = User.objects.create(username="+93700123456", phone_number="+93700123456")
    citizen.set_password(PASSWORD)
    citizen.save()
    assert "not right" in give_password(client, "+93700123456").content.decode()
    assert signed_in_user_id(client) is None


def test_the_staff_pages_are_right_to_left_in_dari(client: Client, agency_admin: User) -> None:
    html = client.get("/fa/account/staff/sign-in/").content.decode()
    assert 'dir="rtl"' in html
    response = client.post("/fa/account/staff/sign-in/", {"username": "admin.moi", "password": PASSWORD})
    assert response["Location"] == "/fa/account/staff/second-factor/"
    assert 'dir="rtl"' in client.get(response["Location"]).content.decode()


def test_staff_accounts_are_made_consistent(agency: Agency) -> None:
    with pytest.raises(ValidationError):
        services.staff_user_create(username="x", password=PASSWORD, role=Role.CITIZEN)
    with pytest.raises(ValidationError):
        services.staff_user_create(username="x", password=PASSWORD, role=Role.OFFICER)
    with pytest.raises(ValidationError):
        services.staff_user_create(username="x", password=PASSWORD, role=Role.OPERATOR, agency=agency)
    admin = services.staff_user_create(username="x", password=PASSWORD, role=Role.AGENCY_ADMIN, agency=agency)
    assert admin.is_staff and not admin.is_superuser
    with pytest.raises(ValidationError):
        services.staff_user_create(username="x", password=PASSWORD, role=Role.AGENCY_ADMIN, agency=agency)
    platform = services.staff_user_create(username="root", password=PASSWORD, role=Role.PLATFORM_ADMIN)
    assert platform.is_staff and platform.is_superuser
