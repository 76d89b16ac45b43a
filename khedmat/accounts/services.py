"""Signing in and managing accounts: citizens by mobile number, staff by password and TOTP.

Every refusal a person should read is a SignInError (or Throttled) carrying a translated
message. Failed attempts are recorded before the refusal is raised, so a rollback never
erases a wrong guess.

Staff's second factor (docs/decisions/0015): an authenticator app enrolled only with a
set-up code an administrator issued; recovery codes in its place; wrong codes counted per
account in the database, locking the second factor for longer and longer; and a password
lock that a stranger cannot impose on an officer's usual networks.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import django_otp
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import get_language, gettext, ngettext
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from khedmat.audit.services import audit_record
from khedmat.core.errors import Refusal
from khedmat.core.events import publish
from khedmat.core.formatting import format_number
from khedmat.core.metrics import failed_login
from khedmat.core.ratelimit import client_ip, wait_minutes

from . import permissions, selectors
from .codes import ENROLMENT_CODE_LENGTH, RECOVERY_CODE_LENGTH, code_hash, code_hashes, grouped, new_code
from .events import PhoneCodeRequested, ProfileUpdated
from .models import AGENCY_ROLES, CENTER_ROLES, EnrolmentCode, KnownNetwork, PhoneCode, Role, User
from .networks import network_of
from .permissions import grants_admin_site
from .tazkira import normalize_tazkira_number
from .throttles import (
    Throttled,
    code_send_checks,
    count_attempt,
    ensure_not_throttled,
    ip_check,
    login_checks,
    login_per_account,
    password_account_check,
)

if TYPE_CHECKING:
    from khedmat.catalog.models import Agency
    from khedmat.centers.models import Center

__all__ = [
    "IssuedCode",
    "PasswordLocked",
    "SecondFactorLocked",
    "SecondFactorPassed",
    "SignInError",
    "Throttled",
    "citizen_get_or_create",
    "citizen_sign_in",
    "citizen_update_profile",
    "phone_code_send",
    "phone_code_verify",
    "staff_assignment_change",
    "staff_authenticate",
    "staff_enrolment_claim",
    "staff_enrolment_code_issue",
    "staff_enrolment_confirm",
    "staff_recovery_codes_make",
    "staff_recovery_codes_regenerate",
    "staff_second_factor_reset",
    "staff_second_factor_verify",
    "staff_sign_in_with_recovery_code",
    "staff_totp_device_create",
    "staff_user_create",
    "user_set_preferred_language",
    "user_sign_in",
]

_CODE_HASH_SALT = "khedmat.accounts.PhoneCode"
_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
T = TypeVar("T")


class SignInError(Refusal):
    """A refusal with a message for the person signing in; `code` names the reason for callers."""


# --- Citizens: one-time codes by SMS ----------------------------------------------------

def _phone_code_hash(*, phone_number: str, code: str) -> str:
    # Keyed with SECRET_KEY: a copy of the database alone does not give away live codes.
    return salted_hmac(_CODE_HASH_SALT, f"{phone_number}:{code}", algorithm="sha256").hexdigest()


def phone_code_send(*, phone_number: str, ip: str) -> PhoneCode:
    """Send a new one-time code by SMS, in the active language; earlier codes stop working.

    Raises Throttled, and sends nothing, when this number asked too often (or this address
    asked for very many numbers: SMS pumping). Asking is not a failure: it is not charged
    to the address's sign-in counter, which people behind one NAT share.
    """
    checks = code_send_checks(phone_number=phone_number, ip=ip)
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
    failed_login("sms_code")
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
        publish(ProfileUpdated(user_id=user.pk, fields=changed), request=request)
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


def user_sign_in(*, request: HttpRequest, user: User, method: str, device: Device | None = None) -> None:
    """Sign the user in to this session (a new session key) and record it.

    `device` is the second-factor device (authenticator or recovery codes) that confirmed
    the sign-in; without it, a role that needs one stays out of the staff pages (see the
    middleware). A staff member's network is remembered (see `staff_authenticate`).
    """
    auth_login(request, user, backend=_MODEL_BACKEND)
    if device is not None:
        django_otp.login(request, device)
    if not user.is_citizen:
        _known_network_remember(user=user, ip=client_ip(request))
    audit_record(action="accounts.signed_in", target_type="accounts.user", target_id=user.pk,
                 actor=user, subject=user, data={"method": method}, request=request)


def _known_network_remember(*, user: User, ip: str) -> None:
    """Remember the network of a successful sign-in; keep only the most recently used few."""
    network = network_of(ip)
    if not network:
        return
    now = timezone.now()
    with transaction.atomic():
        updated = KnownNetwork.objects.filter(user=user, network=network).update(last_used_at=now)
        if not updated:
            try:
                with transaction.atomic():
                    KnownNetwork.objects.create(user=user, network=network, first_used_at=now, last_used_at=now)
            except IntegrityError:  # the same network remembered at the same moment by another request
                pass
            keep = settings.STAFF_KNOWN_NETWORKS_MAX
            stale = list(KnownNetwork.objects.filter(user=user).order_by("-last_used_at", "-id")
                         .values_list("pk", flat=True)[keep:])
            if stale:
                KnownNetwork.objects.filter(pk__in=stale).delete()


# --- Staff: password ------------------------------------------------------------------------

def _wait_sentence(minutes: int, *, in_minutes: Callable[[int], str], in_hours: Callable[[int], str]) -> str:
    """The wait in minutes, or in whole hours once it is two hours or more."""
    if minutes >= 120:
        return in_hours(math.ceil(minutes / 60))
    return in_minutes(minutes)


class PasswordLocked(Throttled):
    """Too many wrong passwords for this account from where the attempt comes from."""

    @property
    def message(self) -> str:
        return _wait_sentence(
            self.minutes,
            in_minutes=lambda n: ngettext(
                "Too many wrong passwords for this account. Try again in %(count)s minute, sign in from a "
                "place where you have signed in before, or sign in with a recovery code.",
                "Too many wrong passwords for this account. Try again in %(count)s minutes, sign in from a "
                "place where you have signed in before, or sign in with a recovery code.", n,
            ) % {"count": format_number(n)},
            in_hours=lambda n: ngettext(
                "Too many wrong passwords for this account. Try again in %(count)s hour, sign in from a "
                "place where you have signed in before, or sign in with a recovery code.",
                "Too many wrong passwords for this account. Try again in %(count)s hours, sign in from a "
                "place where you have signed in before, or sign in with a recovery code.", n,
            ) % {"count": format_number(n)},
        )


def staff_authenticate(*, username: str, password: str, ip: str, request: HttpRequest | None = None) -> User:
    """The staff member whose password this is, or SignInError / Throttled.

    Wrong passwords lock the account for a while, but only for the kind of place they came
    from: attempts from a network where the account signed in before are counted apart from
    all others, so a stranger who knows the username cannot lock an officer out of their
    office. The caller still owes the second factor for roles that need one.
    """
    per_ip = ip_check(ip)
    ensure_not_throttled(per_ip)
    account = password_account_check(
        account=username, known_network=selectors.network_is_known(username=username, ip=ip))
    throttle, identity = account
    if throttle.is_exceeded(identity):
        raise PasswordLocked(minutes=wait_minutes([throttle]))
    user = authenticate(request, username=username, password=password)
    if not isinstance(user, User) or user.is_citizen:
        count_attempt(account, per_ip)
        failed_login("password")
        raise SignInError(gettext("The username or password is not right."), code="invalid_login")
    throttle.reset(identity)
    return user


# --- Staff: the second factor ------------------------------------------------------------

class SecondFactorLocked(Throttled):
    """Too many wrong second-factor codes for this account: nothing is checked until then."""

    @property
    def message(self) -> str:
        return _wait_sentence(
            self.minutes,
            in_minutes=lambda n: ngettext(
                "Too many wrong codes for this account. Try again in %(count)s minute. If you did not "
                "enter them, someone knows your password: tell your administrator.",
                "Too many wrong codes for this account. Try again in %(count)s minutes. If you did not "
                "enter them, someone knows your password: tell your administrator.", n,
            ) % {"count": format_number(n)},
            in_hours=lambda n: ngettext(
                "Too many wrong codes for this account. Try again in %(count)s hour. If you did not "
                "enter them, someone knows your password: tell your administrator.",
                "Too many wrong codes for this account. Try again in %(count)s hours. If you did not "
                "enter them, someone knows your password: tell your administrator.", n,
            ) % {"count": format_number(n)},
        )


def _minutes_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds() / 60))


def second_factor_lock_minutes(failures: int) -> int:
    """How long the second factor locks after `failures` wrong codes in a row (0: not now).

    Every SECOND_FACTOR_MAX_FAILURES-th failure locks it, each time twice as long as the
    last: 15 minutes, 30, an hour… up to SECOND_FACTOR_LOCK_MAX_MINUTES.
    """
    step = settings.SECOND_FACTOR_MAX_FAILURES
    if failures <= 0 or failures % step:
        return 0
    doublings = min(failures // step - 1, 16)
    return int(min(settings.SECOND_FACTOR_LOCK_MAX_MINUTES, settings.SECOND_FACTOR_LOCK_MINUTES * 2 ** doublings))


def second_factor_lock_check(*, user: User) -> None:
    """Raise SecondFactorLocked while the account's second factor is locked (to say so on a page)."""
    locked_until = user.second_factor_locked_until
    now = timezone.now()
    if locked_until is not None and locked_until > now:
        raise SecondFactorLocked(minutes=_minutes_until(locked_until, now))


