"""Accounts in the administration site.

A platform administrator manages every account; an agency administrator the staff of
their own agency, a center manager the staff of their own center, and neither can give a
role above their own (`permissions.assignable_roles`). Who may open the admin follows
from the role (`permissions.grants_admin_site`), so `is_staff` is never set by hand.

Changing a role, unit or status needs a reason and is audited (`staff_assignment_change`).
Second factors are never edited as rows: an account's "Second factor" page issues a
set-up code or resets the factor, each an audited service; authenticators are listed
read-only (django-otp's own editing admins are taken away).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm, UsernameField
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from khedmat.core.admin import ScopedModelAdmin
from khedmat.core.public import public_url

from . import permissions, selectors, services
from .models import AGENCY_ROLES, CENTER_ROLES, Role, User
from .phone import normalize_mobile_number

admin.site.site_header = _("Asan Khedmat administration")
admin.site.site_title = _("Asan Khedmat administration")
admin.site.index_title = _("What you administer")


class _RoleUnitMixin:
    """An agency role needs an agency, a center role a center; neither belongs to the other."""

    def clean_role_and_unit(self: Any) -> None:
        role = self.cleaned_data.get("role")
        agency = self.cleaned_data.get("agency")
        center = self.cleaned_data.get("center")
        if role in AGENCY_ROLES and agency is None:
            self.add_error("agency", gettext("This role works for an agency: choose the agency."))
        if role in CENTER_ROLES and center is None:
            self.add_error("center", gettext("This role works at a service center: choose the center."))
        if role not in AGENCY_ROLES and agency is not None:
            self.cleaned_data["agency"] = None
        if role not in CENTER_ROLES and center is not None:
            self.cleaned_data["center"] = None


class StaffCreationForm(_RoleUnitMixin, UserCreationForm):
    class Meta:
        model = User
        fields = ("username", "full_name", "email", "role", "agency", "center")
        field_classes = {"username": UsernameField}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_role_and_unit()
        return cleaned


class StaffChangeForm(_RoleUnitMixin, UserChangeForm):
    change_reason = forms.CharField(
        label=_("Reason for the change"), max_length=300, required=False,
        help_text=_("Needed when you change the role, the agency, the center or whether the account is active. "
                    "It is kept in the audit trail with who changed what."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = User
        exclude = ("second_factor_failures", "second_factor_locked_until")
        field_classes = {"username": UsernameField}

    def clean_phone_number(self) -> str | None:
        raw = self.cleaned_data.get("phone_number")
        return normalize_mobile_number(raw) if raw else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_role_and_unit()
        # Before the form writes into the instance, it still holds the values as they were.
        self.assignment_changes = {
            field: cleaned[field] for field in services.ASSIGNMENT_FIELDS
            if field in self.fields and field in cleaned and cleaned[field] != getattr(self.instance, field)
        }
        if self.assignment_changes and not " ".join(cleaned.get("change_reason", "").split()):
            self.add_error("change_reason", gettext("Say why the role, unit or status changes: it is kept in the "
                                                    "audit trail."))
        return cleaned


class SecondFactorForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=300, required=False,
        help_text=_("Kept in the audit trail. Required to reset a second factor, for example: lost phone."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RoleFilter(admin.SimpleListFilter):
    """The roles the viewer may give, not every role there is."""

    title = _("role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        roles = list(permissions.assignable_roles(request.user))
        if permissions.is_platform_admin(request.user):
            roles.insert(0, Role.CITIZEN)
        return [(role.value, role.label) for role in roles]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        return queryset.filter(role=self.value()) if self.value() else queryset


@admin.register(User)
class UserAdmin(ScopedModelAdmin, BaseUserAdmin):
    form = StaffChangeForm
    add_form = StaffCreationForm
    list_display = ("username", "full_name", "role", "agency", "center", "is_active", "last_login")
    list_select_related = ("agency", "center")
    search_fields = ("username", "full_name", "phone_number", "email")
    ordering = ("username",)
    readonly_fields = ("is_staff", "last_login", "date_joined", "second_factor_summary")
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        (_("Person"), {"fields": ("full_name", "email")}),
        (_("Role"), {"fields": ("role", "agency", "center")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return permissions.limit_to_manageable_users(request.user, super().get_queryset(request))

    def get_list_filter(self, request: HttpRequest) -> tuple[Any, ...]:
        if permissions.is_platform_admin(request.user):
            return (RoleFilter, "is_active", "is_system", "agency", "center")
        return (RoleFilter, "is_active")

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> Any:
        if obj is None:
            return [(name, {**options, "fields": self._unit_fields(request, options["fields"])})
                    for name, options in self.add_fieldsets]
        status: tuple[str, ...] = ("is_active", "is_staff")
        if request.user.is_superuser:
            status += ("is_superuser", "groups", "user_permissions")
        fieldsets: list[tuple[Any, dict[str, Any]]] = [
            (None, {"fields": ("username", "password")}),
            (_("Person"), {"fields": ("full_name", "email", "phone_number", "tazkira_number",
                                      "preferred_language")}),
            (_("Role"), {"fields": self._unit_fields(request, ("role", "agency", "center"))}),
            (_("Status"), {"fields": status}),
        ]
        if not obj.is_citizen:
            fieldsets.append((_("Second factor"), {"fields": ("second_factor_summary",)}))
        fieldsets += [
            (_("Dates"), {"fields": ("last_login", "date_joined")}),
            (_("Reason for the change"), {"fields": ("change_reason",)}),
        ]
        return fieldsets

    @admin.display(description=_("Second factor"))
    def second_factor_summary(self, obj: User) -> str:
        status = selectors.second_factor_status(user=obj)
        if not status.needed:
            state = gettext("Not needed for this role.")
        elif status.locked_until is not None:
            state = gettext("Locked after wrong codes.")
        elif status.has_authenticator:
            state = ngettext("Authenticator app set up; %(count)s recovery code left.",
                             "Authenticator app set up; %(count)s recovery codes left.",
                             status.recovery_codes_left) % {"count": status.recovery_codes_left}
        elif status.enrolment_code_expires is not None:
            state = gettext("Waiting for the set-up code to be used.")
        else:
            state = gettext("No authenticator app: this person cannot sign in until you issue a set-up code.")
        url = reverse("admin:accounts_user_second_factor", args=[obj.pk])
        return format_html('{} <a href="{}">{}</a>', state, url, gettext("Manage the second factor"))

    @staticmethod
    def _unit_fields(request: HttpRequest, fields: tuple[str, ...]) -> tuple[str, ...]:
        """An agency administrator places people in their agency, a center manager in their center."""
        if permissions.is_platform_admin(request.user):
            return fields
        hidden = "center" if permissions.is_agency_admin(request.user) else "agency"
        return tuple(field for field in fields if field != hidden)

    def get_form(self, request: HttpRequest, obj: User | None = None, change: bool = False,
                 **kwargs: Any) -> type[forms.ModelForm]:
        form = super().get_form(request, obj, change=change, **kwargs)
        user = request.user
        roles = list(permissions.assignable_roles(user))
        if obj is not None and obj.role == Role.CITIZEN and permissions.is_platform_admin(user):
            roles.insert(0, Role.CITIZEN)
        fields: dict[str, Any] = form.base_fields
        if "role" in fields:
            fields["role"].choices = [(role.value, role.label) for role in roles]
            if obj is None and roles:
                fields["role"].initial = roles[0].value
        own_unit_only = not permissions.is_platform_admin(user)
        if "agency" in fields:
            # The foreign key's own choices: accounts imports neither the catalog nor the centers.
            fields["agency"].queryset = permissions.limit_to_agency(user, fields["agency"].queryset, field="pk")
            if own_unit_only:
                fields["agency"].initial = getattr(user, "agency_id", None)
                fields["agency"].empty_label = None
        if "center" in fields:
            fields["center"].queryset = permissions.limit_to_center(user, fields["center"].queryset, field="pk")
            if own_unit_only:
                fields["center"].initial = getattr(user, "center_id", None)
                fields["center"].empty_label = None
        return form

    def save_form(self, request: HttpRequest, form: forms.ModelForm, change: bool) -> User:
        if change:
            return super().save_form(request, form, change)
        data = form.cleaned_data
        role = Role(data["role"])
        return services.staff_user_create(
            username=data["username"], password=data["password1"], role=role,
            agency=data.get("agency") if role in AGENCY_ROLES else None,
            center=data.get("center") if role in CENTER_ROLES else None,
            full_name=data.get("full_name", ""), email=data.get("email", ""),
            is_staff=permissions.grants_admin_site(role),
            # Only a superuser makes another: a platform administrator otherwise creates an equal.
            is_superuser=role == Role.PLATFORM_ADMIN and request.user.is_superuser,
            created_by=request.user if isinstance(request.user, User) else None, request=request,
        )

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool) -> None:
        if not change:
            return  # created by `staff_user_create` in save_form
        changes = getattr(form, "assignment_changes", {})
        # The person's details are saved here; role, unit and status only through the service,
        # which records before → after and the reason.
        details = [name for name in form.changed_data
                   if name in form.fields and name not in services.ASSIGNMENT_FIELDS
                   and name not in ("change_reason", "password", "groups", "user_permissions")]
        if details:
            obj.save(update_fields=details)
        if changes:
            services.staff_assignment_change(
                user=obj, changed_by=request.user if isinstance(request.user, User) else None,
                reason=form.cleaned_data.get("change_reason", ""), request=request, **changes)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)

    def get_urls(self) -> list[URLPattern]:
        own = [path("<path:object_id>/second-factor/", self.admin_site.admin_view(self.second_factor_view),
                    name="accounts_user_second_factor")]
        return own + super().get_urls()

    def second_factor_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """An account's second factor: its state, and issuing a set-up code or resetting it."""
        user = self.object_or_404(request, object_id)
        assert isinstance(user, User)
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        own_account = user.pk == request.user.pk
        form = SecondFactorForm(request.POST if request.method == "POST" else None)
        issued = None
        if request.method == "POST" and not own_account and user.needs_second_factor and form.is_valid():
            manager = request.user if isinstance(request.user, User) else None
            reason = form.cleaned_data["reason"]
            try:
                if request.POST.get("action") == "reset":
                    issued = services.staff_second_factor_reset(user=user, reset_by=manager, reason=reason,
                                                                request=request)
                else:
                    issued = services.staff_enrolment_code_issue(user=user, issued_by=manager, reason=reason,
                                                                 request=request)
            except ValidationError as error:
                form.add_error(None, error.messages)
        link = ""
        if issued is not None:
            with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
                link = public_url(reverse("accounts:staff_enrol_link", args=[issued.code]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": user,
            "title": gettext("Second factor of %(name)s") % {"name": user.get_short_name()},
            "status": selectors.second_factor_status(user=user),
            "known_networks": selectors.known_networks(user=user),
            "form": form,
            "issued": issued,
            "link": link,
            "own_account": own_account,
        }
        return TemplateResponse(request, "admin/accounts/user/second_factor.html", context)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_users(request.user)

    def has_view_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if obj is None:
            return permissions.can_manage_users(request.user)
        return permissions.can_manage_user(request.user, obj)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_users(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Accounts are deactivated, not deleted: their past actions stay attributed.
        return bool(request.user.is_superuser)


# django-otp registers admins that edit devices, keys included: a second factor changes only
# through the services above. Authenticators stay visible, read-only.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)


@admin.register(TOTPDevice)
class AuthenticatorAdmin(admin.ModelAdmin):
    """Who has an authenticator app, since when and when last used; never its key."""

    list_display = ("user", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    list_select_related = ("user",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields
    search_fields = ("user__username", "user__full_name")

    def get_queryset(self, request: HttpRequest) -> QuerySet[TOTPDevice]:
        users = permissions.limit_to_manageable_users(request.user, User.objects.all())
        return super().get_queryset(request).filter(user__in=users)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_users(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.can_manage_users(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
