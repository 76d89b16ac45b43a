"""Plumbing shared by the domain apps' admin classes, and the holiday calendar's admin."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import models
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse

from .models import Holiday
from .parsing import parse_int_or_none

_LARGEST_KEY = 2**63 - 1


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A many-to-many choice whose integer keys are read before the database sees them.

    Django checks the chosen keys with an `__in` query, which SQLite cannot bind for a number
    beyond 64 bits (a server error): such a key is an invalid choice, like any unknown one.
    """

    def clean(self, value: Any) -> Any:
        pk = self.queryset.model._meta.pk if self.queryset is not None else None
        if isinstance(pk, models.AutoField | models.BigAutoField | models.IntegerField):
            for each in value if isinstance(value, list | tuple) else [value]:
                if each not in (None, "") and parse_int_or_none(each, maximum=_LARGEST_KEY) is None:
                    raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                                params={"value": str(each)[:40]})
        return super().clean(value)


class ScopedModelAdmin(admin.ModelAdmin):
    """An admin whose `get_queryset` is limited to what the user may administer.

    A row outside that scope does not exist for the user: its pages answer 404, where
    Django would redirect with a message that confirms the row exists.
    """

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs.setdefault("form_class", BoundedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

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
