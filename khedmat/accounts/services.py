"""Signing in and managing accounts: citizens by mobile number, staff by password and TOTP.

Every refusal a person should read is a SignInError (or Throttled) carrying a translated
message. Failed attempts are recorded before the refusal is raised, so a rollback never
erases a wrong guess.
"""

from __future__ import annotations

import math
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

import django_otp
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import get_language, gettext, ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from khedmat.audit.services import audit_record
from khedmat.core.errors import Refusal
from khedmat.core.events import publish
from khedmat.core.formatting import format_number

from . import selectors
from .events import PhoneCodeRequested
from .models import AGENCY_ROLES, CENTER_ROLES, PhoneCode, Role, User
from .permissions import grants_admin_site
from .tazkira import normalize_tazkira_number
from .throttles import (
    Throttled,
    code_send_per_phone,
    count_attempt,
    ensure_not_throttled,
    login_checks,
    login_per_account,
    login_per_ip,
)

if TYPE_CHECKING:
    from khedmat.catalog.models import Agency
    from khedmat.centers.models import Center

__all__ = [
    "SignInError",
    "Throttled",
    "citizen_get_or_create",
    "citizen_sign_in",
    "citizen_update_profile",
    "phone_code_send",
    "phone_code_verify",
    "staff_authenticate",
    "staff_totp_device_create",
    "staff_totp_enrolment_start",
    "staff_totp_verify",
    "staff_user_create",
    "user_set_preferred_language",
    "user_sign_in",
]

_CODE_HASH_SALT = "khedmat.accounts.PhoneCode"
_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
TOTP_DEVICE_NAME = "Authenticator app"


class SignInError(Refusal):
    """A refusal with a message for the person signing in; `code` names the reason for callers."""


# --- Citizens: one-time codes by SMS ----------------------------------------------------

def _phone_code_hash(*, phone_number: str, code: str) -> str:
    # Keyed with SECRET_KEY: a copy of the database alone does not give away live codes.
    return salted_hmac(_CODE_HASH_SALT, f"{phone_number}:{code}", algorithm="sha256").hexdigest()