def _second_factor_attempt(*, user: User, ip: str, attempt: Callable[[User], T | None],
                           request: HttpRequest | None) -> tuple[T, int] | None:
    """Run one second-factor check under the account's row lock and count its outcome.

    `attempt` gets the locked user row and returns what it accepted, or None for a wrong
    code. A wrong code is counted on the account (in the database: a right password does
    not wipe it) and on the address, and committed before the caller refuses; a run of them
    locks the second factor. Returns (what was accepted, wrong codes before it), or None.
    Must not run inside an outer transaction.
    """
    ensure_not_throttled(ip_check(ip))
    now = timezone.now()
    lock_minutes = 0
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        second_factor_lock_check(user=locked)
        accepted = attempt(locked)
        earlier = locked.second_factor_failures
        if accepted is not None:
            if earlier or locked.second_factor_locked_until is not None:
                locked.second_factor_failures = 0
                locked.second_factor_locked_until = None
                locked.save(update_fields=["second_factor_failures", "second_factor_locked_until"])
            user.second_factor_failures, user.second_factor_locked_until = 0, None
            return accepted, earlier
        locked.second_factor_failures += 1
        lock_minutes = second_factor_lock_minutes(locked.second_factor_failures)
        if lock_minutes:
            locked.second_factor_locked_until = now + timedelta(minutes=lock_minutes)
            audit_record(action="accounts.second_factor_locked", target_type="accounts.user", target_id=locked.pk,
                         subject=locked, data={"failures": locked.second_factor_failures, "minutes": lock_minutes},
                         request=request)
        locked.save(update_fields=["second_factor_failures", "second_factor_locked_until"])
        user.second_factor_failures = locked.second_factor_failures
        user.second_factor_locked_until = locked.second_factor_locked_until
    count_attempt(ip_check(ip))
    failed_login("second_factor")
    if lock_minutes:
        raise SecondFactorLocked(minutes=lock_minutes)
    return None


