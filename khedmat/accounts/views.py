"""Sign-in pages: citizens by mobile number and SMS code, staff by password and TOTP.

Half-finished sign-ins (a number waiting for its code, a password waiting for its TOTP
code, an authenticator being set up) live in the session; the account is signed in only
when every factor is given.
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
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.models import Device

from khedmat.core.formatting import current_language, format_number
from khedmat.core.parsing import NotANumber, digit_string
from khedmat.core.ratelimit import client_ip
from khedmat.core.redirects import safe_next_url

from . import selectors, services
from .codes import ENROLMENT_CODE_LENGTH, grouped
from .forms import (
    MESSAGE_LANGUAGES,
    CitizenProfileForm,
    ConfirmPasswordForm,
    EnrolmentCodeForm,
    MessageLanguageForm,
    PhoneCodeForm,
    PhoneForm,
    RecoverySignInForm,
    SecondFactorForm,
    StaffLoginForm,
    TotpForm,
)
from .gates import second_factor_given
from .models import Role, User
from .phone import display_mobile_number
from .qr import qr_svg_data_uri, totp_secret_for_people

PENDING_PHONE = "accounts:pending_phone"
PENDING_STAFF = "accounts:pending_staff"
NEXT = "accounts:next"
# The authenticator being set up in this sign-in: {"device": id, "enrolment": id}.
ENROLLING = "accounts:enrolling"
# A set-up code that came in a link, to fill in the form after the password.
ENROLMENT_LINK_CODE = "accounts:enrolment_link_code"
# New recovery codes, shown once by the next page and then forgotten.
NEW_RECOVERY_CODES = "accounts:new_recovery_codes"
# A password without its TOTP code is forgotten after this long.
PENDING_STAFF_SECONDS = 10 * 60
CODE_FAULTS = frozenset({"expired", "exhausted", "wrong", "wrong_code", "wrong_enrolment_code", "wrong_password"})
# Fewer recovery codes than this left: say it is time to make new ones.
RECOVERY_CODES_LOW = 3


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    return safe_next_url(request, candidate)


def _render(request: HttpRequest, template: str, context: dict[str, Any],
            throttled: services.Throttled | None = None) -> HttpResponse:
    """Render a sign-in page; a throttled attempt gets the same page, its notice and HTTP 429."""
    if throttled is not None:
        context["throttle_message"] = throttled.message
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
    return _profile_page(request, user, form=form, language_form=language_form)


def _profile_page(request: HttpRequest, user: User, *, form: CitizenProfileForm | None = None,
                  language_form: MessageLanguageForm | None = None,
                  recovery_form: ConfirmPasswordForm | None = None,
                  throttled: services.Throttled | None = None) -> HttpResponse:
    """The account page; staff with a second factor also see its state and may make new recovery codes."""
    if language_form is None:
        language_form = MessageLanguageForm(initial={"preferred_language": user.preferred_language})
    if form is None and user.is_citizen:
        form = CitizenProfileForm(initial={"full_name": user.full_name, "tazkira_number": user.tazkira_number})
    second_factor = None if user.is_citizen else selectors.second_factor_status(user=user)
    context: dict[str, Any] = {
        "account": user,
        "form": form,
        "language_form": language_form,
        "language_name": dict(MESSAGE_LANGUAGES).get(user.preferred_language, user.preferred_language),
        "phone_display": display_mobile_number(user.phone_number) if user.phone_number else "",
        "second_factor": second_factor,
        "recovery_form": recovery_form or ConfirmPasswordForm(),
        "recovery_codes_low": RECOVERY_CODES_LOW,
    }
    if throttled is not None:
        context["recovery_throttle_message"] = throttled.message
        return render(request, "accounts/profile.html", context, status=429)
    return render(request, "accounts/profile.html", context)


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
    request.session.pop(ENROLLING, None)
    # Signed in with a password by another path (the middleware sends them here).
    current = request.user
    if (isinstance(current, User) and current.is_authenticated and current.needs_second_factor
            and not getattr(current, "is_verified", lambda: False)()):
        return current
    return None


def _complete_staff_sign_in(request: HttpRequest, user: User, passed: services.SecondFactorPassed | None,
                            *, method: str) -> HttpResponseRedirect:
    next_url = request.session.pop(NEXT, "")
    request.session.pop(PENDING_STAFF, None)
    request.session.pop(ENROLLING, None)
    request.session.pop(ENROLMENT_LINK_CODE, None)
    device: Device | None = passed.device if passed is not None else None
    services.user_sign_in(request=request, user=user, device=device, method=method)
    if passed is not None:
        _tell_about_second_factor(request, passed)
    return redirect(next_url or _staff_home(user))


def _tell_about_second_factor(request: HttpRequest, passed: services.SecondFactorPassed) -> None:
    """What the owner should hear after signing in: wrong codes since last time, codes running out."""
    if passed.earlier_failures:
        messages.warning(request, ngettext(
            "%(count)s wrong code was entered for your account since your last sign-in. If it was not you, "
            "someone knows your password: tell your administrator.",
            "%(count)s wrong codes were entered for your account since your last sign-in. If it was not you, "
            "someone knows your password: tell your administrator.",
            passed.earlier_failures) % {"count": format_number(passed.earlier_failures)})
    left = passed.recovery_codes_left
    if left is not None:
        text = ngettext("You used a recovery code. %(count)s is left.",
                        "You used a recovery code. %(count)s are left.", left) % {"count": format_number(left)}
        if left <= RECOVERY_CODES_LOW:
            text += " " + gettext("Make new recovery codes on your account page.")
        messages.info(request, text)


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
            context["password_locked"] = isinstance(throttled, services.PasswordLocked)
            return _render(request, "accounts/staff_login.html", context, throttled)
        except services.SignInError as error:
            form.add_error(None, error.message)
        else:
            if not user.needs_second_factor:
                request.session[NEXT] = next_url
                return _complete_staff_sign_in(request, user, None, method="password")
            link_code = request.session.get(ENROLMENT_LINK_CODE)
            request.session.cycle_key()  # a fresh session id for a half-done sign-in
            request.session[PENDING_STAFF] = {"user": user.pk, "since": int(time.time())}
            request.session[NEXT] = next_url
            if link_code:
                request.session[ENROLMENT_LINK_CODE] = link_code
            if selectors.totp_device_confirmed(user=user) is None:
                return redirect("accounts:staff_enrol")
            return redirect("accounts:staff_second_factor")
    return _render(request, "accounts/staff_login.html", context)


def _lock_notice(user: User) -> services.Throttled | None:
    try:
        services.second_factor_lock_check(user=user)
    except services.SecondFactorLocked as locked:
        return locked
    return None


@never_cache
@require_http_methods(["GET", "POST"])
def staff_second_factor(request: HttpRequest) -> HttpResponse:
    """Step 2 for officers and administrators: the code from their authenticator app, or a recovery code."""
    user = _pending_staff_user(request)
    if user is None:
        return redirect("accounts:staff_login")
    if selectors.totp_device_confirmed(user=user) is None:
        return redirect("accounts:staff_enrol")
    form = SecondFactorForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form, "pending_user": user}
    if request.method == "POST" and form.is_valid():
        try:
            passed = services.staff_second_factor_verify(
                user=user, code=form.cleaned_data["code"], ip=client_ip(request), request=request,
            )
        except services.Throttled as throttled:
            return _render(request, "accounts/staff_second_factor.html", context, throttled)
        except services.SignInError as error:
            _add_sign_in_error(form, error)
        else:
            method = "password+recovery_code" if passed.recovery_codes_left is not None else "password+totp"
            return _complete_staff_sign_in(request, user, passed, method=method)
    return _render(request, "accounts/staff_second_factor.html", context, _lock_notice(user))


@never_cache
@require_http_methods(["GET", "POST"])
def staff_enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in of someone who needs TOTP: the set-up code from their administrator, then
    the authenticator app from a QR code. The secret is shown only behind a valid set-up code."""
    user = _pending_staff_user(request)
    if user is None:
        return redirect("accounts:staff_login")
    if selectors.totp_device_confirmed(user=user) is not None:
        return redirect("accounts:staff_second_factor")
    enrolling = request.session.get(ENROLLING) or {}
    device = selectors.totp_device_pending(user=user, pk=enrolling["device"]) if enrolling else None
    if device is None:
        request.session.pop(ENROLLING, None)
        return _enrol_code_step(request, user)
    confirming = request.method == "POST" and request.POST.get("step") == "confirm"
    form = TotpForm(request.POST if confirming else None)
    context: dict[str, Any] = {
        "form": form,
        "pending_user": user,
        "qr_data_uri": qr_svg_data_uri(device.config_url),
        "secret": totp_secret_for_people(device.key),
    }
    if confirming and form.is_valid():
        try:
            done = services.staff_enrolment_confirm(
                user=user, device_id=device.pk, enrolment_id=enrolling["enrolment"],
                code=form.cleaned_data["code"], ip=client_ip(request), request=request,
            )
        except services.Throttled as throttled:
            return _render(request, "accounts/staff_enrol.html", context, throttled)
        except services.SignInError as error:
            if error.code == "enrolment_expired":
                request.session.pop(ENROLLING, None)
                messages.error(request, error.message)
                return redirect("accounts:staff_enrol")
            _add_sign_in_error(form, error)
        else:
            next_url = request.session.get(NEXT, "")
            passed = services.SecondFactorPassed(device=done.device, earlier_failures=0)
            _complete_staff_sign_in(request, user, passed, method="password+enrolment")
            messages.success(request, gettext("Your authenticator app is set up. Use it at every sign-in."))
            request.session[NEW_RECOVERY_CODES] = done.recovery_codes
            request.session[NEXT] = next_url or _staff_home(user)
            return redirect("accounts:staff_recovery_codes")
    return _render(request, "accounts/staff_enrol.html", context, _lock_notice(user))


