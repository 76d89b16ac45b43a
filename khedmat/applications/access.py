"""Who may see a file, and the view decorators of the back office.

`can_view_application` is the one object-level check for every page and download that
shows a file: the applicant, the staff of the responsible agency, and the operator who
filed it for the applicant. Anyone else gets a 404, never a hint that the file exists.
"""

from __future__ import annotations

from typing import Any

from khedmat.accounts.gates import second_factor_given, staff_page
from khedmat.accounts.roles import AGENCY_ROLES, STAFF_ROLES, Role

from .models import Application


def _active(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


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


def _is_staff(user: Any) -> bool:
    return user.role in STAFF_ROLES


def _is_agency_staff(user: Any) -> bool:
    return user.role in AGENCY_ROLES and user.agency_id is not None


def _is_agency_supervisor(user: Any) -> bool:
    return user.role == Role.AGENCY_ADMIN and user.agency_id is not None


# Any staff role, second factor given when the role demands it.
staff_required = staff_page(_is_staff)
# Officers, approvers and agency administrators of an agency: the back office.
agency_staff_required = staff_page(_is_agency_staff)
# The agency's supervisors (agency administrators): the workload of their own agency.
agency_supervisor_required = staff_page(_is_agency_supervisor)