def _wrong_code() -> SignInError:
    return SignInError(
        gettext("That code is not right. Check that your phone's clock is correct and enter the newest code, "
                "or one of your recovery codes."),
        code="wrong_code",
    )


def _recovery_token(*, user: User, code: str) -> StaticToken | None:
    return (StaticToken.objects.select_related("device")
            .filter(device__user=user, device__confirmed=True, token__in=code_hashes("recovery", code)).first())


def _recovery_code_use(*, user: User, token: StaticToken, request: HttpRequest | None, route: str) -> StaticDevice:
    """Spend a recovery code (each works once) and record it."""
    device = token.device
    token.delete()
    device.set_last_used_timestamp(commit=True)
    left = StaticToken.objects.filter(device=device).count()
    audit_record(action="accounts.recovery_code_used", target_type="accounts.user", target_id=user.pk,
                 actor=user, subject=user, data={"left": left, "route": route}, request=request)
    return device


@dataclass(frozen=True)
class SecondFactorPassed:
    device: Device
    # Wrong codes entered since the last right one: the owner should hear of them.
    earlier_failures: int
    recovery_codes_left: int | None = None


def staff_second_factor_verify(*, user: User, code: str, ip: str,
                               request: HttpRequest | None = None) -> SecondFactorPassed:
    """Check a code from the user's authenticator app, or one of their recovery codes.

    Raises SignInError for a wrong code, SecondFactorLocked when too many were wrong.
    Must not run inside an outer transaction: the failed try is committed before the
    refusal is raised.
    """
    if selectors.totp_device_confirmed(user=user) is None:
        raise SignInError(gettext("There is no authenticator app to check this code against."), code="no_device")

    def attempt(locked: User) -> tuple[Device, int | None] | None:
        if len(code) == RECOVERY_CODE_LENGTH:
            token = _recovery_token(user=locked, code=code)
            if token is None:
                return None
            device = _recovery_code_use(user=locked, token=token, request=request, route="second_factor")
            return device, StaticToken.objects.filter(device=device).count()
        for totp_device in TOTPDevice.objects.select_for_update().filter(user=locked, confirmed=True).order_by("-id"):
            if totp_device.verify_token(code):
                return totp_device, None
        return None

    outcome = _second_factor_attempt(user=user, ip=ip, attempt=attempt, request=request)
    if outcome is None:
        raise _wrong_code()
    (device, left), earlier = outcome
    return SecondFactorPassed(device=device, earlier_failures=earlier, recovery_codes_left=left)


