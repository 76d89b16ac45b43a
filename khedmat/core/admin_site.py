"""The administration site: Django's, with the rows an action names checked first.

A changelist's action (delete, export, revoke…) names its rows in `_selected_action`, and
Django filters `pk__in=` them as given: an empty or non-numeric value raised ValueError, a
number beyond the column's range a database error — server errors for any staff member who
edits the form. Values that cannot name a row of the model are dropped here, for every
model admin (ours and third parties'), before the action runs; with none left, Django says
that items must be selected.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse

# The widest primary key the database holds (a bigint).
_LARGEST_KEY = 2**63 - 1


class KhedmatAdminSite(admin.AdminSite):
    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        model_admin = getattr(view, "__self__", None)
        if isinstance(model_admin, admin.ModelAdmin) and getattr(view, "__name__", "") == "changelist_view":
            view = _with_rows_that_exist(view, model_admin.model._meta.pk)
        return super().admin_view(view, cacheable)


def _with_rows_that_exist(view: Any, key: models.Field[Any, Any]) -> Any:
    @functools.wraps(view)
    def changelist(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST" and helpers.ACTION_CHECKBOX_NAME in request.POST:
            selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
            kept = [value for value in selected if _names_a_row(key, value)]
            if len(kept) != len(selected):
                post = request.POST.copy()
                post.setlist(helpers.ACTION_CHECKBOX_NAME, kept)
                request.POST = post  # type: ignore[assignment]
        result: HttpResponse = view(request, *args, **kwargs)
        return result

    return changelist


def _names_a_row(key: models.Field[Any, Any], value: str) -> bool:
    """Whether `value` could be the primary key of a row: of the key's type, within its range."""
    if "\x00" in value:
        return False
    try:
        parsed = key.to_python(value)
    except ValidationError:
        return False
    if isinstance(key, models.IntegerField):
        return isinstance(parsed, int) and -_LARGEST_KEY - 1 <= parsed <= _LARGEST_KEY
    return parsed is not None
