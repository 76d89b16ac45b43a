"""Who is signed in (the user, the second-factor device), read cheaply on every request; staff whose
role demands a second factor reach no staff page until they have given it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from .selectors import device_for_session
from .sessions import session_user


def _session_user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        request._cached_user = session_user(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]


class SessionUserMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware (`request.user`, lazily, once per request), the user
    read by `sessions.session_user`: one statement built once per process, same checks."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _session_user(request))  # type: ignore[assignment]


class SessionDeviceMiddleware(OTPMiddleware):
    """django-otp's middleware (`request.user.is_verified()`, `otp_device`), with the session's
    device read as one small row (`selectors.device_for_session`): the same checks follow
    (the device still exists, is the user's own and confirmed, else the session forgets it)."""

    def _device_from_persistent_id(self, persistent_id: str) -> Device | None:
        return device_for_session(self._normalize_persistent_id(persistent_id))

    def _verify_user_sync(self, request: HttpRequest, user: Any) -> Any:
        """django-otp's own, but with the device `sessions.session_user` read together with the
        user when it did (the same session's id): one round trip less on every staff request."""
        self._init_user_fields(user)
        if user.is_authenticated:
            persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
            read = getattr(request, "_session_device", None)
            if persistent_id and read is not None and read[0] == persistent_id:
                device = read[1]
            else:
                device = self._device_from_persistent_id(persistent_id) if persistent_id else None
            user.otp_device = self._finalize_device(request, user, device)
        return user


class StaffSecondFactorMiddleware:
    """Send an officer or administrator who signed in with a password only to the TOTP step."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The address first: for any other page, looking at the user here would load it (and
        # its second-factor device) for requests whose view never asks who is signed in.
        if not request.path.startswith("/admin/"):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None and user.is_authenticated
            and getattr(user, "needs_second_factor", False)
            and not user.is_verified()
        ):
            return redirect("accounts:staff_second_factor")
        return self.get_response(request)
