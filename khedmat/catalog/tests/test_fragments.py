"""The catalog's kept pages (catalog/fragments.py): read once, shown to everyone, and never older
than the last change an agency, an administrator or a centre made."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from khedmat.accounts.models import User
from khedmat.catalog import fragments, services
from khedmat.catalog.models import Service
from khedmat.catalog.tests.test_views import PASSPORT_YAML, passport  # noqa: F401 - the fixture
from khedmat.centers.models import Center

PAGES = ("/{lang}/", "/{lang}/services/", "/{lang}/services/passport/",
         "/{lang}/services/categories/identity-and-travel/", "/{lang}/services/agencies/interior/")


def _page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def _warm(client: Client) -> None:
    for lang in ("en", "fa", "ps"):
        for path in PAGES:
            _page(client, path.format(lang=lang))


@pytest.mark.parametrize("path", [path.format(lang=lang) for path in PAGES for lang in ("en", "fa")])
def test_a_kept_page_reads_nothing_from_the_database(client: Client, passport: Service,  # noqa: F811
                                                      path: str) -> None:
    first = _page(client, path)
    with CaptureQueriesContext(connection) as captured:
        again = _page(client, path)
    assert len(captured) == 0, [query["sql"] for query in captured.captured_queries]
    assert again == first


def test_a_published_version_shows_at_once_on_every_page_in_every_language(client: Client,
                                                                          passport: Service) -> None:  # noqa: F811
    _warm(client)
    definition = yaml.safe_load(PASSPORT_YAML)
    definition["name"] = {"en": "Passport, new rules", "fa": "پاسپورت، قواعد نو", "ps": "پاسپورټ، نوي قواعد"}
    definition["time_standard_days"] = 3
    services.service_publish(agency=passport.agency, definition=definition)
    for lang, name in (("en", "Passport, new rules"), ("fa", "پاسپورت، قواعد نو"), ("ps", "پاسپورټ، نوي قواعد")):
        assert name in _page(client, f"/{lang}/services/passport/")
        assert name in _page(client, f"/{lang}/services/")
        assert name in _page(client, f"/{lang}/services/categories/identity-and-travel/")
        assert name in _page(client, f"/{lang}/services/agencies/interior/")
    assert "3 working days" in _page(client, "/en/services/")


def test_a_withdrawn_service_leaves_the_pages_and_comes_back(client: Client, passport: Service) -> None:  # noqa: F811
    _warm(client)
    services.service_set_active(service=passport, is_active=False)
    assert client.get("/en/services/passport/").status_code == 404
    assert "/en/services/passport/" not in _page(client, "/en/services/")
    services.service_set_active(service=passport, is_active=True)
    assert "Passport issuance and renewal" in _page(client, "/en/services/passport/")
    assert "/fa/services/passport/" in _page(client, "/fa/services/")


def test_an_agency_or_category_renamed_shows_at_once(client: Client, passport: Service) -> None:  # noqa: F811
    _warm(client)
    services.agency_upsert(code="MOI", slug="interior",
                           name={"en": "Ministry of the Interior", "fa": "وزارت داخله", "ps": "د کورنیو وزارت"})
    services.category_upsert(slug="identity-and-travel", name={"en": "Papers", "fa": "اسناد", "ps": "اسناد"})
    home = _page(client, "/en/")
    assert "Ministry of the Interior" in home and "Papers" in home
    assert "وزارت داخله" in _page(client, "/fa/services/passport/")
    assert "<title>Papers" in _page(client, "/en/services/categories/identity-and-travel/")


def test_a_centre_that_changes_shows_at_once(client: Client, passport: Service) -> None:  # noqa: F811
    _warm(client)
    kabul = Center.objects.get(code="KBL")
    kabul.name_en = "Kabul Central Service Center"
    kabul.save()
    assert "Kabul Central Service Center" in _page(client, "/en/")
    assert "Kabul Central Service Center" in _page(client, "/en/services/passport/")
    kabul.services.remove(passport)
    assert "This service is not offered at a service center." in _page(client, "/en/services/passport/")
    Center.objects.create(code="HRT", slug="herat", name_en="Herat Service Center", name_fa="مرکز خدمات هرات",
                          name_ps="د هرات د خدماتو مرکز", opens_at=datetime.time(8), closes_at=datetime.time(16))
    assert "Herat Service Center" in _page(client, "/en/")


def test_a_change_gets_a_new_version_again_when_it_commits(
        passport: Service,  # noqa: F811
        django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    """A page rendered from the old rows just before the commit is not kept under the new version."""
    with django_capture_on_commit_callbacks(execute=True):
        services.service_set_active(service=passport, is_active=False)
        during = fragments.version()
    assert fragments.version() != during


def test_kept_pages_hold_nothing_of_the_visitor(client: Client, passport: Service) -> None:  # noqa: F811
    citizen = User.objects.create_user(username="citizen-kept", password="x-long-password-1", role="citizen",
                                       phone_number="+93700111222")
    signed_in = Client()
    signed_in.force_login(citizen)
    assert "My applications" in _page(signed_in, "/en/services/passport/")
    anonymous = _page(client, "/en/services/passport/")
    assert "My applications" not in anonymous and "Sign in" in anonymous
    assert "My applications" in _page(signed_in, "/en/services/passport/")
    for key in [key for key in cache._cache if ":catalog:fragment:" in key]:  # type: ignore[attr-defined]
        kept = repr(cache.get(key.split(":", 2)[2]))
        assert not any(mine in kept for mine in ("citizen-kept", "+93700111222", "csrf", "My applications"))


def test_a_search_is_not_kept(client: Client, passport: Service) -> None:  # noqa: F811
    _page(client, "/en/services/?q=passport")
    with CaptureQueriesContext(connection) as captured:
        _page(client, "/en/services/?q=passport")
    assert len(captured) > 0


def test_an_anonymous_visitor_gets_no_cookie_and_no_session(client: Client, passport: Service) -> None:  # noqa: F811
    """A kept page served to a visitor who has not signed in writes nothing about them."""
    from django.contrib.sessions.models import Session

    for path in ("/en/", "/fa/services/", "/ps/services/passport/"):
        client.get(path)
        response = client.get(path)
        assert not response.cookies, path
    assert not Session.objects.exists()


def test_a_deploy_that_adds_a_migration_reads_nothing_kept_before_it(tmp_path: Path) -> None:
    """Kept values may be pickled model instances: a changed model (a new migration) must not
    unpickle an old one, so the version's key follows the migrations."""
    (tmp_path / "catalog" / "migrations").mkdir(parents=True)
    (tmp_path / "catalog" / "migrations" / "0001_initial.py").write_text("")
    before = fragments.schema_stamp(tmp_path)
    assert fragments.schema_stamp(tmp_path) == before
    (tmp_path / "catalog" / "migrations" / "0002_service_field.py").write_text("")
    assert fragments.schema_stamp(tmp_path) != before
    assert fragments.VERSION_KEY.endswith(fragments.schema_stamp())


