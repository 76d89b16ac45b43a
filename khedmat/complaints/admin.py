"""Complaint time standards per agency in the administration site: platform administrators
set any agency's, an agency's administrators see and change their own."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from khedmat.accounts import permissions
from khedmat.core.admin import ScopedModelAdmin

from .models import ComplaintPolicy
from .services import complaint_policy_set


@admin.register(ComplaintPolicy)
class ComplaintPolicyAdmin(ScopedModelAdmin):
    list_display = ("agency", "standard_days", "investigation_days")
    list_select_related = ("agency",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ComplaintPolicy]:
        policies = super().get_queryset(request)
        user = request.user
        if permissions.is_platform_admin(user):
            return policies
        if permissions.is_agency_admin(user):
            return permissions.limit_to_agency(user, policies)
        return policies.none()

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple[str, ...]:
        # An agency's administrators change their standards, never whose they are.
        return ("agency",) if obj is not None or not permissions.is_platform_admin(request.user) else ()

    def _may(self, request: HttpRequest) -> bool:
        return permissions.is_platform_admin(request.user) or permissions.is_agency_admin(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return permissions.is_platform_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return permissions.is_platform_admin(request.user)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Through the service (audited); the form and the table's constraint checked the numbers."""
        policy = complaint_policy_set(agency=obj.agency, standard_days=obj.standard_days,
                                      investigation_days=obj.investigation_days, actor=request.user,  # type: ignore[arg-type]
                                      request=request)
        obj.pk = policy.pk
