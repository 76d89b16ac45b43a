"""Reading accounts and their second-factor devices."""

from __future__ import annotations

from collections.abc import Iterable

from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User
from .roles import AGENCY_ROLES


def user_get_active(*, pk: int) -> User | None:
    return User.objects.filter(pk=pk, is_active=True).select_related("agency", "center").first()


def totp_device_confirmed(*, user: User) -> TOTPDevice | None:
    """The authenticator app the user set up, if any (the newest when there are several)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def totp_device_pending(*, user: User) -> TOTPDevice | None:
    """The device being set up: shown as a QR code until its first code confirms it."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def user_get_by_username(*, username: str) -> User | None:
    """For loaders such as the demonstration seed, which must not create an account twice,
    and commands naming an account."""
    return User.objects.filter(username=username).first()


def user_by_phone(*, phone_number: str) -> User | None:
    """The account that holds this mobile number (E.164), if any."""
    return User.objects.filter(phone_number=phone_number).first()


def users_by_ids(*, ids: list[int]) -> list[User]:
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def agency_staff(*, agency_id: int, roles: Iterable[str] = AGENCY_ROLES) -> list[User]:
    """The agency's active staff who hold one of `roles` (every agency role by default), by name."""
    return list(User.objects.filter(agency_id=agency_id, role__in=sorted(roles), is_active=True)
                .order_by("full_name", "username"))
