"""People who use the platform: citizens (by mobile number) and staff (by role and unit)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The roles live in roles.py, for other apps to import; they are still importable from here.
from .roles import AGENCY_ROLES, CENTER_ROLES, SECOND_FACTOR_ROLES, STAFF_ROLES, Role

__all__ = ["AGENCY_ROLES", "CENTER_ROLES", "PEOPLE", "SECOND_FACTOR_ROLES", "STAFF_ROLES", "EnrolmentCode",
           "KnownNetwork", "PhoneCode", "Role", "User", "UserQuerySet"]


# Who is a person: every account but the system accounts API keys act through. The one rule
# that lists of staff (colleagues, supervisors, recipients, a centre's staff) apply (0042).
PEOPLE = Q(is_system=False)


class UserQuerySet(models.QuerySet["User"]):
    def people(self) -> UserQuerySet:
        """Accounts of people: never a key's system account, which acts but is no one to choose."""
        return self.filter(PEOPLE)


class KhedmatUserManager(UserManager["User"]):
    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def people(self) -> UserQuerySet:
        return self.get_queryset().people()

    def create_superuser(self, username: str, email: str | None = None, password: str | None = None,
                         **extra_fields: object) -> User:
        extra_fields.setdefault("role", Role.PLATFORM_ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """One account. Citizens sign in with their mobile number and an SMS code (their
    username is that number); staff sign in with a username, a password and TOTP."""

    username = models.CharField(_("username"), max_length=150, unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    phone_number = models.CharField(_("mobile number"), max_length=16, unique=True, null=True, blank=True)
    tazkira_number = models.CharField(_("Tazkira number"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CITIZEN)
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="staff", verbose_name=_("agency"))
    center = models.ForeignKey("centers.Center", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="staff", verbose_name=_("center"))
    preferred_language = models.CharField(_("language"), max_length=5, default="fa")
    is_staff = models.BooleanField(_("staff status"), default=False,
                                   help_text=_("Can sign in to the administration site."))
    is_active = models.BooleanField(_("active"), default=True)
    # Set once, at creation: the account an API key acts through (api.services.api_key_create).
    is_system = models.BooleanField(
        _("system account"), default=False, editable=False,
        help_text=_("An agency's system acts through it (an API key), not a person: it is never listed or "
                    "chosen as staff."))
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # Wrong second-factor codes since the last right one, kept across sign-ins: a right
    # password must not give a guesser a fresh set of tries (docs/decisions/0015).
    second_factor_failures = models.PositiveIntegerField(_("wrong second-factor codes"), default=0)
    second_factor_locked_until = models.DateTimeField(_("second factor locked until"), null=True, blank=True)

    objects = KhedmatUserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []  # Django reads it as a class attribute

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="agency_staff_belong_to_an_agency",
                condition=~Q(role__in=sorted(r.value for r in AGENCY_ROLES)) | Q(agency__isnull=False),
            ),
            models.CheckConstraint(
                name="center_staff_belong_to_a_center",
                condition=~Q(role__in=sorted(r.value for r in CENTER_ROLES)) | Q(center__isnull=False),
            ),
            models.CheckConstraint(
                name="citizens_have_a_mobile_number",
                condition=~Q(role="citizen") | Q(phone_number__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name or self.username

    @property
    def is_citizen(self) -> bool:
        return self.role == Role.CITIZEN

    @property
    def needs_second_factor(self) -> bool:
        return self.role in SECOND_FACTOR_ROLES


class PhoneCode(models.Model):
    """A one-time code sent by SMS to prove a citizen holds a mobile number.

    Only a hash of the code is kept; a code dies when used, when it expires or after
    too many wrong guesses.
    """

    phone_number = models.CharField(max_length=16, db_index=True)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")

    def __str__(self) -> str:
        return f"code for {self.phone_number}"


class EnrolmentCode(models.Model):
    """A one-time code an administrator gives a staff member to set up their authenticator app.

    Without one, knowing a password is not enough to enrol a new authenticator (and so to
    take an account that has none). Only a keyed hash is kept; a code dies when used, when
    it expires, or when a newer one is issued.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrolment_codes")
    code_hash = models.CharField(max_length=64)
    issued_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("set-up code")
        verbose_name_plural = _("set-up codes")
        indexes = [models.Index(fields=["user", "code_hash"], name="enrolment_code_lookup")]

    def __str__(self) -> str:
        return f"set-up code for user {self.user_id}"


class KnownNetwork(models.Model):
    """A network (/24 or /64) a staff account signed in from: a stranger elsewhere who fills
    the account's lock does not lock it here (docs/decisions/0015)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="known_networks")
    network = models.CharField(max_length=50)
    first_used_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("known network")
        verbose_name_plural = _("known networks")
        constraints = [models.UniqueConstraint(fields=["user", "network"], name="one_row_per_known_network")]

    def __str__(self) -> str:
        return self.network
