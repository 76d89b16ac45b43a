"""Sign-in pages: citizens by mobile number and SMS code, staff by password and TOTP.

Half-finished sign-ins (a number waiting for its code, a password waiting for its TOTP
code) live in the session; the account is signed in only when every factor is given.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from khedmat.core.formatting import current_language
from khedmat.core.ratelimit import Throttled, client_ip
from khedmat.core.redirects import safe_next_url

from . import selectors, services
from .forms import (
    MESSAGE_LANGUAGES,
    CitizenProfileForm,
    MessageLanguageForm,
    PhoneCodeForm,
    PhoneForm,
    StaffLoginForm,
    TotpForm,
)
from .models import Role, User
from .phone import display_mobile_number
from .qr import qr_svg_data_uri, totp_secret_for_people

PENDING_PHONE = "accounts:pending_phone"
PENDING_STAFF = "accounts:pending_staff"
NEXT = "accounts:next"
# A password without its TOTP code is forgotten after this long.
PENDING_STAFF_SECONDS = 10 * 60
CODE_FAULTS = frozenset({"expired", "exhausted", "wrong", "wrong_code"})


def throttle_message(minutes: int) -> str:
    return Throttled(minutes=minutes).message


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    return safe_next_url(request, candidate)


def _render(request: HttpRequest, template: str, context: dict[str, Any],
            throttled: services.Throttled | None = None) -> HttpResponse:
    """Render a sign-in page; a throttled attempt gets the same page, its notice and HTTP 429."""
    if throttled is not None:
        context["throttle_message"] = throttle_message(throttled.minutes)
        return render(request, template, context, status=429)
    return render(request, template, context)


def _add_sign_in_error(form: Any, error: services.SignInError, field: str = "code") -> None:
    form.add_error(field if error.code in CODE_FAULTS else None, error.message)


# --- Citizens ---------------------------------------------------------------------------

@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Step 1: the mobile number. A new number opens an account; a known one signs in."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or "accounts:profile")
    form = PhoneForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form, "next": next_url}
    if request.method == "POST" and form.is_valid():
        phone_number = form.cleaned_data["phone_number"]
        try:
            services.phone_code_send(phone_number=phone_number, ip=client_ip(request))
        except services.Throttled as throttled:
            return _render(request, "accounts/login.html", context, throttled)
        request.session[PENDING_PHONE] = phone_number
        request.session[NEXT] = next_url
        return redirect("accounts:login_code")
    return _render(request, "accounts/login.html", context)


def _code_page_context(request: HttpRequest, phone_number: str, form: PhoneCodeForm) -> dict[str, Any]:
    return {"form": form, "phone_display": display_mobile_number(phone_number)}


@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the SMS."""
    phone_number = request.session.get(PENDING_PHONE)
    if not phone_number:
        return redirect("accounts:login")
    form = PhoneCodeForm(request.POST if request.method == "POST" else None)
    context = _code_page_context(request, phone_number, form)
    if request.method == "POST" and form.is_valid():
        try:
            user, created = services.citizen_sign_in(
                phone_number=phone_number, code=form.cleaned_data["code"], ip=client_ip(request),
                language=current_language(), request=request,
            )
        except services.Throttled as throttled:
            return _render(request, "accounts/login_code.html", context, throttled)
        except services.SignInError as error:
            _add_sign_in_error(form, error)
        else:
            next_url = request.session.pop(NEXT, "")
            request.session.pop(PENDING_PHONE, None)
            services.user_sign_in(request=request, user=user, method="sms")
            if created or not user.full_name:
                request.session[NEXT] = next_url
                return redirect("accounts:welcome")
            return redirect(next_url or "accounts:profile")
    return _render(request, "accounts/login_code.html", context)