def staff_sign_in_with_recovery_code(*, username: str, password: str, code: str, ip: str,
                                     request: HttpRequest | None = None) -> tuple[User, SecondFactorPassed]:
    """Sign in with password and recovery code together, even while the password is locked.

    For the officer whose username a stranger has locked, signing in from a new place.
    The recovery code is checked first (ten codes of ten digits: guessing one is hopeless),
    and the password only behind a right one, so this door gives a password guesser nothing.
    A wrong pair is counted on the address only: a stranger cannot lock this door either.
    """
    generic = SignInError(gettext("The username, password or recovery code is not right."), code="invalid_login")
    ensure_not_throttled(ip_check(ip))
    user = selectors.user_get_by_username(username=username)
    if user is None or user.is_citizen or not user.is_active or _recovery_token(user=user, code=code) is None:
        count_attempt(ip_check(ip))
        failed_login("second_factor")
        raise generic
    authenticated = authenticate(request, username=username, password=password)
    if authenticated is None or authenticated.pk != user.pk:
        count_attempt(ip_check(ip))
        failed_login("password")
        raise generic

    def attempt(locked: User) -> tuple[Device, int] | None:
        token = _recovery_token(user=locked, code=code)
        if token is None:  # spent by a parallel request
            return None
        device = _recovery_code_use(user=locked, token=token, request=request, route="locked_password")
        return device, StaticToken.objects.filter(device=device).count()

    outcome = _second_factor_attempt(user=user, ip=ip, attempt=attempt, request=request)
    if outcome is None:
        raise generic
    (device, left), earlier = outcome
    return user, SecondFactorPassed(device=device, earlier_failures=earlier, recovery_codes_left=left)


# --- Staff: enrolling an authenticator (with a set-up code from an administrator) ----------

@dataclass(frozen=True)
class IssuedCode:
    """A set-up code just issued: `code` is shown once, to the administrator who asked."""

    enrolment: EnrolmentCode
    code: str

    @property
    def display(self) -> str:
        return grouped(self.code)


def _ensure_may_manage_second_factor(actor: User | None, user: User) -> None:
    """Administrators of the account, never the account itself; None: the command line."""
    if actor is None:
        return
    if actor.pk == user.pk or not permissions.can_manage_user(actor, user):
        raise PermissionDenied("may not manage this account's second factor")


