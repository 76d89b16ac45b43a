"""Reading accounts and their second-factor devices."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import connections, router
from django.db.models import Q
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from khedmat.core.rows import converted, model_columns

from .models import EnrolmentCode, KnownNetwork, User
from .networks import network_of
from .roles import AGENCY_ROLES


def user_get_active(*, pk: int) -> User | None:
    return User.objects.filter(pk=pk, is_active=True).select_related("agency", "center").first()


# Per database alias: the statement reading a user by primary key, its columns in field order
# (core.rows turns the row into a User, with the fields' converters).
_USER_READS: dict[str, str] = {}


def _user_read(alias: str) -> str:
    sql = _USER_READS.get(alias)
    if sql is None:
        quote = connections[alias].ops.quote_name
        sql = _USER_READS[alias] = (
            f"SELECT {model_columns(User, quote(User._meta.db_table))} FROM {quote(User._meta.db_table)} "  # noqa: S608
            f"WHERE {quote(User._meta.pk.column)} = %s")
    return sql


def user_for_session(pk: Any) -> User | None:
    """The signed-in user, read on every request that asks who it is: every column, one row by
    primary key, as `ModelBackend.get_user` reads it but in a statement built once per process
    (the ORM built it on each request for four times what the database spends; docs/
    performance.md, "Signed in"). Always from the primary. None when there is no such user."""
    alias = router.db_for_read(User)
    with connections[alias].cursor() as cursor:
        cursor.execute(_user_read(alias), [pk])
        row = cursor.fetchone()
    return None if row is None else converted(User, row, using=alias)


def _device_model(persistent_id: str) -> tuple[type[Device], int] | None:
    """The device model and primary key a persistent id ("app.model/id") names, if it names one."""
    try:
        model_label, device_id = persistent_id.rsplit("/", 1)
        model = apps.get_model(model_label)
        pk = int(device_id)
    except (ValueError, LookupError):
        return None
    return (model, pk) if issubclass(model, Device) else None


def _device(model: type[Device], alias: str, pk: int, user_id: Any, confirmed: Any) -> Device:
    return model.from_db(alias, ["id", "user_id", "confirmed"], [pk, user_id, bool(confirmed)])


# Per (alias, device table): the user's row and the device's owner and state, in one statement.
_USER_AND_DEVICE_READS: dict[tuple[str, str], str] = {}


def user_and_device_for_session(pk: Any, persistent_id: str) -> tuple[User | None, Device | None]:
    """A signed-in staff member's every request: the user (as `user_for_session`) and the
    second-factor device their session was verified with (as `device_for_session`), in one
    round trip to the database instead of two. The checks stay with their callers: whether the
    account may sign in (sessions.session_user), whether the device is the user's own and
    confirmed (django-otp's middleware). The device is None when the id names none, or it is
    gone; the user None when it is gone (then no device either)."""
    named = _device_model(persistent_id)
    alias = router.db_for_read(User)
    if named is None or router.db_for_read(named[0]) != alias:
        # The id names no device, or its table lives on another database: two reads, as before.
        return user_for_session(pk), (device_for_session(persistent_id) if named is not None else None)
    model, device_pk = named
    sql = _USER_AND_DEVICE_READS.get((alias, model._meta.db_table))
    if sql is None:
        quote = connections[alias].ops.quote_name
        users, devices = quote(User._meta.db_table), quote(model._meta.db_table)
        sql = _USER_AND_DEVICE_READS[(alias, model._meta.db_table)] = (
            f"SELECT {model_columns(User, users)}, {devices}.{quote('user_id')}, "  # noqa: S608
            f"{devices}.{quote('confirmed')} FROM {users} LEFT JOIN {devices} ON {devices}.{quote('id')} = %s "
            f"WHERE {users}.{quote(User._meta.pk.column)} = %s")
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [device_pk, pk])
        row = cursor.fetchone()
    if row is None:
        return None, None
    *user_values, device_user_id, confirmed = row
    user = converted(User, user_values, using=alias)
    return user, None if device_user_id is None else _device(model, alias, device_pk, device_user_id, confirmed)


def device_for_session(persistent_id: str) -> Device | None:
    """The second-factor device a session was verified with (django-otp's "app.model/id"), read
    on every signed-in staff request: its id, owner and whether it is confirmed, which is all
    the check needs (other fields load if asked for). Plain SQL, one row by primary key:
    building the ORM's statement (`Device.from_persistent_id`, every column, ORDER BY) cost
    eight times what the database does (docs/performance.md, "Signed in"). None when the
    device is gone (a reset) or the id names no device."""
    named = _device_model(persistent_id)
    if named is None:
        return None
    model, pk = named
    alias = router.db_for_read(model)
    connection = connections[alias]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote('user_id')}, {quote('confirmed')} FROM {quote(model._meta.db_table)} "  # noqa: S608
                       f"WHERE {quote('id')} = %s", [pk])
        row = cursor.fetchone()
    return None if row is None else _device(model, alias, pk, row[0], row[1])


def totp_device_confirmed(*, user: User) -> TOTPDevice | None:
    """The authenticator app the user set up, if any (the newest when there are several)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def totp_device_pending(*, user: User, pk: int) -> TOTPDevice | None:
    """The device being set up in this sign-in: shown as a QR code until its first code confirms it."""
    return TOTPDevice.objects.filter(user=user, pk=pk, confirmed=False).first()


def _live_enrolment_codes(user: User) -> Q:
    return Q(user=user, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


def enrolment_code_live(*, user: User, code_hashes: list[str]) -> EnrolmentCode | None:
    """The unused, unexpired, unrevoked set-up code of this user with one of these hashes."""
    return EnrolmentCode.objects.filter(_live_enrolment_codes(user), code_hash__in=code_hashes).first()


def enrolment_code_live_by_id(*, user: User, pk: int) -> EnrolmentCode | None:
    return EnrolmentCode.objects.filter(_live_enrolment_codes(user), pk=pk).first()


def recovery_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def network_is_known(*, username: str, ip: str) -> bool:
    """Whether the account of `username` signed in before from the network of `ip`."""
    network = network_of(ip)
    return bool(network) and KnownNetwork.objects.filter(user__username=username, network=network).exists()


@dataclass(frozen=True)
class SecondFactorStatus:
    """What an administrator (and the staff member) sees of an account's second factor."""

    needed: bool
    authenticator_since: datetime | None
    authenticator_last_used: datetime | None
    recovery_codes_left: int
    enrolment_code_expires: datetime | None
    failures: int
    locked_until: datetime | None

    @property
    def has_authenticator(self) -> bool:
        return self.authenticator_since is not None


def second_factor_status(*, user: User) -> SecondFactorStatus:
    device = totp_device_confirmed(user=user)
    live_code = EnrolmentCode.objects.filter(_live_enrolment_codes(user)).order_by("-expires_at").first()
    locked_until = user.second_factor_locked_until
    return SecondFactorStatus(
        needed=user.needs_second_factor,
        authenticator_since=device.created_at if device is not None else None,
        authenticator_last_used=device.last_used_at if device is not None else None,
        recovery_codes_left=recovery_codes_left(user=user),
        enrolment_code_expires=live_code.expires_at if live_code is not None else None,
        failures=user.second_factor_failures,
        locked_until=locked_until if locked_until is not None and locked_until > timezone.now() else None,
    )


def known_networks(*, user: User) -> list[KnownNetwork]:
    return list(KnownNetwork.objects.filter(user=user).order_by("-last_used_at"))


def user_get_by_username(*, username: str) -> User | None:
    """For loaders such as the demonstration seed, which must not create an account twice,
    and commands naming an account."""
    return User.objects.filter(username=username).first()


def user_by_phone(*, phone_number: str) -> User | None:
    """The account that holds this mobile number (E.164), if any."""
    return User.objects.filter(phone_number=phone_number).first()


_LANGUAGE_BY_PHONE: dict[str, str] = {}


def preferred_language_by_phone(*, phone_number: str) -> str:
    """The preferred language of the account that holds this mobile number, "" if none.

    Plain SQL, written once per process and database kind: every SMS to a number asks it (a
    phone's ticket, a code), and the ORM building the statement and the whole account cost
    ten times the database's work (0.46 → 0.04 ms CPU). `phone_number` is unique."""
    connection = connections[router.db_for_read(User)]
    statement = _LANGUAGE_BY_PHONE.get(connection.vendor)
    if statement is None:
        quote, meta = connection.ops.quote_name, User._meta
        statement = _LANGUAGE_BY_PHONE[connection.vendor] = (
            f"SELECT {quote(meta.get_field('preferred_language').column)} FROM {quote(meta.db_table)} "  # noqa: S608
            f"WHERE {quote(meta.get_field('phone_number').column)} = %s")
    with connection.cursor() as cursor:
        cursor.execute(statement, [phone_number])
        row = cursor.fetchone()
    return row[0] if row else ""


SMS_LANGUAGES = ("en", "fa", "ps")


def sms_language_of(*choices: str) -> str:
    """The first of `choices` that is one of our languages ("fa-AF" counts as "fa"), else Dari."""
    for language in choices:
        language = (language or "").split("-")[0].lower()
        if language in SMS_LANGUAGES:
            return language
    return "fa"


def sms_language_for(*, phone_number: str, acted_in: str = "") -> str:
    """The language to write to this number in: its account holder's preferred language, else
    the one they acted in, else Dari. The one place this rule lives (notifications asks it for
    every SMS; a ticket taken by phone asks it once, when it is issued)."""
    preferred = preferred_language_by_phone(phone_number=phone_number) if phone_number else ""
    return sms_language_of(preferred, acted_in)


# The lists of people below (whom to give a file, whom to tell) never hold a key's system
# account: User.objects.people() (decisions/0042).

def users_by_ids(*, ids: list[int]) -> list[User]:
    """The active people among `ids` (recipients of an SMS, by primary key)."""
    return list(User.objects.people().filter(pk__in=ids, is_active=True).order_by("pk"))


def agency_staff(*, agency_id: int, roles: Iterable[str] = AGENCY_ROLES) -> list[User]:
    """The agency's active staff who hold one of `roles` (every agency role by default), by name."""
    return list(User.objects.people().filter(agency_id=agency_id, role__in=sorted(roles), is_active=True)
                .order_by("full_name", "username"))


def center_staff(*, center_id: int, roles: Iterable[str]) -> list[User]:
    """The centre's active staff who hold one of `roles`, by name."""
    return list(User.objects.people().filter(center_id=center_id, role__in=sorted(roles), is_active=True)
                .order_by("full_name", "username"))


def group_members(*, group: str) -> list[User]:
    """The active members of a permission group (a desk such as the complaints' ombudsman), by name."""
    return list(User.objects.people().filter(groups__name=group, is_active=True).order_by("full_name", "username"))


def user_in_group(*, user: User, group: str) -> bool:
    return user.groups.filter(name=group).exists()
