"""The frame every page shares (base.html: head links, header, footer) is rendered once per
process and key (docs/performance.md, round eight): these tests hold that what a person sees
in it still follows the page, the language, who is signed in and the day."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone

from khedmat.accounts.models import Role, User
from khedmat.core.static_storage import StaticFilesStorage
from khedmat.core.templatetags import khedmat as khedmat_tags


def _header(body: str) -> str:
    return body[body.index('<a class="skip-link"'):body.index("</header>")]


def _languages(body: str) -> str:
    start = body.index('<nav class="lang-switch"')
    return body[start:body.index("</nav>", start)]


def test_the_language_links_follow_the_page_and_the_language(db: None) -> None:
    client = Client()
    services = client.get("/en/services/?q=tazkira").content.decode()
    agencies = client.get("/en/services/agencies/").content.decode()
    assert 'href="/fa/services/?q=tazkira"' in _languages(services)
    assert 'href="/fa/services/agencies/"' in _languages(agencies) and "?q=tazkira" not in _languages(agencies)
    dari = client.get("/fa/services/agencies/").content.decode()
    assert 'href="/en/services/agencies/"' in _languages(dari)
    assert 'href="/fa/services/agencies/"' not in _languages(dari)


def test_the_header_follows_who_is_signed_in_on_the_same_page(db: None) -> None:
    anonymous = Client().get("/en/services/").content.decode()
    citizen = User.objects.create_user(username="+93700111444", phone_number="+93700111444", role=Role.CITIZEN)
    client = Client()
    client.force_login(citizen)
    signed_in = client.get("/en/services/").content.decode()
    assert "Sign in" in _header(anonymous) and "My applications" not in _header(anonymous)
    assert "My applications" in _header(signed_in) and "Sign in" not in _header(signed_in)
    client.post("/en/account/sign-out/")
    assert "Sign in" in _header(client.get("/en/services/").content.decode())


def test_the_footer_shows_the_day_it_is(db: None) -> None:
    client = Client()
    today = timezone.localdate()
    first = client.get("/en/").content.decode()
    tomorrow = today + datetime.timedelta(days=1)
    with mock.patch.object(khedmat_tags.timezone, "localdate", return_value=tomorrow):
        second = client.get("/en/").content.decode()
    footer = lambda body: body[body.index('<footer class="site-footer">'):]  # noqa: E731
    assert footer(first) != footer(second)
    assert str(tomorrow.year) in footer(second)


def test_a_page_s_message_is_never_kept_in_the_frame(db: None) -> None:
    """Messages are a person's own: shown once, inside the page, never in a cached part."""
    citizen = User.objects.create_user(username="+93700111555", phone_number="+93700111555", role=Role.CITIZEN)
    client = Client()
    client.force_login(citizen)
    client.post("/en/account/sign-out/")  # says "You are signed out." on the next page
    shown = client.get("/en/").content.decode()
    again = client.get("/en/").content.decode()
    assert 'class="messages"' in shown and 'class="messages"' not in again
    assert _header(shown) == _header(again)


def test_the_kept_frames_are_bounded_and_forgotten_when_settings_change(db: None) -> None:
    client = Client()
    for n in range(khedmat_tags._FRAME_CACHE_SIZE + 50):
        khedmat_tags._frame_part(("test", n), lambda: "x")
    assert len(khedmat_tags._FRAME_CACHE) <= khedmat_tags._FRAME_CACHE_SIZE
    assert client.get("/en/").status_code == 200
    with override_settings(ROOT_URLCONF=settings.ROOT_URLCONF):
        assert not khedmat_tags._FRAME_CACHE


@pytest.fixture
def manifest_storage(tmp_path: Path) -> StaticFilesStorage:
    (tmp_path / "staticfiles.json").write_text(json.dumps(
        {"paths": {"css/site.css": "css/site.0123456789ab.css"}, "version": "1.1", "hash": "x"}))
    return StaticFilesStorage(location=str(tmp_path), base_url="/static/")


def test_static_addresses_are_the_manifest_s_hashed_names(manifest_storage: StaticFilesStorage) -> None:
    assert manifest_storage.url("css/site.css") == "/static/css/site.0123456789ab.css"
    assert manifest_storage.url("css/site.css") == "/static/css/site.0123456789ab.css"
    for _ in range(2):  # a name the manifest lacks is refused every time, never kept
        with pytest.raises(ValueError):
            manifest_storage.url("css/missing.css")