def staff_enrolment_code_issue(*, user: User, issued_by: User | None, reason: str = "",
                               request: HttpRequest | None = None) -> IssuedCode:
    """Issue a set-up code for an account that needs a second factor and has none.

    Earlier unused codes stop working. Raises ValidationError when the account needs no
    second factor or already has an authenticator (reset it instead), PermissionDenied when
    `issued_by` may not manage the account.
    """
    _ensure_may_manage_second_factor(issued_by, user)
    if not user.needs_second_factor:
        raise ValidationError(gettext("This account signs in without a second factor."), code="not_needed")
    if selectors.totp_device_confirmed(user=user) is not None:
        raise ValidationError(gettext("This account already has an authenticator app. Reset its second factor "
                                      "to issue a new set-up code."), code="has_device")
    return _enrolment_code_issue(user=user, issued_by=issued_by, reason=reason, request=request)


@transaction.atomic
def _enrolment_code_issue(*, user: User, issued_by: User | None, reason: str,
                          request: HttpRequest | None) -> IssuedCode:
    now = timezone.now()
    EnrolmentCode.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
    code = new_code(ENROLMENT_CODE_LENGTH)
    enrolment = EnrolmentCode.objects.create(
        user=user, code_hash=code_hash("enrolment", code), issued_by=issued_by, reason=reason.strip()[:300],
        created_at=now, expires_at=now + timedelta(hours=settings.SECOND_FACTOR_ENROLMENT_HOURS),
    )
    audit_record(action="accounts.enrolment_code_issued", target_type="accounts.user", target_id=user.pk,
                 actor=issued_by, subject=user, reason=enrolment.reason,
                 data={"enrolment_code": enrolment.pk, "expires_at": enrolment.expires_at.isoformat()},
                 request=request)
    return IssuedCode(enrolment=enrolment, code=code)


@transaction.atomic
def staff_second_factor_reset(*, user: User, reset_by: User | None, reason: str,
                              request: HttpRequest | None = None) -> IssuedCode:
    """Take away an account's authenticator and recovery codes (a lost phone) and issue a
    new set-up code. A reason is required; sessions verified with the old devices lose it."""
    _ensure_may_manage_second_factor(reset_by, user)
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": gettext("Say why the second factor is reset: it is kept in the audit trail.")})
    if not user.needs_second_factor:
        raise ValidationError(gettext("This account signs in without a second factor."), code="not_needed")
    locked = User.objects.select_for_update().get(pk=user.pk)
    removed_authenticators, _ = TOTPDevice.objects.filter(user=locked).delete()
    removed_recovery = StaticToken.objects.filter(device__user=locked).count()
    StaticDevice.objects.filter(user=locked).delete()
    locked.second_factor_failures = 0
    locked.second_factor_locked_until = None
    locked.save(update_fields=["second_factor_failures", "second_factor_locked_until"])
    user.second_factor_failures, user.second_factor_locked_until = 0, None
    audit_record(action="accounts.second_factor_reset", target_type="accounts.user", target_id=user.pk,
                 actor=reset_by, subject=user, reason=reason,
                 data={"devices_removed": removed_authenticators, "recovery_codes_removed": removed_recovery},
                 request=request)
    return _enrolment_code_issue(user=locked, issued_by=reset_by, reason=reason, request=request)


@dataclass(frozen=True)
class EnrolmentStarted:
    device: TOTPDevice
    enrolment: EnrolmentCode


def staff_enrolment_claim(*, user: User, code: str, ip: str,
                          request: HttpRequest | None = None) -> EnrolmentStarted:
    """A set-up code typed after the password: start enrolling a new authenticator.

    Its secret is shown only now, to whoever holds both the password and the code; each
    claim makes a new secret, so one seen before stops working. A wrong code counts as a
    wrong second-factor code. The code is spent when the authenticator is confirmed.
    """
    if selectors.totp_device_confirmed(user=user) is not None:
        raise SignInError(gettext("Your authenticator app is already set up."), code="has_device")

    def attempt(locked: User) -> EnrolmentStarted | None:
        enrolment = selectors.enrolment_code_live(user=locked, code_hashes=code_hashes("enrolment", code))
        if enrolment is None:
            return None
        TOTPDevice.objects.filter(user=locked, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=locked, name=TOTP_DEVICE_NAME, confirmed=False)
        return EnrolmentStarted(device=device, enrolment=enrolment)

    outcome = _second_factor_attempt(user=user, ip=ip, attempt=attempt, request=request)
    if outcome is None:
        raise SignInError(gettext("That set-up code is not right, or it has expired or been replaced. "
                                  "Ask your administrator for a new one."), code="wrong_enrolment_code")
    return outcome[0]


