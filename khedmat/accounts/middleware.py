"""Staff whose role demands a second factor reach no staff page until they have given it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


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
