"""Sessions kept in the database and read from a copy in the cache (docs/decisions/0030).

Every signed-in request read its session row through the ORM: about a quarter of what the
request paid before its view (docs/performance.md, "Signed in"). Django's `cached_db` engine
keeps the database as the record and a copy in the cache (Redis in production, shared by every
node); this store adds what the house needs of it (docs/decisions/0028):

- **The database stays the record.** Every save, creation and deletion is written there first,
  so sessions survive a Redis restart and any node serves any browser.
- **A cache outage fails open.** A copy that cannot be read is read from the database (and not
  stored back); a copy that cannot be written or deleted is logged (`khedmat.cache`) and the
  request carries on. Django's `cached_db` answered 500 for a read while the cache was away.
- **A copy lives at most `SESSION_CACHE_SECONDS`** (5 minutes), however long the session: a copy
  left behind by a write or deletion made while the cache was away (a sign-out) is gone that
  long after, even from a Redis that kept its data. Otherwise a sign-out deletes the copy at once.

Whether a session is still good is not taken from the copy alone: the user is read from the
database on every request (a changed password, a locked or deactivated account signs out at
once) and so is the staff second-factor device (a reset takes effect at once).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.core.cache.backends.base import BaseCache
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware

from khedmat.core.caching import CACHE_UNAVAILABLE, cache_unavailable

from .selectors import user_and_device_for_session, user_for_session

# How long a copy is kept, at most, unless the settings say otherwise.
DEFAULT_CACHE_SECONDS = 5 * 60


def _copy_seconds(expiry_age: int) -> int:
    """A copy's lifetime: the session's own, capped (see the module's docstring)."""
    return max(0, min(expiry_age, getattr(settings, "SESSION_CACHE_SECONDS", DEFAULT_CACHE_SECONDS)))


class SessionStore(CachedDBStore):
    """Django's `cached_db` store that carries on without the cache."""

    _cache: BaseCache  # Django's, set in __init__ (not in the stubs)

    def load(self) -> dict[str, Any]:
        try:
            data = self._cache.get(self.cache_key)
        except CACHE_UNAVAILABLE as error:
            cache_unavailable("session read", error)
            return self._load_from_database(keep_copy=False)
        except Exception:  # as Django's: a key the backend refuses reads as no copy
            data = None
        if data is None:
            return self._load_from_database(keep_copy=True)
        return data  # type: ignore[no-any-return]

    def _load_from_database(self, *, keep_copy: bool) -> dict[str, Any]:
        row = self._get_session_from_db()  # type: ignore[attr-defined]  # forgets the key when there is no such live session
        if not row:
            return {}
        data: dict[str, Any] = self.decode(row.session_data)
        if keep_copy:
            self._keep_copy(data, self.get_expiry_age(expiry=row.expire_date))
        return data

    def _keep_copy(self, data: dict[str, Any], expiry_age: int) -> None:
        try:
            self._cache.set(self.cache_key, data, _copy_seconds(expiry_age))
        except CACHE_UNAVAILABLE as error:
            cache_unavailable("session copy", error)

    def exists(self, session_key: str) -> bool:
        """Whether a new key is taken: the database answers (it holds every session; the copy
        of a deleted one may linger in a cache that was away)."""
        return DBStore.exists(self, session_key)

    def save(self, must_create: bool = False) -> None:
        DBStore.save(self, must_create)
        self._keep_copy(self._session, self.get_expiry_age())  # type: ignore[attr-defined]

    def delete(self, session_key: str | None = None) -> None:
        DBStore.delete(self, session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except CACHE_UNAVAILABLE as error:
            cache_unavailable("session copy deleted", error)


_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def session_user(request: HttpRequest) -> Any:
    """Who the session says is signed in: Django's `auth.get_user`, step for step, with the
    user read by `selectors.user_for_session` when the session names Django's ModelBackend
    (every session here). The same checks follow: the account may sign in (active), and the
    session's hash of the password matches (else, as Django, a hash under a fallback secret is
    renewed with a new session key, and any other signs the session out)."""
    try:
        user_id = auth._get_user_session_key(request)  # type: ignore[attr-defined]  # Django's own
        backend_path = request.session[BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if backend_path != _MODEL_BACKEND or backend_path not in settings.AUTHENTICATION_BACKENDS:
        return auth.get_user(request)  # another backend: Django's own way
    device_id = request.session.get(DEVICE_ID_SESSION_KEY)
    if device_id:  # staff past their second factor: the device comes in the same statement
        user, device = user_and_device_for_session(user_id, OTPMiddleware._normalize_persistent_id(device_id))
        request._session_device = (device_id, device)  # type: ignore[attr-defined]  # middleware.SessionDeviceMiddleware
    else:
        user = user_for_session(user_id)
    if user is None or not ModelBackend().user_can_authenticate(user):
        return AnonymousUser()
    session_hash = request.session.get(HASH_SESSION_KEY)
    session_auth_hash = user.get_session_auth_hash()
    if session_hash and constant_time_compare(session_hash, session_auth_hash):
        return user
    if session_hash and any(constant_time_compare(session_hash, fallback)
                            for fallback in user.get_session_auth_fallback_hash()):
        request.session.cycle_key()
        request.session[HASH_SESSION_KEY] = session_auth_hash
        return user
    request.session.flush()
    return AnonymousUser()
