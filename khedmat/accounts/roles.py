"""The roles people hold and the groups of them that rules refer to.

A module of its own so that other apps check a role without importing the accounts models.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    OPERATOR = "operator", _("Center operator")
    OFFICER = "officer", _("Agency officer")
    APPROVER = "approver", _("Agency approver")
    CENTER_MANAGER = "center_manager", _("Center manager")
    AGENCY_ADMIN = "agency_admin", _("Agency administrator")
    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")


AGENCY_ROLES = frozenset({Role.OFFICER, Role.APPROVER, Role.AGENCY_ADMIN})
CENTER_ROLES = frozenset({Role.OPERATOR, Role.CENTER_MANAGER})
STAFF_ROLES = AGENCY_ROLES | CENTER_ROLES | {Role.PLATFORM_ADMIN}
# Roles that must confirm every sign-in with a second factor (TOTP).
SECOND_FACTOR_ROLES = frozenset({
    Role.OFFICER, Role.APPROVER, Role.CENTER_MANAGER, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN,
})
