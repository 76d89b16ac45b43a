"""Who may administer what. The one place that maps a staff role to its powers in the admin.

Roles, not Django's per-model permissions, decide: an agency administrator manages their
own agency (its services, its officers), a center manager their own center (its counters,
its operators), a platform administrator everything. The admin classes ask these
functions; they never test a role themselves.

Who may enter the administration site at all (`is_staff`): the three roles that
administer something, `ADMIN_SITE_ROLES`. Operators, officers and approvers work in the
public site's staff pages (queue, back office), never in the admin.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from .gates import second_factor_given
from .models import PEOPLE, STAFF_ROLES, Role, User

ADMIN_SITE_ROLES = frozenset({Role.CENTER_MANAGER, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN})
# The roles each administrator may give; none may give a role above their own.
_ASSIGNABLE_ROLES: dict[str, tuple[Role, ...]] = {
    Role.AGENCY_ADMIN: (Role.OFFICER, Role.APPROVER, Role.AGENCY_ADMIN),
    Role.CENTER_MANAGER: (Role.OPERATOR, Role.CENTER_MANAGER),
    Role.PLATFORM_ADMIN: (Role.OPERATOR, Role.OFFICER, Role.APPROVER, Role.CENTER_MANAGER,
                          Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN),
}

M = TypeVar("M", bound=Model)


def grants_admin_site(role: str) -> bool:
    """Whether an account with this role gets `is_staff` (may open the administration site)."""
    return role in ADMIN_SITE_ROLES


def _active(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_platform_admin(user: Any) -> bool:
    return _active(user) and (user.is_superuser or user.role == Role.PLATFORM_ADMIN)


def is_agency_admin(user: Any) -> bool:
    return _active(user) and user.role == Role.AGENCY_ADMIN and user.agency_id is not None


def is_center_manager(user: Any) -> bool:
    return _active(user) and user.role == Role.CENTER_MANAGER and user.center_id is not None


# --- The service catalog ------------------------------------------------------------------

def can_manage_catalog(user: Any) -> bool:
    """May open the catalog's admin pages (each object is then checked on its own)."""
    return is_platform_admin(user) or is_agency_admin(user)


def can_manage_agency(user: Any, agency: Any) -> bool:
    """May edit this agency and define its services. `agency` is an Agency or its id."""
    if is_platform_admin(user):
        return True
    agency_id = getattr(agency, "pk", agency)
    return is_agency_admin(user) and agency_id is not None and agency_id == user.agency_id


def can_manage_service(user: Any, service: Any) -> bool:
    return can_manage_agency(user, service.agency_id)


def can_manage_reference_data(user: Any) -> bool:
    """May change what every agency shares: agencies' codes, categories, centers."""
    return is_platform_admin(user)


def limit_to_agency(user: Any, queryset: QuerySet[M], *, field: str = "agency") -> QuerySet[M]:
    """The rows of `queryset` this user may administer, by their agency at `field`."""
    if is_platform_admin(user):
        return queryset
    if is_agency_admin(user):
        return queryset.filter(**{field: user.agency_id})
    return queryset.none()


# --- Service centers -----------------------------------------------------------------------

def can_manage_centers(user: Any) -> bool:
    return is_platform_admin(user) or is_center_manager(user)


def can_manage_center(user: Any, center: Any) -> bool:
    """May run this center (its hours, services and counters). `center` is a Center or its id."""
    if is_platform_admin(user):
        return True
    center_id = getattr(center, "pk", center)
    return is_center_manager(user) and center_id is not None and center_id == user.center_id


def limit_to_center(user: Any, queryset: QuerySet[M], *, field: str = "center") -> QuerySet[M]:
    if is_platform_admin(user):
        return queryset
    if is_center_manager(user):
        return queryset.filter(**{field: user.center_id})
    return queryset.none()


# --- Accounts ------------------------------------------------------------------------------

def can_manage_users(user: Any) -> bool:
    return is_platform_admin(user) or is_agency_admin(user) or is_center_manager(user)


def assignable_roles(user: Any) -> tuple[Role, ...]:
    """The staff roles this administrator may give, never one above their own."""
    if is_platform_admin(user):
        return _ASSIGNABLE_ROLES[Role.PLATFORM_ADMIN]
    if is_agency_admin(user):
        return _ASSIGNABLE_ROLES[Role.AGENCY_ADMIN]
    if is_center_manager(user):
        return _ASSIGNABLE_ROLES[Role.CENTER_MANAGER]
    return ()


def can_manage_user(user: Any, other: User) -> bool:
    """May edit `other`'s account: their unit's staff, in a role they could give themselves.

    Only a superuser edits a superuser: otherwise a platform administrator could take
    over an account with more power than their own by resetting its password.
    """
    if other.is_superuser and not (_active(user) and user.is_superuser):
        return False
    if is_platform_admin(user):
        return True
    if other.is_system:  # a key's account is managed on the keys page: revoked with its key
        return False
    if other.role not in assignable_roles(user):
        return False
    if is_agency_admin(user):
        return other.agency_id == user.agency_id
    if is_center_manager(user):
        return other.center_id == user.center_id
    return False


def limit_to_manageable_users(user: Any, queryset: QuerySet[User]) -> QuerySet[User]:
    if is_platform_admin(user):
        return queryset if user.is_superuser else queryset.filter(is_superuser=False)
    roles = [role.value for role in assignable_roles(user)]
    # Their staff lists hold people only: a key's system account shows on the keys page (0042).
    if is_agency_admin(user):
        return queryset.filter(PEOPLE, agency=user.agency_id, role__in=roles, is_superuser=False)
    if is_center_manager(user):
        return queryset.filter(PEOPLE, center=user.center_id, role__in=roles, is_superuser=False)
    return queryset.none()


# --- Messages -------------------------------------------------------------------------------

def can_read_sent_messages(user: Any) -> bool:
    return is_platform_admin(user)


# Roles that may read the platform's metrics at /metrics (docs/observability.md).
METRICS_ROLES = frozenset({Role.PLATFORM_ADMIN})


def metrics_viewer(user: Any) -> str:
    """For core.metrics: "allow" a platform administrator who gave the second factor, "forbid"
    (403) other staff, "hide" (404) from citizens, as every staff page does."""
    if not _active(user):
        return "hide"
    if user.role in METRICS_ROLES:
        return "allow" if second_factor_given(user) else "forbid"
    return "forbid" if user.role in STAFF_ROLES else "hide"
