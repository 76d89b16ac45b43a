"""Who may open a staff page: one gate, given who the page is for.

Someone not signed in goes to the staff sign-in (and comes back after it); a member of staff
the page is not for gets a plain "not allowed" page (403) saying who it is for and where
their own work is; a citizen gets a 404, never a hint that a staff page exists; staff who
still owe their second factor are sent to give it. Refusals on an object (another center's
counter, another agency's file) stay 404s: the gate only knows the role.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise

from .models import User
from .roles import CENTER_ROLES, STAFF_ROLES, Role

View = Callable[..., HttpResponse]


def second_factor_given(user: Any) -> bool:
    """Whether `user` has given the second factor their role demands (or needs none).

    A user object from a request carries `is_verified` (django-otp's middleware); a user
    loaded elsewhere (a service, a test) has not signed in at all, so nothing is owed.
    """
    if not getattr(user, "needs_second_factor", False):
        return True
    is_verified = getattr(user, "is_verified", None)
    return True if is_verified is None else bool(is_verified())


def works_at_a_center(user: Any) -> bool:
    """An operator or a center manager placed at a center: the counter's screen and tablet are theirs."""
    return user.role in CENTER_ROLES and user.center_id is not None


def signed_in_user(request: HttpRequest) -> User:
    """The account of a request that a gate (`staff_page`, `login_required`, the admin) let in."""
    user = request.user
    assert isinstance(user, User), "only behind a gate that lets in signed-in people"
    return user


# Where each role's own work starts: the "not allowed" page sends them there.
HOME_PAGES: dict[str, str] = {
    Role.OFFICER: "applications:office_inbox", Role.APPROVER: "applications:office_inbox",
    Role.AGENCY_ADMIN: "applications:office_inbox", Role.OPERATOR: "centers:counter",
    Role.CENTER_MANAGER: "centers:dashboard", Role.PLATFORM_ADMIN: "admin:index",
}


def home_page_of(user: Any) -> str:
    """The address where `user`'s own work starts (the home page if their role has none)."""
    try:
        return reverse(HOME_PAGES.get(getattr(user, "role", ""), "catalog:home"))
    except NoReverseMatch:
        return "/"


def not_allowed(request: HttpRequest, user: Any, audience: str | Promise = "") -> HttpResponse:
    """The 403 a member of staff gets on a staff page that is not for their role."""
    return render(request, "accounts/not_allowed.html", {
        "audience": audience, "role": user.get_role_display(), "home": home_page_of(user)}, status=403)


def staff_page(is_for: Callable[[Any], bool], *, audience: str | Promise = "") -> Callable[[View], View]:
    """A view decorator letting in the signed-in, active people `is_for` accepts.

    `audience` names them for the "not allowed" page ("operators and managers of a center")."""
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user: Any = request.user
            if not (user.is_authenticated and user.is_active):
                url = reverse("accounts:staff_login")
                return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
            if not is_for(user):
                if getattr(user, "role", None) in STAFF_ROLES:
                    return not_allowed(request, user, audience)
                raise Http404
            if not second_factor_given(user):
                return redirect("accounts:staff_second_factor")
            return view(request, *args, **kwargs)
        return wrapper
    return decorator