@dataclass(frozen=True)
class EnrolmentDone:
    device: TOTPDevice
    recovery_codes: list[str]


def staff_enrolment_confirm(*, user: User, device_id: int, enrolment_id: int, code: str, ip: str,
                            request: HttpRequest | None = None) -> EnrolmentDone:
    """The first right code from the new authenticator confirms it, spends the set-up code
    and makes the recovery codes (returned once, to show)."""

    def attempt(locked: User) -> EnrolmentDone | None:
        device = TOTPDevice.objects.select_for_update().filter(pk=device_id, user=locked, confirmed=False).first()
        enrolment = selectors.enrolment_code_live_by_id(user=locked, pk=enrolment_id)
        if device is None or enrolment is None:
            raise SignInError(gettext("Your set-up code has expired or been replaced. Ask your administrator "
                                      "for a new one."), code="enrolment_expired")
        if not device.verify_token(code):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=locked).exclude(pk=device.pk).delete()
        enrolment.used_at = timezone.now()
        enrolment.save(update_fields=["used_at"])
        audit_record(action="accounts.second_factor_enrolled", target_type="accounts.user", target_id=locked.pk,
                     actor=locked, subject=locked,
                     data={"enrolment_code": enrolment.pk, "issued_by": enrolment.issued_by_id}, request=request)
        return EnrolmentDone(device=device, recovery_codes=_recovery_codes_make(user=locked, request=request))

    outcome = _second_factor_attempt(user=user, ip=ip, attempt=attempt, request=request)
    if outcome is None:
        raise SignInError(gettext("That code is not right. Check that your phone's clock is correct and enter "
                                  "the newest code."), code="wrong_code")
    return outcome[0]


# --- Staff: recovery codes ----------------------------------------------------------------

def _recovery_codes_make(*, user: User, request: HttpRequest | None) -> list[str]:
    """New recovery codes in place of any earlier ones; the device (and so any session
    verified with it) is kept."""
    device = StaticDevice.objects.filter(user=user).order_by("id").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    StaticToken.objects.filter(device__user=user).delete()
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = [new_code(RECOVERY_CODE_LENGTH) for _ in range(settings.RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code_hash("recovery", code)) for code in codes)
    audit_record(action="accounts.recovery_codes_made", target_type="accounts.user", target_id=user.pk,
                 actor=user, subject=user, data={"count": len(codes)}, request=request)
    return [grouped(code, 5) for code in codes]


@transaction.atomic
def staff_recovery_codes_make(*, user: User, request: HttpRequest | None = None) -> list[str]:
    """Recovery codes for a staff member with an authenticator (the demonstration seed, tests)."""
    if selectors.totp_device_confirmed(user=user) is None:
        raise ValidationError(gettext("Set up an authenticator app first."), code="no_device")
    return _recovery_codes_make(user=user, request=request)


def staff_recovery_codes_regenerate(*, user: User, password: str, ip: str,
                                    request: HttpRequest | None = None) -> list[str]:
    """New recovery codes for the signed-in staff member, who confirms it is them with
    their password (a session left open must not hand out a way in). Earlier codes stop working."""
    per_ip = ip_check(ip)
    account = password_account_check(
        account=user.get_username(), known_network=selectors.network_is_known(username=user.get_username(), ip=ip))
    ensure_not_throttled(per_ip, account)  # the sign-in's own limits: an open session is no password oracle
    if not user.check_password(password):
        count_attempt(per_ip, account)
        raise SignInError(gettext("That is not your password."), code="wrong_password")
    return staff_recovery_codes_make(user=user, request=request)


