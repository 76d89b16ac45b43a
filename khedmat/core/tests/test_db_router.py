"""Which database a read goes to: the replica only for marked views, for a browser that has not
written lately, outside transactions, never for sessions and accounts; without a replica,
nothing changes. (tests/test_replica.py runs the same rules against a real streaming replica.)"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import resolve, reverse

from khedmat.accounts.models import User
from khedmat.catalog.models import Agency
from khedmat.core.db_router import PIN_COOKIE, ReplicaReadsMiddleware, ReplicaRouter, replica_reads

router = ReplicaRouter()
Seen = dict[str, Any]


@pytest.fixture
def with_replica(monkeypatch: pytest.MonkeyPatch) -> None:
    """A "replica" alias in the settings (never connected to here: only the routing is checked)."""
    monkeypatch.setitem(settings.DATABASES, "replica", {**settings.DATABASES["default"]})


def _view(seen: Seen, *, write: bool = False) -> Callable[[HttpRequest], HttpResponse]:
    def view(request: HttpRequest) -> HttpResponse:
        if write:
            router.db_for_write(Agency)
        seen["agency"] = router.db_for_read(Agency)
        seen["session"] = router.db_for_read(Session)
        seen["user"] = router.db_for_read(User)
        with transaction.atomic():
            seen["in_transaction"] = router.db_for_read(Agency)
        return HttpResponse("ok")
    return view


def _serve(request: HttpRequest, view: Callable[[HttpRequest], HttpResponse]) -> HttpResponse:
    """Run `request` through the middleware as Django would: process_view, then the view."""
    def handler(req: HttpRequest) -> HttpResponse:
        middleware.process_view(req, view, (), {})
        return view(req)

    middleware = ReplicaReadsMiddleware(handler)
    return middleware(request)


def _get(path: str = "/en/services/", **cookies: str) -> HttpRequest:
    request = RequestFactory().get(path)
    request.COOKIES.update(cookies)
    request.resolver_match = resolve(path)
    return request


# Transactional: inside the test case's own transaction every read would stay on the primary.
pytestmark = pytest.mark.django_db(transaction=True)


def test_without_a_replica_nothing_is_routed_and_no_cookie_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(settings.DATABASES, "replica", raising=False)
    seen: Seen = {}
    response = _serve(_get(), _view(seen))
    assert seen == {"agency": None, "session": None, "user": None, "in_transaction": None}
    assert router.db_for_write(Agency) is None
    post = RequestFactory().post("/en/services/")
    post.resolver_match = resolve("/en/services/")
    response = _serve(post, _view({}, write=True))
    assert PIN_COOKIE not in response.cookies


@pytest.mark.usefixtures("with_replica")
def test_a_listed_public_page_reads_from_the_replica_but_sessions_accounts_and_transactions_do_not() -> None:
    seen: Seen = {}
    response = _serve(_get("/en/services/agencies/"), _view(seen))
    assert seen == {"agency": "replica", "session": "default", "user": "default", "in_transaction": "default"}
    assert PIN_COOKIE not in response.cookies


@pytest.mark.usefixtures("with_replica")
def test_an_unlisted_page_reads_from_the_primary() -> None:
    seen: Seen = {}
    _serve(_get("/en/status/"), _view(seen))
    assert seen["agency"] == "default"


@pytest.mark.usefixtures("with_replica")
def test_a_view_marked_by_the_decorator_reads_from_the_replica() -> None:
    seen: Seen = {}
    _serve(_get("/en/status/"), replica_reads(_view(seen)))
    assert seen["agency"] == "replica"


@pytest.mark.usefixtures("with_replica")
def test_outside_a_request_everything_is_on_the_primary() -> None:
    assert router.db_for_read(Agency) == "default"
    assert router.db_for_write(Agency) == "default"
    assert router.allow_migrate("replica", "catalog") is False


@pytest.mark.usefixtures("with_replica")
def test_a_browser_that_posted_reads_its_own_writes_from_the_primary_until_the_window_ends(
        monkeypatch: pytest.MonkeyPatch) -> None:
    post = RequestFactory().post("/en/services/")
    post.resolver_match = resolve("/en/services/")
    response = _serve(post, _view({}))
    cookie = response.cookies[PIN_COOKIE]
    assert cookie["max-age"] == settings.REPLICA_PIN_SECONDS and cookie["httponly"]

    seen: Seen = {}
    _serve(_get(**{PIN_COOKIE: cookie.value}), _view(seen))
    assert seen["agency"] == "default"

    # After the window the same cookie no longer pins: back to the replica.
    later = time.time() + settings.REPLICA_PIN_SECONDS + 1
    monkeypatch.setattr("django.core.signing.time", SimpleNamespace(time=lambda: later))
    _serve(_get(**{PIN_COOKIE: cookie.value}), _view(seen))
    assert seen["agency"] == "replica"


@pytest.mark.usefixtures("with_replica")
def test_a_page_that_writes_reads_from_the_primary_after_and_pins_the_browser() -> None:
    seen: Seen = {}
    response = _serve(_get(), _view(seen, write=True))
    assert seen["agency"] == "default"
    assert PIN_COOKIE in response.cookies


@pytest.mark.usefixtures("with_replica")
def test_a_forged_pin_cookie_pins_nothing() -> None:
    seen: Seen = {}
    _serve(_get(**{PIN_COOKIE: "9999999999"}), _view(seen))
    assert seen["agency"] == "replica"


def test_in_the_settings_only_pages_nobody_acts_on_are_listed() -> None:
    listed = set(settings.REPLICA_READ_VIEWS)
    assert "catalog:services" in listed
    for acted_on in ("centers:board_feed", "centers:ticket", "applications:status", "documents:verify",
                     "centers:kiosk", "applications:office_inbox"):
        assert acted_on not in listed
    for name in listed:
        assert reverse(name, kwargs=_sample_kwargs(name))  # every listed name is a real page


def _sample_kwargs(name: str) -> dict[str, str]:
    return {"slug": "x"} if name in ("catalog:category", "catalog:agency", "catalog:service") else {}
