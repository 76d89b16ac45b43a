"""Who may see a file, and the view decorators of the back office.

`can_view_application` is the one object-level check for every page and download that
shows a file: the applicant, the staff of the responsible agency, and the operator who
filed it for the applicant. Anyone else gets a 404, never a hint that the file exists.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from khedmat.accounts.models import AGENCY_ROLES, STAFF_ROLES, Role

from .models import Application

View = Callable[..., HttpResponse]


def _active(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def second_factor_given(user: Any) -> bool:
    """Whether `user` has given the second factor their role demands (or needs none).

    A user object from a request carries `is_verified` (django-otp's middleware); a user
    loaded elsewhere (a service, a test) has not signed in at all, so nothing is owed.
    """
    if not getattr(user, "needs_second_factor", False):
        return True
    is_verified = getattr(user, "is_verified", None)
    return True if is_verified is None else bool(is_verified())


def is_agency_staff(user: Any) -> bool:
    """An officer, approver or agency administrator, with an agency, second factor given."""
    return (_active(user) and user.role in AGENCY_ROLES and user.agency_id is not None
            and second_factor_given(user))


def can_view_application(user: Any, application: Application) -> bool:
    """May `user` see this file (its answers, documents, history)?"""
    if not _active(user) or not second_factor_given(user):
        return False
    if user.role == Role.CITIZEN:
        return application.applicant_id == user.pk
    if user.role in AGENCY_ROLES:
        return user.agency_id is not None and user.agency_id == application.agency_id
    if user.role == Role.OPERATOR:
        return application.filed_by_id == user.pk
    return False


def _to_sign_in(request: HttpRequest) -> HttpResponse:
    url = reverse("accounts:staff_login")
    return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")


def staff_required(view: View) -> View:
    """Any staff role, signed in, second factor given when the role demands it."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user: Any = request.user
        if not _active(user):
            return _to_sign_in(request)
        if user.role not in STAFF_ROLES:
            raise Http404
        if not second_factor_given(user):
            return redirect("accounts:staff_second_factor")
        return view(request, *args, **kwargs)
    return wrapper


def agency_staff_required(view: View) -> View:
    """Officers, approvers and agency administrators of an agency, second factor given.

    Someone not signed in goes to the staff sign-in; a signed-in person of another role
    gets a 404 (the back office is not theirs to find).
    """
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user: Any = request.user
        if not _active(user):
            return _to_sign_in(request)
        if user.role not in AGENCY_ROLES or user.agency_id is None:
            raise Http404
        if not second_factor_given(user):
            return redirect("accounts:staff_second_factor")
        return view(request, *args, **kwargs)
    return wrapper
