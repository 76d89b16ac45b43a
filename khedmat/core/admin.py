"""Plumbing shared by the domain apps' admin classes, and the holiday calendar's admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse

from .models import Holiday


class ScopedModelAdmin(admin.ModelAdmin):
    """An admin whose `get_queryset` is limited to what the user may administer.

    A row outside that scope does not exist for the user: its pages answer 404, where
    Django would redirect with a message that confirms the row exists.
    """

    def object_or_404(self, request: HttpRequest, object_id: str) -> Model:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        return obj

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        self.object_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request: HttpRequest, object_id: str,
                     extra_context: dict[str, Any] | None = None) -> HttpResponse:
        self.object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request: HttpRequest, object_id: str,
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        self.object_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    """Public holidays: every time standard and appointment calendar counts them out.
    Only platform administrators (superusers) may change them."""

    list_display = ("date", "name_en", "name_fa", "name_ps")
    date_hierarchy = "date"
    search_fields = ("name_en", "name_fa", "name_ps")
