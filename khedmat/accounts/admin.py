"""Accounts in the administration site.

A platform administrator manages every account; an agency administrator the staff of
their own agency, a center manager the staff of their own center, and neither can give a
role above their own (`permissions.assignable_roles`). Who may open the admin follows
from the role (`permissions.grants_admin_site`), so `is_staff` is never set by hand.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm, UsernameField
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from khedmat.core.admin import ScopedModelAdmin

from . import permissions
from .models import AGENCY_ROLES, CENTER_ROLES, Role, User
from .phone import normalize_mobile_number
from .services import staff_user_create

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
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {"username": UsernameField}

    def clean_phone_number(self) -> str | None:
        raw = self.cleaned_data.get("phone_number")
        return normalize_mobile_number(raw) if raw else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_role_and_unit()
        return cleaned


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
    readonly_fields = ("is_staff", "last_login", "date_joined")
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        (_("Person"), {"fields": ("full_name", "email")}),
        (_("Role"), {"fields": ("role", "agency", "center")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return permissions.limit_to_manageable_users(request.user, super().get_queryset(request))

    def get_list_filter(self, request: HttpRequest) -> tuple[Any, ...]:
        if permissions.is_platform_admin(request.user):
            return (RoleFilter, "is_active", "agency", "center")
        return (RoleFilter, "is_active")

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> Any:
        if obj is None:
            return [(name, {**options, "fields": self._unit_fields(request, options["fields"])})
                    for name, options in self.add_fieldsets]
        status: tuple[str, ...] = ("is_active", "is_staff")
        if request.user.is_superuser:
            status += ("is_superuser", "groups", "user_permissions")
        return (
            (None, {"fields": ("username", "password")}),
            (_("Person"), {"fields": ("full_name", "email", "phone_number", "tazkira_number",
                                      "preferred_language")}),
            (_("Role"), {"fields": self._unit_fields(request, ("role", "agency", "center"))}),
            (_("Status"), {"fields": status}),
            (_("Dates"), {"fields": ("last_login", "date_joined")}),
        )

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
        return staff_user_create(
            username=data["username"], password=data["password1"], role=role,
            agency=data.get("agency") if role in AGENCY_ROLES else None,
            center=data.get("center") if role in CENTER_ROLES else None,
            full_name=data.get("full_name", ""), email=data.get("email", ""),
            is_staff=permissions.grants_admin_site(role),
            # Only a superuser makes another: a platform administrator otherwise creates an equal.
            is_superuser=role == Role.PLATFORM_ADMIN and request.user.is_superuser,
        )

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool) -> None:
        if not change:
            return  # created by `staff_user_create` in save_form
        obj.is_staff = permissions.grants_admin_site(obj.role) or obj.is_superuser
        obj.save()

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)

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
