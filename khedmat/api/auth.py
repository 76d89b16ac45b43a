"""`Authorization: Bearer <key>`: the key, its scopes, its agency, its throttle, its audit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from khedmat.core.ratelimit import Throttle, Throttled, guard

from .models import ApiKey
from .problems import ApiProblem
from .services import api_key_authenticate


class KeyAuth(HttpBearer):
    """Any live key; the endpoint then asks for its scope with `require`."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = api_key_authenticate(token)
        if key is None:
            return None
        try:
            guard((Throttle.from_setting("API_KEY_RATE", scope="api_key"), key.prefix))
        except Throttled as error:
            raise ApiProblem(429, "rate_limited", "This key made too many calls; slow down.",
                             headers={"Retry-After": str(error.minutes * 60)}) from error
        return key


def require(request: HttpRequest, scope: str) -> ApiKey:
    """The request's key, if it holds `scope`; else a 403 problem."""
    key: Any = getattr(request, "auth", None)
    if not isinstance(key, ApiKey):
        raise ApiProblem(401, "not_authenticated", "Send a valid key: Authorization: Bearer <key>.")
    if scope not in key.scopes:
        raise ApiProblem(403, "scope_missing", f"This key does not hold the {scope!r} scope.")
    return key


def key_service_ids(key: ApiKey) -> list[int]:
    """The services the key is limited to; empty: every service of its agency."""
    return [service.pk for service in key.services.all()]


def max_body_bytes() -> int:
    return int(settings.API_MAX_BODY_BYTES)