def phone_code_send(*, phone_number: str, ip: str) -> PhoneCode:
    """Send a new one-time code by SMS, in the active language; earlier codes stop working.

    Raises Throttled, and sends nothing, when this number or this address asked too often.
    """
    checks = ((code_send_per_phone(), phone_number), (login_per_ip(), ip))
    ensure_not_throttled(*checks)
    count_attempt(*checks)

    length = settings.PHONE_CODE_LENGTH
    code = str(secrets.randbelow(10**length)).zfill(length)
    ttl_seconds = settings.PHONE_CODE_TTL_SECONDS
    now = timezone.now()
    with transaction.atomic():
        PhoneCode.objects.filter(
            phone_number=phone_number, used_at__isnull=True, expires_at__gt=now,
        ).update(expires_at=now)
        phone_code = PhoneCode.objects.create(
            phone_number=phone_number,
            code_hash=_phone_code_hash(phone_number=phone_number, code=code),
            expires_at=now + timedelta(seconds=ttl_seconds),
        )
        publish(PhoneCodeRequested(phone_number=phone_number, language=get_language() or settings.LANGUAGE_CODE,
                                   minutes=max(1, ttl_seconds // 60), code=code))
    return phone_code


def phone_code_verify(*, phone_number: str, code: str, ip: str) -> None:
    """Accept the latest live code for this number once, or raise SignInError / Throttled.

    Must not run inside an outer transaction: the failed try is committed before the
    refusal is raised.
    """
    checks = login_checks(account=phone_number, ip=ip)
    ensure_not_throttled(*checks)
    max_attempts = settings.PHONE_CODE_MAX_ATTEMPTS
    now = timezone.now()
    with transaction.atomic():
        phone_code = (
            PhoneCode.objects.select_for_update()
            .filter(phone_number=phone_number, used_at__isnull=True, expires_at__gt=now,
                    failed_attempts__lt=max_attempts)
            .order_by("-created_at", "-id")
            .first()
        )
        if phone_code is None:
            fault = "expired"
        elif constant_time_compare(phone_code.code_hash, _phone_code_hash(phone_number=phone_number, code=code)):
            phone_code.used_at = now
            phone_code.save(update_fields=["used_at"])
            fault = ""
        else:
            phone_code.failed_attempts += 1
            phone_code.save(update_fields=["failed_attempts"])
            fault = "exhausted" if phone_code.failed_attempts >= max_attempts else "wrong"

    if not fault:
        login_per_account().reset(phone_number.casefold())
        return
    count_attempt(*checks)
    if fault == "expired":
        message = gettext("This code has expired or has already been used. Ask for a new code.")
    elif fault == "exhausted":
        message = gettext("The code was entered wrongly too many times. Ask for a new code.")
    else:
        assert phone_code is not None
        left = max_attempts - phone_code.failed_attempts
        message = ngettext(
            "That is not the code in our latest SMS. You can try %(count)s more time.",
            "That is not the code in our latest SMS. You can try %(count)s more times.",
            left,
        ) % {"count": format_number(left)}
    raise SignInError(message, code=fault)


@transaction.atomic
def citizen_get_or_create(*, phone_number: str, language: str = "fa",
                          request: HttpRequest | None = None) -> tuple[User, bool]:
    """The citizen account of a mobile number, opened on first sign-in (username = the number)."""
    user = User.objects.filter(phone_number=phone_number).first()
    created = False
    if user is None:
        try:
            with transaction.atomic():
                user = User.objects.create(
                    username=phone_number, phone_number=phone_number, role=Role.CITIZEN,
                    preferred_language=language, password=make_password(None),
                )
                created = True
                audit_record(action="accounts.citizen_registered", target_type="accounts.user",
                             target_id=user.pk, actor=user, subject=user, request=request)
        except IntegrityError:  # the same number signed in twice at once
            user = User.objects.get(phone_number=phone_number)
    if not user.is_citizen:
        raise SignInError(
            gettext("This number belongs to a staff account. Staff sign in with their username and password."),
            code="staff_number",
        )
    if not user.is_active:
        raise SignInError(gettext("This account is closed. A service center can help you."), code="inactive")
    return user, created


def citizen_sign_in(*, phone_number: str, code: str, ip: str, language: str = "fa",
                    request: HttpRequest | None = None) -> tuple[User, bool]:
    """Check the SMS code and return the citizen's account (and whether it is new)."""
    phone_code_verify(phone_number=phone_number, code=code, ip=ip)
    return citizen_get_or_create(phone_number=phone_number, language=language, request=request)


@transaction.atomic
def citizen_update_profile(*, user: User, full_name: str, tazkira_number: str = "",
                           request: HttpRequest | None = None) -> User:
    full_name = " ".join(full_name.split())
    if not full_name:
        raise ValidationError({"full_name": gettext("Enter your full name.")})
    tazkira_number = normalize_tazkira_number(tazkira_number)
    changed = [field for field, value in (("full_name", full_name), ("tazkira_number", tazkira_number))
               if getattr(user, field) != value]
    if changed:
        user.full_name = full_name
        user.tazkira_number = tazkira_number
        user.save(update_fields=changed)
        audit_record(action="accounts.profile_updated", target_type="accounts.user", target_id=user.pk,
                     actor=user, subject=user, data={"fields": changed}, request=request)
    return user


MESSAGE_LANGUAGES = ("en", "fa", "ps")


def user_set_preferred_language(*, user: User, language: str, request: HttpRequest | None = None) -> User:
    """The language every SMS to this person is written in (chosen on the account page)."""
    if language not in MESSAGE_LANGUAGES:
        raise ValidationError({"preferred_language": gettext("Choose English, Dari or Pashto.")})
    if user.preferred_language != language:
        previous = user.preferred_language
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
        audit_record(action="accounts.language_changed", target_type="accounts.user", target_id=user.pk,
                     actor=user, subject=user, data={"from": previous, "to": language}, request=request)
    return user


def user_sign_in(*, request: HttpRequest, user: User, method: str, device: TOTPDevice | None = None) -> None:
    """Sign the user in to this session (a new session key) and record it.

    `device` is the TOTP device that confirmed the sign-in; without it, a role that needs
    a second factor stays out of the staff pages (see the middleware).
    """
    auth_login(request, user, backend=_MODEL_BACKEND)
    if device is not None:
        django_otp.login(request, device)
    audit_record(action="accounts.signed_in", target_type="accounts.user", target_id=user.pk,
                 actor=user, subject=user, data={"method": method}, request=request)


# --- Staff: password, then TOTP -------------------------------------------------------

def staff_authenticate(*, username: str, password: str, ip: str, request: HttpRequest | None = None) -> User:
    """The staff member whose password this is, or SignInError / Throttled.

    The caller still owes the second factor for roles that need one.
    """
    checks = login_checks(account=username, ip=ip)
    ensure_not_throttled(*checks)
    user = authenticate(request, username=username, password=password)
    if not isinstance(user, User) or user.is_citizen:
        count_attempt(*checks)
        raise SignInError(gettext("The username or password is not right."), code="invalid_login")
    login_per_account().reset(username.casefold())
    return user


@transaction.atomic
def staff_totp_enrolment_start(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator to show as a QR code; the same one on every reload."""
    device = selectors.totp_device_pending(user=user)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def staff_totp_verify(*, user: User, token: str, ip: str, enrolling: bool = False,
                      request: HttpRequest | None = None) -> TOTPDevice:
    """Check a code from the user's authenticator app; when enrolling, the first good code confirms it.

    Must not run inside an outer transaction: the failed try is committed before the
    refusal is raised.
    """
    checks = login_checks(account=user.get_username(), ip=ip)
    ensure_not_throttled(*checks)
    accepted: TOTPDevice | None = None
    locked_until = None
    with transaction.atomic():
        devices = list(
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=not enrolling)
            .order_by("-id")
        )
        if not devices:
            raise SignInError(gettext("There is no authenticator app to check this code against."),
                              code="no_device")
        for device in devices:
            allowed, details = device.verify_is_allowed()
            if not allowed:
                locked_until = (details or {}).get("locked_until")
                continue
            if device.verify_token(token):
                accepted = device
                break
        if accepted is not None and enrolling:
            accepted.confirmed = True
            accepted.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            audit_record(action="accounts.second_factor_enrolled", target_type="accounts.user",
                         target_id=user.pk, actor=user, subject=user, request=request)

    if accepted is not None:
        login_per_account().reset(user.get_username().casefold())
        return accepted
    if locked_until is not None:
        # django-otp's own back-off after wrong codes: tell the person how long to wait.
        seconds = (locked_until - timezone.now()).total_seconds()
        raise Throttled(minutes=max(1, math.ceil(seconds / 60)))
    count_attempt(*checks)
    raise SignInError(
        gettext("That code is not right. Check that your phone's clock is correct and enter the newest code."),
        code="wrong_code",
    )


# --- Creating staff accounts (administrators, the demonstration seed) -------------------

@transaction.atomic
def staff_totp_device_create(*, user: User, key: str | None = None, confirmed: bool = True) -> TOTPDevice:
    """Give the user an authenticator device; `key` (hex) fixes its secret, for demonstrations."""
    device = TOTPDevice(user=user, name=TOTP_DEVICE_NAME, confirmed=confirmed)
    if key:
        device.key = key
    device.full_clean(exclude=["user"])
    device.save()
    return device


@transaction.atomic
def staff_user_create(
    *, username: str, password: str, role: Role | str, agency: Agency | None = None,
    center: Center | None = None, full_name: str = "", email: str = "", phone_number: str | None = None,
    is_staff: bool | None = None, is_superuser: bool | None = None, totp_key: str | None = None,
    created_by: User | None = None,
) -> User:
    """Open a staff account. Raises ValidationError for a citizen role, a missing agency or center,
    or a username already taken.

    By default the roles that administer something (permissions.ADMIN_SITE_ROLES) may open
    the administration site, and platform administrators hold every permission.
    """
    role = Role(role)
    if role == Role.CITIZEN:
        raise ValidationError({"role": gettext("Citizens open their account by signing in with their mobile number.")})
    if role in AGENCY_ROLES and agency is None:
        raise ValidationError({"agency": gettext("This role works for an agency: choose the agency.")})
    if role in CENTER_ROLES and center is None:
        raise ValidationError({"center": gettext("This role works at a service center: choose the center.")})
    if is_staff is None:
        is_staff = grants_admin_site(role)
    if is_superuser is None:
        is_superuser = role == Role.PLATFORM_ADMIN
    user = User(
        username=username, role=role, agency=agency, center=center, full_name=full_name, email=email,
        phone_number=phone_number or None, is_staff=is_staff, is_superuser=is_superuser,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    if totp_key:
        staff_totp_device_create(user=user, key=totp_key, confirmed=True)
    audit_record(action="accounts.staff_created", target_type="accounts.user", target_id=user.pk,
                 actor=created_by, data={"role": role.value, "is_staff": is_staff})
    return user