@never_cache
@require_POST
def login_code_resend(request: HttpRequest) -> HttpResponse:
    phone_number = request.session.get(PENDING_PHONE)
    if not phone_number:
        return redirect("accounts:login")
    try:
        services.phone_code_send(phone_number=phone_number, ip=client_ip(request))
    except services.Throttled as throttled:
        context = _code_page_context(request, phone_number, PhoneCodeForm())
        return _render(request, "accounts/login_code.html", context, throttled)
    messages.success(request, gettext("We have sent a new code. Earlier codes no longer work."))
    return redirect("accounts:login_code")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def welcome(request: HttpRequest) -> HttpResponse:
    """After a first sign-in: the citizen's name and, if they wish, their Tazkira number."""
    user = request.user
    assert isinstance(user, User)
    if not user.is_citizen:
        return redirect("accounts:profile")
    form = CitizenProfileForm(request.POST if request.method == "POST" else None, initial={
        "full_name": user.full_name, "tazkira_number": user.tazkira_number,
    })
    if request.method == "POST" and form.is_valid():
        try:
            services.citizen_update_profile(user=user, request=request, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect(request.session.pop(NEXT, "") or "accounts:profile")
    return render(request, "accounts/welcome.html", {"form": form})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The account as the platform knows it; citizens correct their name and Tazkira here, and
    everyone chooses the language of their SMS."""
    user = request.user
    assert isinstance(user, User)
    posted = request.POST if request.method == "POST" else None
    which = request.POST.get("form", "details") if posted is not None else ""
    language_form = MessageLanguageForm(posted if which == "language" else None,
                                        initial={"preferred_language": user.preferred_language})
    form = None
    if user.is_citizen:
        form = CitizenProfileForm(posted if which == "details" else None, initial={
            "full_name": user.full_name, "tazkira_number": user.tazkira_number,
        })
    if which == "language" and language_form.is_valid():
        try:
            services.user_set_preferred_language(
                user=user, language=language_form.cleaned_data["preferred_language"], request=request)
        except ValidationError as error:
            language_form.add_error(None, error)
        else:
            messages.success(request, gettext("Your SMS will be written in the language you chose."))
            return redirect("accounts:profile")
    elif which == "details" and form is not None and form.is_valid():
        try:
            services.citizen_update_profile(user=user, request=request, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("Your details are saved."))
            return redirect("accounts:profile")
    elif posted is not None and (which not in ("language", "details") or (which == "details" and form is None)):
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {
        "account": user,
        "form": form,
        "language_form": language_form,
        "language_name": dict(MESSAGE_LANGUAGES).get(user.preferred_language, user.preferred_language),
        "phone_display": display_mobile_number(user.phone_number) if user.phone_number else "",
    })


@never_cache
@require_http_methods(["GET", "POST"])
def logout(request: HttpRequest) -> HttpResponse:
    """Sign out by POST only (a link or a prefetch must not sign anyone out); GET asks first."""
    if request.method == "POST":
        auth_logout(request)
        messages.success(request, gettext("You have signed out."))
        return redirect("catalog:home")
    if not request.user.is_authenticated:
        return redirect("catalog:home")
    return render(request, "accounts/logout.html")


# --- Staff ------------------------------------------------------------------------------

def _staff_home(user: User) -> str:
    """Where staff land after signing in: the inbox for agency staff, the counter screen for
    operators, the center's dashboard for its manager, the admin for other administrators."""
    if user.role in (Role.OFFICER, Role.APPROVER):
        return reverse("applications:office_inbox")
    if user.role == Role.OPERATOR:
        return reverse("centers:counter")
    if user.role == Role.CENTER_MANAGER and user.center_id is not None:
        return reverse("centers:dashboard")
    return reverse("admin:index") if user.is_staff else reverse("accounts:profile")


def _pending_staff_user(request: HttpRequest) -> User | None:
    """Whoever gave a password and still owes the TOTP code, if anyone."""
    pending = request.session.get(PENDING_STAFF)
    if pending and time.time() - pending.get("since", 0) < PENDING_STAFF_SECONDS:
        pending_user = selectors.user_get_active(pk=pending["user"])
        if pending_user is not None:
            return pending_user
    request.session.pop(PENDING_STAFF, None)
    # Signed in with a password by another path (the middleware sends them here).
    current = request.user
    if (isinstance(current, User) and current.is_authenticated and current.needs_second_factor
            and not getattr(current, "is_verified", lambda: False)()):
        return current
    return None


def _complete_staff_sign_in(request: HttpRequest, user: User, device: TOTPDevice | None) -> HttpResponseRedirect:
    next_url = request.session.pop(NEXT, "")
    request.session.pop(PENDING_STAFF, None)
    services.user_sign_in(request=request, user=user, device=device,
                          method="password+totp" if device is not None else "password")
    return redirect(next_url or _staff_home(user))


@never_cache
@require_http_methods(["GET", "POST"])
def staff_login(request: HttpRequest) -> HttpResponse:
    """Step 1 for staff: username and password. Operators are then signed in; others owe TOTP."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = StaffLoginForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form, "next": next_url}
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_authenticate(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"],
                ip=client_ip(request), request=request,
            )
        except services.Throttled as throttled:
            return _render(request, "accounts/staff_login.html", context, throttled)
        except services.SignInError as error:
            form.add_error(None, error.message)
        else:
            if not user.needs_second_factor:
                request.session[NEXT] = next_url
                return _complete_staff_sign_in(request, user, None)
            request.session.cycle_key()  # a fresh session id for a half-done sign-in
            request.session[PENDING_STAFF] = {"user": user.pk, "since": int(time.time())}
            request.session[NEXT] = next_url
            if selectors.totp_device_confirmed(user=user) is None:
                return redirect("accounts:staff_enrol")
            return redirect("accounts:staff_second_factor")
    return _render(request, "accounts/staff_login.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def staff_second_factor(request: HttpRequest) -> HttpResponse:
    """Step 2 for officers and administrators: the code from their authenticator app."""
    user = _pending_staff_user(request)
    if user is None:
        return redirect("accounts:staff_login")
    if selectors.totp_device_confirmed(user=user) is None:
        return redirect("accounts:staff_enrol")
    form = TotpForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form, "pending_user": user}
    if request.method == "POST" and form.is_valid():
        try:
            device = services.staff_totp_verify(
                user=user, token=form.cleaned_data["code"], ip=client_ip(request), request=request,
            )
        except services.Throttled as throttled:
            return _render(request, "accounts/staff_second_factor.html", context, throttled)
        except services.SignInError as error:
            _add_sign_in_error(form, error)
        else:
            return _complete_staff_sign_in(request, user, device)
    return _render(request, "accounts/staff_second_factor.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def staff_enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in of someone who needs TOTP: set up an authenticator app from a QR code."""
    user = _pending_staff_user(request)
    if user is None:
        return redirect("accounts:staff_login")
    if selectors.totp_device_confirmed(user=user) is not None:
        return redirect("accounts:staff_second_factor")
    device = services.staff_totp_enrolment_start(user=user)
    form = TotpForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {
        "form": form,
        "pending_user": user,
        "qr_data_uri": qr_svg_data_uri(device.config_url),
        "secret": totp_secret_for_people(device.key),
    }
    if request.method == "POST" and form.is_valid():
        try:
            device = services.staff_totp_verify(
                user=user, token=form.cleaned_data["code"], ip=client_ip(request), enrolling=True,
                request=request,
            )
        except services.Throttled as throttled:
            return _render(request, "accounts/staff_enrol.html", context, throttled)
        except services.SignInError as error:
            _add_sign_in_error(form, error)
        else:
            messages.success(request, gettext("Your authenticator app is set up. Use it at every sign-in."))
            return _complete_staff_sign_in(request, user, device)
    return _render(request, "accounts/staff_enrol.html", context)


def admin_login(request: HttpRequest) -> HttpResponseRedirect:
    """The administration site's own sign-in page hands over to the staff sign-in (with TOTP)."""
    url = reverse("accounts:staff_login")
    next_url = _safe_next(request, request.GET.get("next"))
    if next_url:
        url = f"{url}?{urlencode({'next': next_url})}"
    return redirect(url)
