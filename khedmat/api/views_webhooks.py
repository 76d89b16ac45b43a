"""The agency administrator's pages of webhooks: subscribe (the secret shown once), see them,
send a test event, rotate the secret, disable, enable, delete, and read the delivery log.
Another agency's webhook is not found; a form posted twice makes one subscription."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from khedmat.catalog import selectors as catalog_selectors
from khedmat.core.errors import Refusal

from . import selectors, webhooks
from .models import EventType, WebhookSubscription
from .views_staff import agency_admin_required

_FORM_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def new_form_token() -> str:
    """A fresh one-time key, in a hidden field each time the form is shown (a double post of
    the same form gives back the subscription the first one made)."""
    return secrets.token_urlsafe(24)


class WebhookForm(forms.Form):
    url = forms.CharField(label=gettext_lazy("Address that receives the events (https://…)"), max_length=500,
                          widget=forms.TextInput(attrs={"inputmode": "url", "dir": "ltr", "autocomplete": "off"}))
    events = forms.MultipleChoiceField(label=gettext_lazy("Events"), widget=forms.CheckboxSelectMultiple,
                                       choices=[(value, label) for value, label in EventType.choices
                                                if value != EventType.WEBHOOK_TEST])
    services = forms.MultipleChoiceField(label=gettext_lazy("Only these services (none: all)"), required=False,
                                         widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, agency_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service_objects = {str(service.pk): service for service in
                                catalog_selectors.services_with_a_version(agency_id=agency_id)}
        self.fields["services"].choices = [  # type: ignore[attr-defined]
            (pk, service.current_version.name if service.current_version else service.slug)
            for pk, service in self.service_objects.items()]


def _own(request: HttpRequest, public_id: uuid.UUID) -> WebhookSubscription:
    user: Any = request.user
    found = selectors.webhook_of_agency(agency_id=user.agency_id, public_id=public_id)
    if found is None:
        raise Http404
    return found


def _list_page(request: HttpRequest, form: WebhookForm, token: str, *, secret: str = "",
               made: WebhookSubscription | None = None, status: int = 200) -> HttpResponse:
    user: Any = request.user
    return render(request, "api/webhooks.html", {
        "form": form, "form_token": token, "secret": secret, "made": made,
        "subscriptions": selectors.webhooks_of(agency_id=user.agency_id),
        "labels": dict(EventType.choices)}, status=status)


@never_cache
@agency_admin_required
@require_http_methods(["GET", "POST"])
def webhook_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if request.method == "GET":
        return _list_page(request, WebhookForm(agency_id=user.agency_id), new_form_token())
    form = WebhookForm(request.POST, agency_id=user.agency_id)
    token = str(request.POST.get("form_token", ""))
    token = token if _FORM_TOKEN.match(token) else new_form_token()
    if not form.is_valid():
        return _list_page(request, form, token, status=422)
    try:
        made = webhooks.webhook_subscribe(
            agency=user.agency, url=form.cleaned_data["url"], event_types=form.cleaned_data["events"],
            services=[form.service_objects[pk] for pk in form.cleaned_data["services"]], created_by=user,
            creation_key=token, request=request)
    except Refusal as refusal:
        form.add_error("url" if refusal.code.startswith("url") else None, refusal.message)
        return _list_page(request, form, token, status=422)
    # The answer holds the secret: shown now (and to a second post of this same form), never again.
    return _list_page(request, WebhookForm(agency_id=user.agency_id), new_form_token(), secret=made.secret,
                      made=made.subscription)


@never_cache
@agency_admin_required
@require_http_methods(["GET"])
def webhook_detail(request: HttpRequest, public_id: uuid.UUID, secret: str = "") -> HttpResponse:
    found = _own(request, public_id)
    return render(request, "api/webhook.html", {
        "subscription": found, "secret": secret, "labels": dict(EventType.choices),
        "deliveries": selectors.webhook_deliveries(subscription=found)})


@agency_admin_required
@require_POST
def webhook_test(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    found = _own(request, public_id)
    try:
        webhooks.webhook_test_send(subscription=found, actor=request.user, request=request)  # type: ignore[arg-type]
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("A test event was sent; its delivery is at the top of the log."))
    return redirect("api:webhook", public_id=found.public_id)


@never_cache
@agency_admin_required
@require_POST
def webhook_rotate(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    found = _own(request, public_id)
    secret = webhooks.webhook_secret_rotate(subscription=found, actor=request.user,  # type: ignore[arg-type]
                                            request=request)
    return render(request, "api/webhook.html", {
        "subscription": found, "secret": secret, "labels": dict(EventType.choices),
        "deliveries": selectors.webhook_deliveries(subscription=found)})


@agency_admin_required
@require_POST
def webhook_disable(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    found = _own(request, public_id)
    webhooks.webhook_disable(subscription=found, actor=request.user,  # type: ignore[arg-type]
                             reason=_("Disabled by %(name)s") % {"name": request.user.get_username()},
                             request=request)
    messages.success(request, _("The webhook is disabled: nothing more is sent to it."))
    return redirect("api:webhook", public_id=found.public_id)


@agency_admin_required
@require_POST
def webhook_enable(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    found = _own(request, public_id)
    try:
        webhooks.webhook_enable(subscription=found, actor=request.user, request=request)  # type: ignore[arg-type]
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The webhook is enabled: new events are sent to it."))
    return redirect("api:webhook", public_id=found.public_id)


@agency_admin_required
@require_POST
def webhook_delete(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    found = _own(request, public_id)
    webhooks.webhook_delete(subscription=found, actor=request.user, request=request)  # type: ignore[arg-type]
    messages.success(request, _("The webhook and its delivery log are deleted."))
    return redirect("api:webhooks")
