"""Reads that may be a few seconds old go to a PostgreSQL streaming replica; nothing else does.

With `DATABASE_REPLICA_URL` set, settings add a "replica" alias (docs/scaling.md). A read goes
there only when all of these hold, so that no one ever acts on stale data:

- the view is marked stale-tolerant: its URL name is in `settings.REPLICA_READ_VIEWS` (one
  reviewed list: the catalog, the centers' dashboard…) or it carries `@replica_reads`; a view is
  never picked by guessing from the models it reads;
- the request is a GET or HEAD, and the browser has not written within the last
  `settings.REPLICA_PIN_SECONDS` (read-your-writes: any request that writes, or that is not a
  GET/HEAD/OPTIONS, sets a short signed cookie that pins the browser to the primary);
- the read is not inside a transaction on the primary, nor after a write in the same request;
- the model is not one whose staleness is a security matter (sessions, accounts, second
  factors): a signed-out session or a locked account must stop working everywhere at once.

Every write goes to the primary. Without a replica alias the router answers None everywhere:
Django's behaviour is unchanged.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

REPLICA_ALIAS = "replica"
PIN_COOKIE = "khedmat_primary"
PIN_SALT = "khedmat.core.db_router.pin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Apps never read from the replica, whatever the view: sessions, users and second factors.
PRIMARY_ONLY_APPS = frozenset({"sessions", "accounts", "auth", "otp_totp", "otp_static", "django_otp"})

View = TypeVar("View", bound=Callable[..., Any])


class _RequestState:
    """What the router knows about the request being served by this thread."""

    __slots__ = ("replica_allowed", "wrote")

    def __init__(self) -> None:
        self.replica_allowed = False
        self.wrote = False


_state: contextvars.ContextVar[_RequestState | None] = contextvars.ContextVar("khedmat_db_router", default=None)


def replica_configured() -> bool:
    return REPLICA_ALIAS in settings.DATABASES


def replica_reads(view: View) -> View:
    """Mark a view whose reads may be a few seconds stale (the alternative to listing its URL
    name in settings.REPLICA_READ_VIEWS)."""
    view.replica_reads = True  # type: ignore[attr-defined]
    return view


def reading_from_replica() -> bool:
    """Whether reads of ordinary models go to the replica right now (for tests and logs)."""
    state = _state.get()
    return bool(state and state.replica_allowed and not state.wrote and replica_configured()
                and not connections[DEFAULT_DB_ALIAS].in_atomic_block)


class ReplicaRouter:
    """settings.DATABASE_ROUTERS entry: stale-tolerant reads to the replica, all else to the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if not replica_configured():
            return None
        if model._meta.app_label not in PRIMARY_ONLY_APPS and reading_from_replica():
            return REPLICA_ALIAS
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        state = _state.get()
        if state is not None:
            state.wrote = True  # the browser reads its own writes from the primary for a while
        return DEFAULT_DB_ALIAS if replica_configured() else None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        return True  # the replica holds the primary's rows: objects from either may relate

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA_ALIAS else None  # a replica follows the primary; it is never migrated


def _pinned(request: HttpRequest) -> bool:
    value = request.get_signed_cookie(PIN_COOKIE, default=None, salt=PIN_SALT, max_age=settings.REPLICA_PIN_SECONDS)
    return value is not None


class ReplicaReadsMiddleware:
    """Lets the marked views read from the replica, and pins a browser that wrote to the primary.

    Reads go to the replica only from the view on: what middleware reads before the view runs
    (the session, the user) comes from the primary, wherever this stands in MIDDLEWARE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.views = frozenset(settings.REPLICA_READ_VIEWS)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        state = _RequestState()
        token = _state.set(state)
        try:
            response = self.get_response(request)
        finally:
            _state.reset(token)
        if state.wrote or request.method not in SAFE_METHODS:
            response.set_signed_cookie(
                PIN_COOKIE, str(int(time.time())), salt=PIN_SALT, max_age=settings.REPLICA_PIN_SECONDS,
                httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        return response

    def process_view(self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any) -> None:
        state = _state.get()
        if state is None or request.method not in ("GET", "HEAD"):
            return None
        match = request.resolver_match
        marked = getattr(view, "replica_reads", False) or (match is not None and match.view_name in self.views)
        state.replica_allowed = bool(marked) and not _pinned(request)
        return None
