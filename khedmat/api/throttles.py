"""The per-address limit of the endpoints that need no key (catalog, centres, verification).

Counted by the project's throttles (core/ratelimit.py): fixed windows in the shared cache,
failing open while it is away, larger inside settings.THROTTLE_TRUSTED_NETWORKS. A call that
carries a live key is counted against that key's limit (API_KEY_RATE, as on the keyed
endpoints), not its address: an agency's system reads the catalog on its own budget, and a
ministry's people behind one address keep theirs. Full: a 429 problem with `Retry-After`
(api.py). Limits and their reasons: docs/api.md, "Limits".
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from khedmat.core.ratelimit import Check, Throttle, Throttled, client_ip, guard

from .models import ApiKey
from .services import api_key_authenticate

_NO_KEY = object()


def _live_key(request: HttpRequest) -> ApiKey | None:
    """The live key the request carries, read once per request; None without one (or a dead one)."""
    found = getattr(request, "_api_public_key", _NO_KEY)
    if found is _NO_KEY:
        scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
        found = api_key_authenticate(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        request._api_public_key = found  # type: ignore[attr-defined]
    return found if isinstance(found, ApiKey) else None


class PublicThrottle(BaseThrottle):
    """Checks every limit named (settings of (count, seconds)) per client address, then counts
    the call against each, all or none; with a live key, the key's limit alone."""

    def __init__(self, *settings_names: str) -> None:
        self.settings_names = settings_names

    def _throttles(self) -> list[Throttle]:
        return [Throttle.from_setting(name, scope=name.lower()) for name in self.settings_names]

    def checks(self, request: HttpRequest) -> tuple[Check, ...]:
        key = _live_key(request)
        if key is not None:
            return ((Throttle.from_setting("API_KEY_RATE", scope="api_key"), key.prefix),)
        address = client_ip(request)
        return tuple((throttle.for_address(address), address) for throttle in self._throttles())

    def allow_request(self, request: HttpRequest) -> bool:
        try:
            guard(*self.checks(request))
        except Throttled:
            return False
        return True

    def wait(self) -> float:
        """Seconds to announce: the longest window (its start is not kept), never longer than true."""
        return float(max(int(getattr(settings, name)[1]) for name in (*self.settings_names, "API_KEY_RATE")))


# Every public router takes this one; verification, which invites guessing, adds its own.
PUBLIC = PublicThrottle("API_PUBLIC_RATE")
VERIFY = PublicThrottle("API_PUBLIC_RATE", "API_VERIFY_RATE")
