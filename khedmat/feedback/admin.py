"""Ratings in the administration site, read-only: an agency's administrators see their
agency's ratings, a center manager their center's, a platform administrator all."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from khedmat.accounts import permissions
from khedmat.core.admin import ScopedModelAdmin

from .models import Rating


@admin.register(Rating)
class RatingAdmin(ScopedModelAdmin):
    list_display = ("created_at", "score", "reason", "service", "center", "counter", "channel")
    list_select_related = ("service__agency", "service__current_version", "center", "counter__center")
    list_filter = ("score", "reason", "channel")
    date_hierarchy = "created_at"
    readonly_fields = ("ticket", "center", "service", "agency", "counter", "score", "reason", "comment", "channel",
                       "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Rating]:
        ratings = super().get_queryset(request)
        user = request.user
        if permissions.is_platform_admin(user):
            return ratings
        if permissions.is_agency_admin(user):
            return permissions.limit_to_agency(user, ratings)
        if permissions.is_center_manager(user):
            return permissions.limit_to_center(user, ratings)
        return ratings.none()

    def _may_read(self, request: HttpRequest) -> bool:
        user = request.user
        return (permissions.is_platform_admin(user) or permissions.is_agency_admin(user)
                or permissions.is_center_manager(user))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_read(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may_read(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
