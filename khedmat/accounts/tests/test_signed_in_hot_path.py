"""What every signed-in request pays before and after its view (docs/performance.md, "Signed in").

Sessions are read from a copy in the cache, the database staying the record; the user and the
staff member's second-factor device are read by statements built once per process; the menu is
rendered once per role and language. These tests pin the statements of a signed-in page and
hold the guarantees around them: a sign-out, a changed password, a locked account or a reset
second factor acts at once; a cache outage signs nobody out and fails no request.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from redis.exceptions import ConnectionError as RedisConnectionError

from khedmat.accounts import services, sessions
from khedmat.accounts.models import Role, User
from khedmat.accounts.sessions import SessionStore
from khedmat.catalog.models import Agency
from khedmat.catalog.tests.factories import verified_client
from khedmat.core.templatetags import khedmat as khedmat_tags

HOME = "/en/"
_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK", "BEGIN", "COMMIT")


def statements(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in captured.captured_queries
            if not query["sql"].lstrip().upper().startswith(_TRANSACTION_CONTROL)]


@pytest.fixture
def citizen(db: None) -> User:
    return User.objects.create_user(username="+93700111222", phone_number="+93700111222", role=Role.CITIZEN,
                                    full_name="Citizen")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_session_engine_is_the_cached_database_one() -> None:
    assert settings.SESSION_ENGINE == "khedmat.accounts.sessions"


def test_a_signed_in_citizen_page_reads_only_the_user(citizen: User) -> None:
    client = signed_in(citizen)
    client.get(HOME)  # the home's body kept (catalog fragments): what is left is the layout
    with CaptureQueriesContext(connection) as captured:
        response = client.get(HOME)
    assert response.status_code == 200 and b"My applications" in response.content
    sqls = statements(captured)
    assert len(sqls) == 1, sqls  # the user; no session row read, nothing written
    assert "accounts_user" in sqls[0]
    assert "Set-Cookie" not in str(response.cookies.get(settings.SESSION_COOKIE_NAME, ""))


def test_a_signed_in_staff_page_reads_the_user_and_the_device_once(officer: User) -> None:
    client = verified_client(officer)
    client.get(HOME)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(HOME)
    assert response.status_code == 200 and b"Back office" in response.content
    sqls = statements(captured)
    # The user and the second-factor device in one round trip (a reset still acts at once).
    assert len(sqls) == 1, sqls
    assert "accounts_user" in sqls[0] and 'LEFT JOIN "otp_totp_totpdevice"' in sqls[0]
    assert not [sql for sql in sqls if "django_session" in sql]


def test_the_session_is_kept_in_the_database_and_read_from_the_cache(citizen: User) -> None:
    client = signed_in(citizen)
    key = session_key(client)
    assert Session.objects.filter(session_key=key).exists()
    assert cache.get(SessionStore.cache_key_prefix + key)[SESSION_KEY] == str(citizen.pk)
    cache.clear()  # a Redis restart: the database still has it
    assert b"My applications" in client.get(HOME).content
    assert cache.get(SessionStore.cache_key_prefix + key) is not None  # copied again


def test_a_copy_lives_at_most_five_minutes() -> None:
    assert sessions._copy_seconds(8 * 60 * 60) == 300
    assert sessions._copy_seconds(60) == 60
    assert sessions._copy_seconds(-5) == 0


def test_signing_out_deletes_the_session_and_its_copy(citizen: User) -> None:
    client = signed_in(citizen)
    key = session_key(client)
    client.post("/en/account/sign-out/")
    assert not Session.objects.filter(session_key=key).exists()
    assert cache.get(SessionStore.cache_key_prefix + key) is None
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert b"My applications" not in replay.get(HOME).content


def test_a_new_session_key_at_sign_in_leaves_nothing_under_the_old_one(citizen: User) -> None:
    client = Client()
    client.get("/en/account/sign-in/")
    store = SessionStore()
    store["pending"] = "x"
    store.create()
    old = store.session_key
    store.cycle_key()
    assert store.session_key != old
    assert not Session.objects.filter(session_key=old).exists()
    assert cache.get(SessionStore.cache_key_prefix + old) is None
    assert SessionStore(store.session_key).load()["pending"] == "x"


def test_a_changed_password_signs_out_everywhere_though_the_session_is_copied(citizen: User) -> None:
    client = signed_in(citizen)
    assert b"My applications" in client.get(HOME).content
    citizen.set_password("another long password 123")
    citizen.save()
    response = client.get(HOME)
    assert b"My applications" not in response.content
    assert not Session.objects.filter(session_key=session_key(client)).exists() or \
        SESSION_KEY not in SessionStore(session_key(client)).load()


def test_a_session_hashed_under_a_fallback_secret_is_renewed(citizen: User) -> None:
    with override_settings(SECRET_KEY="an-older-secret-key-that-is-long-enough-for-tests-0123456789"):
        client = signed_in(citizen)
    old = session_key(client)
    with override_settings(SECRET_KEY="the-new-secret-key-that-is-long-enough-for-tests-0123456789",
                           SECRET_KEY_FALLBACKS=["an-older-secret-key-that-is-long-enough-for-tests-0123456789"]):
        response = client.get(HOME)
        assert b"My applications" in response.content
        new = session_key(client)
        assert new != old
        assert SessionStore(new).load()[HASH_SESSION_KEY] == citizen.get_session_auth_hash()


def test_a_deactivated_account_is_signed_out_at_once(citizen: User) -> None:
    client = signed_in(citizen)
    assert b"My applications" in client.get(HOME).content
    User.objects.filter(pk=citizen.pk).update(is_active=False)
    assert b"My applications" not in client.get(HOME).content


def test_a_reset_second_factor_takes_effect_at_once(officer: User, agency_admin: User) -> None:
    client = verified_client(officer)
    step = reverse("accounts:staff_second_factor")
    assert client.get("/admin/").get("Location") != step
    services.staff_second_factor_reset(user=officer, reset_by=agency_admin, reason="lost phone")
    assert client.get("/admin/").get("Location") == step
    assert DEVICE_ID_SESSION_KEY not in SessionStore(session_key(client)).load()


def test_a_device_of_someone_else_does_not_verify(officer: User, agency_admin: User) -> None:
    other = verified_client(agency_admin)
    device_id = SessionStore(session_key(other)).load()[DEVICE_ID_SESSION_KEY]
    client = signed_in(officer)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device_id
    session.save()
    assert client.get("/admin/").get("Location") == reverse("accounts:staff_second_factor")


def test_a_device_not_yet_confirmed_does_not_verify(officer: User) -> None:
    client = verified_client(officer)
    assert client.get("/admin/").get("Location") != reverse("accounts:staff_second_factor")
    TOTPDevice.objects.filter(user=officer).update(confirmed=False)
    assert client.get("/admin/").get("Location") == reverse("accounts:staff_second_factor")
    assert DEVICE_ID_SESSION_KEY not in SessionStore(session_key(client)).load()


@pytest.mark.parametrize("device_id", ["otp_totp.totpdevice/999999", "otp_totp.totpdevice/x", "accounts.user/1",
                                       "no.such/1", "nonsense"])
def test_a_session_naming_no_device_of_its_own_is_not_verified_and_fails_nothing(officer: User,
                                                                                 device_id: str) -> None:
    client = verified_client(officer)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device_id
    session.save()
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:staff_second_factor")
    assert DEVICE_ID_SESSION_KEY not in SessionStore(session_key(client)).load()


def test_a_deactivated_staff_account_is_signed_out_though_its_device_is_read_with_it(officer: User) -> None:
    client = verified_client(officer)
    assert b"Back office" in client.get(HOME).content
    User.objects.filter(pk=officer.pk).update(is_active=False)
    response = client.get(HOME)
    assert response.status_code == 200 and b"Back office" not in response.content


def _unavailable(*_args: Any, **_kwargs: Any) -> Any:
    raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_a_cache_outage_signs_nobody_out_and_fails_no_request(citizen: User, caplog: Any) -> None:
    client = signed_in(citizen)
    key = session_key(client)
    with mock.patch.object(cache, "get", _unavailable), mock.patch.object(cache, "set", _unavailable), \
            mock.patch.object(cache, "delete", _unavailable), mock.patch.object(cache, "get_many", _unavailable):
        response = client.get("/en/account/")
        assert response.status_code == 200 and b"My applications" in response.content
        client.post("/en/account/sign-out/")  # signing out works too, from the database
        assert not Session.objects.filter(session_key=key).exists()
    assert "cache unavailable (session read)" in caplog.text
    assert "cache unavailable (session copy deleted)" in caplog.text


def test_the_menu_is_the_same_for_a_role_and_follows_the_language(citizen: User, officer: User) -> None:
    other = User.objects.create_user(username="+93700111333", phone_number="+93700111333", role=Role.CITIZEN)
    first, second = signed_in(citizen).get(HOME).content, signed_in(other).get(HOME).content
    nav = first[first.index(b'<nav class="site-nav"'):first.index(b"</nav>", first.index(b'<nav class="site-nav"'))]
    assert nav in second and b"My applications" in nav and b"Back office" not in nav
    assert b"Back office" in verified_client(officer).get(HOME).content
    with translation.override("fa"):
        mine = gettext("My applications")
    assert mine != "My applications" and mine in signed_in(citizen).get("/fa/").content.decode()
    anonymous = Client().get(HOME).content
    assert b"Sign in" in anonymous and b"My applications" not in anonymous


def test_the_menu_is_forgotten_when_settings_change() -> None:
    khedmat_tags._NAV_CACHE[("xx",)] = "kept"
    with override_settings(ROOT_URLCONF=settings.ROOT_URLCONF):
        assert ("xx",) not in khedmat_tags._NAV_CACHE


@pytest.mark.parametrize("path, link", [
    ("/en/services/?q=pass%20port", 'href="/fa/services/?q=pass%20port"'),
    ("/fa/services/agencies/", 'href="/en/services/agencies/"'),
    ("/en/", 'href="/ps/"'),
])
def test_the_language_links_keep_the_page_and_its_query(db: None, path: str, link: str) -> None:
    assert link in Client().get(path).content.decode()


def test_the_language_links_of_a_page_with_arguments(agency: Agency) -> None:
    body = Client().get(f"/fa/services/agencies/{agency.slug}/?page=1").content.decode()
    assert f'href="/en/services/agencies/{agency.slug}/?page=1"' in body
    assert f'href="/ps/services/agencies/{agency.slug}/?page=1"' in body