def _enrol_code_step(request: HttpRequest, user: User) -> HttpResponse:
    """Without a set-up code, no secret: ask for the code the administrator gave."""
    posted = request.POST if request.method == "POST" and request.POST.get("step") == "code" else None
    link_code = request.session.get(ENROLMENT_LINK_CODE, "")
    form = EnrolmentCodeForm(posted, initial={"code": grouped(link_code) if link_code else ""})
    status = selectors.second_factor_status(user=user)
    context: dict[str, Any] = {"form": form, "pending_user": user, "code_issued": status.enrolment_code_expires,
                               "from_link": bool(link_code)}
    if posted is not None and form.is_valid():
        try:
            started = services.staff_enrolment_claim(
                user=user, code=form.cleaned_data["code"], ip=client_ip(request), request=request)
        except services.Throttled as throttled:
            return _render(request, "accounts/staff_enrol_code.html", context, throttled)
        except services.SignInError as error:
            if error.code == "has_device":
                return redirect("accounts:staff_second_factor")
            _add_sign_in_error(form, error)
        else:
            request.session.pop(ENROLMENT_LINK_CODE, None)
            request.session[ENROLLING] = {"device": started.device.pk, "enrolment": started.enrolment.pk}
            return redirect("accounts:staff_enrol")
    return _render(request, "accounts/staff_enrol_code.html", context, _lock_notice(user))


