"""A citizen opens an account and signs in with a mobile number and a code sent by SMS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from khedmat.accounts.models import PhoneCode, Role, User
from khedmat.core.formatting import format_date
from khedmat.notifications.models import Message

from .conftest import code_from_sms

PHONE = "+93700123456"
pytestmark = pytest.mark.django_db


def ask_for_code(client: Client, typed: str = "0700 123 456", lang: str = "en", **extra: str):
    return client.post(f"/{lang}/account/sign-in/", {"phone_number": typed, **extra})


def enter_code(client: Client, code: str, lang: str = "en"):
    return client.post(f"/{lang}/account/sign-in/code/", {"code": code})


def test_the_sign_in_page_asks_for_a_mobile_number(client: Client) -> None:
    page = client.get("/en/account/sign-in/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'autocomplete="tel"' in html
    assert '<label for="id_phone_number">' in html


def test_a_new_number_opens_an_account_and_asks_for_a_name(client: Client) -> None:
    response = ask_for_code(client, "۰۷۰۰ ۱۲۳ ۴۵۶")
    assert response.status_code == 302
    assert response["Location"] == "/en/account/sign-in/code/"

    code_page = client.get("/en/account/sign-in/code/").content.decode()
    assert 'autocomplete="one-time-code"' in code_page
    assert 'inputmode="numeric"' in code_page
    assert "070 012 3456" in code_page

    session_before = client.session.session_key
    response = enter_code(client, code_from_sms(PHONE))
    assert response.status_code == 302
    assert response["Location"] == "/en/account/welcome/"
    assert client.session.session_key != session_before, "the session key must change at sign-in"

    user = User.objects.get(phone_number=PHONE)
    assert user.username == PHONE
    assert user.role == Role.CITIZEN
    assert not user.has_usable_password()

    response = client.post("/en/account/welcome/", {"full_name": "  Zarghona   Ahmadi ",
                                                    "tazkira_number": "۱۴۰۰-۰۱۰۱-۱۲۳۴۵"})
    assert response.status_code == 302
    assert response["Location"] == "/en/account/"
    user.refresh_from_db()
    assert user.full_name == "Zarghona Ahmadi"
    assert user.tazkira_number == "1400-0101-12345"

    profile = client.get("/en/account/").content.decode()
    assert "Zarghona Ahmadi" in profile
    assert "070 012 3456" in profile
    assert "1400-0101-12345" in profile
    assert format_date(user.date_joined, with_gregorian=True, language="en") in profile


def test_a_known_number_signs_in_straight_to_where_it_was_going(client: Client) -> None:
    User.objects.create(username=PHONE, phone_number=PHONE, full_name="Known Citizen")
    ask_for_code(client, next="/en/services/")
    response = enter_code(client, code_from_sms(PHONE))
    assert response["Location"] == "/en/services/"
    assert User.objects.filter(phone_number=PHONE).count() == 1
    assert "Known Citizen" in client.get("/en/account/").content.decode()


def test_an_outside_address_is_never_a_destination(client: Client) -> None:
    User.objects.create(username=PHONE, phone_number=PHONE, full_name="Known Citizen")
    ask_for_code(client, next="https://evil.example/")
    assert enter_code(client, code_from_sms(PHONE))["Location"] == "/en/account/"


def test_the_sms_code_is_kept_only_as_a_hash(client: Client) -> None:
    ask_for_code(client)
    code = code_from_sms(PHONE)
    stored = PhoneCode.objects.get(phone_number=PHONE)
    assert code not in stored.code_hash
    assert stored.expires_at > timezone.now()


def test_a_bad_number_is_explained_next_to_the_field(client: Client) -> None:
    page = ask_for_code(client, "0700 12")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'class="error field__error" id="id_phone_number_error"' in html
    assert 'aria-describedby="id_phone_number_helptext id_phone_number_error"' in html
    assert 'aria-invalid="true"' in html
    assert "Afghan mobile number" in html
    assert not Message.objects.exists()


def test_a_landline_gets_its_own_explanation(client: Client) -> None:
    html = ask_for_code(client, "020 210 1234").content.decode()
    assert "not a mobile number" in html
    assert not Message.objects.exists()


def test_a_wrong_code_is_refused_and_says_how_many_tries_remain(client: Client) -> None:
    ask_for_code(client)
    code = code_from_sms(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    page = enter_code(client, wrong)
    html = page.content.decode()
    assert page.status_code == 200
    assert "You can try 4 more times" in html
    assert 'id="id_code_error"' in html
    assert "_auth_user_id" not in client.session


def test_a_code_typed_in_eastern_digits_with_spaces_is_accepted(client: Client) -> None:
    ask_for_code(client)
    code = code_from_sms(PHONE)
    typed = " ".join(code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")))
    assert enter_code(client, typed)["Location"] == "/en/account/welcome/"


def test_an_expired_code_is_refused(client: Client) -> None:
    ask_for_code(client)
    PhoneCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    html = enter_code(client, code_from_sms(PHONE)).content.decode()
    assert "expired" in html
    assert not User.objects.filter(phone_number=PHONE).exists()


def test_a_code_works_once(client: Client, other_client: Client) -> None:
    ask_for_code(client)
    code = code_from_sms(PHONE)
    enter_code(client, code)
    # Someone who read the SMS later tries the same code.
    other_client.post("/en/account/sign-in/", {"phone_number": "0700123456"})
    PhoneCode.objects.filter(used_at__isnull=True).delete()  # only the used code remains
    html = enter_code(other_client, code).content.decode()
    assert "already been used" in html
    assert "_auth_user_id" not in other_client.session


def test_a_new_code_replaces_the_old_one(client: Client) -> None:
    ask_for_code(client)
    first = code_from_sms(PHONE)
    response = client.post("/en/account/sign-in/code/resend/")
    assert response["Location"] == "/en/account/sign-in/code/"
    second = code_from_sms(PHONE)
    assert Message.objects.filter(to=PHONE).count() == 2
    if first != second:
        assert "not the code in our latest SMS" in enter_code(client, first).content.decode()
    assert enter_code(client, second).status_code == 302


@override_settings(PHONE_CODE_MAX_ATTEMPTS=3)
def test_after_too_many_wrong_codes_even_the_right_one_is_refused(client: Client) -> None:
    ask_for_code(client)
    code = code_from_sms(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    enter_code(client, wrong)
    enter_code(client, wrong)
    assert "too many times" in enter_code(client, wrong).content.decode()
    html = enter_code(client, code).content.decode()
    assert "Ask for a new code" in html
    assert "_auth_user_id" not in client.session


def test_the_code_page_without_a_number_goes_back_to_the_start(client: Client) -> None:
    assert client.get("/en/account/sign-in/code/")["Location"] == "/en/account/sign-in/"


def test_a_staff_number_cannot_be_used_to_sign_in_by_sms(client: Client, operator: User) -> None:
    operator.phone_number = PHONE
    operator.save()
    ask_for_code(client)
    html = enter_code(client, code_from_sms(PHONE)).content.decode()
    assert "staff account" in html
    assert "_auth_user_id" not in client.session


def test_the_profile_needs_a_signed_in_citizen(client: Client) -> None:
    response = client.get("/en/account/")
    assert response.status_code == 302
    assert response["Location"].startswith("/en/account/sign-in/?next=")


def test_the_citizen_corrects_their_details_on_the_profile(client: Client) -> None:
    user = User.objects.create(username=PHONE, phone_number=PHONE, full_name="Old Name")
    client.force_login(user)
    response = client.post("/en/account/", {"full_name": "New Name", "tazkira_number": "abc"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_tazkira_number_error"' in html
    user.refresh_from_db()
    assert user.full_name == "Old Name"

    response = client.post("/en/account/", {"full_name": "New Name", "tazkira_number": ""}, follow=True)
    assert "Your details are saved." in response.content.decode()
    user.refresh_from_db()
    assert user.full_name == "New Name"


def test_a_new_citizen_gets_sms_in_the_language_they_signed_up_in(client: Client) -> None:
    ask_for_code(client, lang="ps")
    enter_code(client, code_from_sms(PHONE), lang="ps")
    assert User.objects.get(phone_number=PHONE).preferred_language == "ps"


def test_everyone_chooses_the_language_of_their_sms_on_the_account_page(client: Client) -> None:
    from khedmat.audit.models import AuditEvent

    user = User.objects.create(username=PHONE, phone_number=PHONE, full_name="Zarmina", preferred_language="fa")
    client.force_login(user)
    page = client.get("/en/account/").content.decode()
    assert "Language of your SMS" in page and 'value="ps"' in page and "پښتو" in page
    refused = client.post("/en/account/", {"form": "language", "preferred_language": "de"})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    user.refresh_from_db()
    assert user.preferred_language == "fa"
    saved = client.post("/en/account/", {"form": "language", "preferred_language": "ps"}, follow=True)
    assert "Your SMS will be written in the language you chose." in saved.content.decode()
    user.refresh_from_db()
    assert user.preferred_language == "ps" and user.full_name == "Zarmina"  # the details form untouched
    assert AuditEvent.objects.filter(action="accounts.language_changed", subject=user).exists()


def test_signing_out_takes_a_post(client: Client) -> None:
    user = User.objects.create(username=PHONE, phone_number=PHONE, full_name="Citizen")
    client.force_login(user)
    assert client.get("/en/account/sign-out/").status_code == 200
    assert "_auth_user_id" in client.session
    response = client.post("/en/account/sign-out/")
    assert response["Location"] == "/en/"
    assert "_auth_user_id" not in client.session


def test_the_pages_are_in_dari_under_fa(client: Client) -> None:
    html = client.get("/fa/account/sign-in/").content.decode()
    assert 'dir="rtl"' in html
    assert 'lang="fa-AF"' in html
    response = ask_for_code(client, "0700 12", lang="fa")
    html = response.content.decode()
    assert 'dir="rtl"' in html
    assert 'id="id_phone_number_error"' in html
    ask_for_code(client, lang="fa")
    assert client.get("/fa/account/sign-in/code/").content.decode().count('dir="rtl"') == 1
    response = enter_code(client, code_from_sms(PHONE), lang="fa")
    assert response["Location"] == "/fa/account/welcome/"
    assert User.objects.get(phone_number=PHONE).preferred_language == "fa"


def test_the_dari_profile_writes_numbers_in_eastern_digits(client: Client) -> None:
    user = User.objects.create(username=PHONE, phone_number=PHONE, full_name="شهروند",
                               tazkira_number="1400-0101-12345")
    client.force_login(user)
    html = client.get("/fa/account/").content.decode()
    assert '<bdi dir="ltr" class="ltr">۰۷۰ ۰۱۲ ۳۴۵۶</bdi>' in html
    assert '<bdi dir="ltr" class="ltr">۱۴۰۰-۰۱۰۱-۱۲۳۴۵</bdi>' in html
    assert format_date(user.date_joined, with_gregorian=True, language="fa") in html


def test_a_bad_tazkira_number_on_the_welcome_page_is_explained(client: Client) -> None:
    user = User.objects.create(username=PHONE, phone_number=PHONE)
    client.force_login(user)
    response = client.post("/en/account/welcome/", {"full_name": "Citizen", "tazkira_number": "12-ab"})
    assert response.status_code == 200
    assert 'id="id_tazkira_number_error"' in response.content.decode()
    user.refresh_from_db()
    assert user.full_name == ""