def test_the_pages_and_a_change_carry_on_while_the_cache_is_away(client: Client, passport: Service,  # noqa: F811
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Decision 0028: a restarting Redis makes pages slower, never refused; an agency's change is
    saved. (The fault drill found the apply form answering 500 while Redis restarted.)"""
    citizen = User.objects.create_user(username="citizen-away", password="x-long-password-1", role="citizen",
                                       phone_number="+93700111333")
    _warm(client)

    def away(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("cache away")

    for method in ("get", "get_many", "set", "add", "delete", "set_many"):
        monkeypatch.setattr(cache, method, away)
    for language in ("en", "fa"):
        for path in PAGES:
            assert _page(client, path.format(lang=language))
    services.service_set_active(service=passport, is_active=False)  # saved, though no version is renewed
    assert "/en/services/passport/" not in _page(client, "/en/services/")
    services.service_set_active(service=passport, is_active=True)
    client.force_login(citizen)
    assert client.get("/en/apply/passport/").status_code == 200


@pytest.mark.django_db
def test_a_process_copy_serves_while_the_version_stays_and_never_after_a_change(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`in_process`: while the catalog version stays, the call reads the version alone and gives
    this process's copy; after any change it reads or renders the value again."""
    renders: list[int] = []

    def render() -> list[int]:
        renders.append(len(renders) + 1)
        return [renders[-1]]

    first = fragments.cached("test-in-process", "en", render=render, in_process=True)
    reads: list[list[str]] = []
    get_many = cache.get_many

    def counted(keys: list[str], *args: Any, **kwargs: Any) -> Any:
        reads.append(list(keys))
        return get_many(keys, *args, **kwargs)

    monkeypatch.setattr(cache, "get_many", counted)
    assert fragments.cached("test-in-process", "en", render=render, in_process=True) is first
    assert renders == [1] and reads == [[fragments.VERSION_KEY]]
    fragments.bump()
    assert fragments.cached("test-in-process", "en", render=render, in_process=True) == [2]
    cache.delete(fragments.VERSION_KEY)  # the cache lost everything (a Redis restart)
    assert fragments.cached("test-in-process", "en", render=render, in_process=True) == [3]
    assert fragments.cached("test-in-process", "en", render=render, in_process=True) == [3]
    assert renders == [1, 2, 3]
