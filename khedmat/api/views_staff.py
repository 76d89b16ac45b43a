"""The agency administrator's page of API keys: make one (shown once), see them, revoke one."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from khedmat.accounts.gates import staff_page
from khedmat.accounts.roles import Role
from khedmat.catalog import selectors as catalog_selectors

from . import selectors, services
from .models import Scope


def _is_agency_admin(user: Any) -> bool:
    return user.role == Role.AGENCY_ADMIN and user.agency_id is not None


agency_admin_required = staff_page(_is_agency_admin, audience=gettext_lazy("agency administrators"))


class KeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of the system"), max_length=100)
    scopes = forms.MultipleChoiceField(label=gettext_lazy("What it may do"), choices=Scope.choices,
                                       widget=forms.CheckboxSelectMultiple)
    acts_as = forms.ChoiceField(label=gettext_lazy("Acts in the workflow as"),
                                choices=[(Role.OFFICER.value, Role.OFFICER.label),
                                         (Role.APPROVER.value, Role.APPROVER.label)])
    services = forms.MultipleChoiceField(label=gettext_lazy("Only these services (none: all)"), required=False,
                                         widget=forms.CheckboxSelectMultiple)
    days = forms.IntegerField(label=gettext_lazy("Valid for (days)"), min_value=1, max_value=730, initial=365)

    def __init__(self, *args: Any, agency_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service_objects = {str(service.pk): service for service in
                                catalog_selectors.services_with_a_version(agency_id=agency_id)}
        self.fields["services"].choices = [  # type: ignore[attr-defined]
            (pk, service.current_version.name if service.current_version else service.slug)
            for pk, service in self.service_objects.items()]


@never_cache
@agency_admin_required
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = KeyForm(request.POST or None, agency_id=user.agency_id)
    token = ""
    if request.method == "POST" and form.is_valid():
        try:
            made = services.api_key_create(
                agency=user.agency, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"],
                acts_as=form.cleaned_data["acts_as"], days=form.cleaned_data["days"], created_by=user,
                services=[form.service_objects[pk] for pk in form.cleaned_data["services"]], request=request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            token = made.token
            form = KeyForm(agency_id=user.agency_id)
    return render(request, "api/keys.html", {"form": form, "token": token,
                                             "keys": selectors.api_keys_of(agency=user.agency)},
                  status=422 if request.method == "POST" and not token else 200)


@agency_admin_required
@require_POST
def api_key_revoke_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user: Any = request.user
    key = selectors.api_key_of_agency(agency=user.agency, public_id=str(public_id))
    if key is None:
        raise Http404
    services.api_key_revoke(key=key, actor=user, request=request)
    messages.success(request, _("The key is revoked: calls with it are refused from now on."))
    return redirect("api:keys")