# --- Creating and changing staff accounts (administrators, the demonstration seed) --------

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
    created_by: User | None = None, request: HttpRequest | None = None, is_system: bool = False,
) -> User:
    """Open a staff account. Raises ValidationError for a citizen role, a missing agency or center,
    or a username already taken.

    By default the roles that administer something (permissions.ADMIN_SITE_ROLES) may open
    the administration site, and platform administrators hold every permission. A role that
    needs a second factor then needs a set-up code (`staff_enrolment_code_issue`), unless
    `totp_key` gives it an authenticator (demonstrations, tests). `is_system`: the account a
    system acts through (an API key's), never listed as a person (User.objects.people()).
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
        phone_number=phone_number or None, is_staff=is_staff, is_superuser=is_superuser, is_system=is_system,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    if totp_key:
        staff_totp_device_create(user=user, key=totp_key, confirmed=True)
    audit_record(action="accounts.staff_created", target_type="accounts.user", target_id=user.pk,
                 actor=created_by, subject=user,
                 data={"role": role.value, "is_staff": is_staff, "is_superuser": is_superuser,
                       "agency": _unit_code(agency), "center": _unit_code(center),
                       **({"is_system": True} if is_system else {})},
                 request=request)
    return user


def _unit_code(unit: Any) -> str | None:
    return getattr(unit, "code", None) if unit is not None else None


# The parts of a staff account that decide what it may do: changing any needs a reason.
ASSIGNMENT_FIELDS = ("role", "agency", "center", "is_active", "is_superuser")


@transaction.atomic
def staff_assignment_change(*, user: User, changed_by: User | None, reason: str,
                            request: HttpRequest | None = None, **changes: Any) -> User:
    """Change a staff account's role, agency, center, active status or superuser status,
    recording who changed what (before → after) and why.

    `changes` holds only ASSIGNMENT_FIELDS. Raises ValidationError without a reason or for
    an inconsistent account, PermissionDenied when `changed_by` may not manage the account
    before or after the change (never a role above their own).
    """
    unknown = set(changes) - set(ASSIGNMENT_FIELDS)
    if unknown:
        raise TypeError(f"not an assignment field: {sorted(unknown)}")
    locked = User.objects.select_for_update(of=("self",)).select_related("agency", "center").get(pk=user.pk)
    before = {field: getattr(locked, field) for field in ASSIGNMENT_FIELDS}
    after = {**before, **changes}
    changed = [field for field in ASSIGNMENT_FIELDS if after[field] != before[field]]
    if not changed:
        return locked
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": gettext("Say why the role, unit or status changes: it is kept in the "
                                                 "audit trail.")})
    if changed_by is not None:
        if not permissions.can_manage_user(changed_by, locked):
            raise PermissionDenied("may not manage this account")
        if after["role"] != before["role"] and after["role"] not in permissions.assignable_roles(changed_by):
            raise PermissionDenied("may not give this role")
        if after["is_superuser"] != before["is_superuser"] and not changed_by.is_superuser:
            raise PermissionDenied("only a superuser makes or unmakes another")
    for field in changed:
        setattr(locked, field, after[field])
    locked.role = Role(locked.role)
    if locked.role not in AGENCY_ROLES:
        locked.agency = None
    if locked.role not in CENTER_ROLES:
        locked.center = None
    locked.is_staff = grants_admin_site(locked.role) or locked.is_superuser
    locked.full_clean()
    locked.save()
    if changed_by is not None and not permissions.can_manage_user(changed_by, locked):
        raise PermissionDenied("the change would put the account out of the administrator's reach")
    described = {
        field: {"from": _describe(before[field]), "to": _describe(getattr(locked, field))}
        for field in ASSIGNMENT_FIELDS if getattr(locked, field) != before[field]
    }
    audit_record(action="accounts.staff_assignment_changed", target_type="accounts.user", target_id=locked.pk,
                 actor=changed_by, subject=locked, reason=reason, data={"changes": described}, request=request)
    for field in (*ASSIGNMENT_FIELDS, "is_staff"):
        setattr(user, field, getattr(locked, field))
    return locked


def _describe(value: Any) -> Any:
    """A value as the audit trail keeps it: a unit by its code, a role by its name."""
    if value is None or isinstance(value, bool):
        return value
    return getattr(value, "code", None) or str(value)