@never_cache
@require_http_methods(["GET"])
def staff_enrol_link(request: HttpRequest, code: str) -> HttpResponseRedirect:
    """The link an administrator sends: keeps the set-up code for after the password.

    Opening it changes nothing; the code is checked only when the person, signed in with
    their password, sends the form it fills in.
    """
    try:
        request.session[ENROLMENT_LINK_CODE] = digit_string(code, lengths=(ENROLMENT_CODE_LENGTH,))
    except NotANumber:
        messages.error(request, gettext("This set-up link is not complete. Type the set-up code instead."))
        return redirect("accounts:staff_login")
    if _pending_staff_user(request) is not None:
        return redirect("accounts:staff_enrol")
    messages.info(request, gettext("Sign in with your username and password to set up your authenticator app."))
    return redirect("accounts:staff_login")


@never_cache
@require_http_methods(["GET", "POST"])
def staff_recovery_sign_in(request: HttpRequest) -> HttpResponse:
    """Password and recovery code together: for a lost phone, or a password a stranger has
    locked (signing in from a new place)."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = RecoverySignInForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form, "next": next_url}
    if request.method == "POST" and form.is_valid():
        try:
            user, passed = services.staff_sign_in_with_recovery_code(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"],
                code=form.cleaned_data["recovery_code"], ip=client_ip(request), request=request,
            )
        except services.Throttled as throttled:
            return _render(request, "accounts/staff_recovery_sign_in.html", context, throttled)
        except services.SignInError as error:
            form.add_error(None, error.message)
        else:
            request.session.cycle_key()
            request.session[NEXT] = next_url
            return _complete_staff_sign_in(request, user, passed, method="password+recovery_code")
    return _render(request, "accounts/staff_recovery_sign_in.html", context)


@never_cache
@login_required
@require_http_methods(["GET"])
def staff_recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown this once: the page forgets them as it shows them."""
    codes = request.session.pop(NEW_RECOVERY_CODES, None)
    next_url = request.session.pop(NEXT, "") or reverse("accounts:profile")
    if not codes:
        return redirect(next_url)
    response = render(request, "accounts/staff_recovery_codes.html", {"codes": codes, "next": next_url})
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@require_POST
def staff_recovery_codes_new(request: HttpRequest) -> HttpResponse:
    """Make new recovery codes (the old ones stop working); the password confirms it is the owner."""
    user = request.user
    assert isinstance(user, User)
    if user.is_citizen or selectors.totp_device_confirmed(user=user) is None:
        return redirect("accounts:profile")
    if not second_factor_given(user):
        return redirect("accounts:staff_second_factor")
    form = ConfirmPasswordForm(request.POST)
    if form.is_valid():
        try:
            codes = services.staff_recovery_codes_regenerate(
                user=user, password=form.cleaned_data["password"], ip=client_ip(request), request=request)
        except services.Throttled as throttled:
            return _profile_page(request, user, recovery_form=form, throttled=throttled)
        except services.SignInError as error:
            form.add_error("password", error.message)
        else:
            request.session[NEW_RECOVERY_CODES] = codes
            request.session[NEXT] = reverse("accounts:profile")
            return redirect("accounts:staff_recovery_codes")
    return _profile_page(request, user, recovery_form=form)


def admin_login(request: HttpRequest) -> HttpResponseRedirect:
    """The administration site's own sign-in page hands over to the staff sign-in (with TOTP)."""
    url = reverse("accounts:staff_login")
    next_url = _safe_next(request, request.GET.get("next"))
    if next_url:
        url = f"{url}?{urlencode({'next': next_url})}"
    return redirect(url)
