"""The outbox and the message wordings in the administration site.

The outbox (messages by status, gateway and day; search by phone or reference; each message's
history; retry of failed ones) is for platform administrators. Wordings are edited by
platform administrators for everyone and by agency administrators for their own agency.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from khedmat.accounts import permissions
from khedmat.accounts.phone import normalize_mobile_number
from khedmat.core.admin import ScopedModelAdmin

from . import message_templates
from .models import FAILED_STATUSES, GatewayHealth, InboundMessage, Message, MessageStatusChange, MessageTemplate
from .services import message_retry, wordings_changed
from .sms.encoding import sms_length

_LONG_NUMBER = re.compile(r"\d{4,}")
LANGUAGE_CHOICES = [("en", "English"), ("fa", "دری"), ("ps", "پښتو")]


def _masked(message: Message) -> str:
    # A one-time code stays secret even from administrators: it would open an account.
    if message.sensitive:
        return _LONG_NUMBER.sub(lambda match: "•" * len(match.group()), message.body)
    return message.body


class _PlatformOnly(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.can_read_sent_messages(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.can_read_sent_messages(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MessageHistoryInline(admin.TabularInline):
    model = MessageStatusChange
    fields = ("at", "status", "gateway", "detail")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("history")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(_PlatformOnly):
    list_display = ("created_at", "to", "template", "reference", "language", "status", "gateway", "attempts",
                    "delivered_at")
    list_filter = ("status", "gateway", "template", "language")
    date_hierarchy = "created_at"
    search_fields = ("to", "reference")
    ordering = ("-created_at", "-id")
    fields = ("to", "language", "template", "reference", "agency", "text", "status", "status_detail", "gateway",
              "gateway_reference", "attempts", "created_at", "next_attempt_at", "give_up_at", "handed_over_at",
              "accepted_at", "delivered_at", "failed_at", "claimed_by", "lease_until", "idempotency_key")
    readonly_fields = fields
    inlines = [MessageHistoryInline]
    actions = ["retry"]
    list_per_page = 50
    show_full_result_count = False  # counting a large outbox on every page costs more than it tells

    @admin.display(description=_("text"))
    def text(self, message: Message) -> str:
        return _masked(message)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Message],
                           search_term: str) -> tuple[QuerySet[Message], bool]:
        """A phone number is found however it is typed (0700…, +93…, Eastern digits)."""
        term = search_term.strip()
        try:
            phone = normalize_mobile_number(term) if term else ""
        except ValidationError:
            phone = ""
        if phone:
            return queryset.filter(to=phone), False
        if term:
            return queryset.filter(reference__iexact=term) | queryset.filter(to=term), False
        return queryset, False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse) and response.context_data and "cl" in response.context_data:
            shown = response.context_data["cl"].queryset.order_by()
            response.context_data["by_status"] = list(
                shown.values("status", "gateway").annotate(count=Count("id")).order_by("status", "gateway"))
        return response

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return permissions.can_read_sent_messages(request.user)

    @admin.action(description=_("Send the selected failed messages again"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        failed = list(queryset.filter(status__in=FAILED_STATUSES))
        for message in failed:
            message_retry(message=message, actor=request.user)
        self.message_user(request, ngettext("%(count)d message will be sent again.",
                                            "%(count)d messages will be sent again.", len(failed))
                          % {"count": len(failed)}, messages.SUCCESS)


@admin.register(GatewayHealth)
class GatewayHealthAdmin(_PlatformOnly):
    list_display = ("name", "failures_in_row", "resting_until", "last_success_at", "last_receipt_at",
                    "awaiting_receipt_since", "last_failure_at", "last_error")


@admin.register(InboundMessage)
class InboundMessageAdmin(_PlatformOnly):
    list_display = ("received_at", "sender", "text", "keyword", "gateway", "reply")
    search_fields = ("sender",)
    date_hierarchy = "received_at"


# --- wordings ---------------------------------------------------------------------------------

def _length_text(text: str) -> str:
    length = sms_length(text)
    return str(_("%(encoding)s · %(characters)s characters · %(parts)s SMS part(s)") % {
        "encoding": length.encoding, "characters": length.characters, "parts": length.parts})


class MessageTemplateForm(forms.ModelForm):
    key = forms.ChoiceField(label=_("message"))
    language = forms.ChoiceField(label=_("language"), choices=LANGUAGE_CHOICES)

    class Meta:
        model = MessageTemplate
        fields = ("key", "language", "agency", "body", "max_parts")
        widgets = {"body": forms.Textarea(attrs={"rows": 4, "cols": 80, "dir": "auto"})}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        platform = permissions.is_platform_admin(user)
        key_field: Any = self.fields["key"]
        key_field.choices = [(kind.key, f"{kind.label} ({kind.key})") for kind in message_templates.KINDS.values()
                             if platform or kind.agency_may_edit]
        parts: Any = self.fields["max_parts"]
        parts.min_value, parts.max_value = 1, 10
        parts.validators = [*parts.validators, MinValueValidator(1), MaxValueValidator(10)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = message_templates.KINDS.get(data.get("key", ""))
        body = (data.get("body") or "").strip()
        if kind is None or not body:
            return data
        try:
            message_templates.check_wording(kind, body, max_parts=int(data.get("max_parts") or 1),
                                            language=data.get("language") or "en")
        except message_templates.TemplateError as error:
            raise ValidationError({"body": str(error)}) from error
        data["body"] = body
        return data


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ScopedModelAdmin):
    form = MessageTemplateForm
    list_display = ("key", "language", "agency", "preview_length", "updated_at", "updated_by")
    list_filter = ("language", "key")
    readonly_fields = ("preview",)
    fields = ("key", "language", "agency", "body", "max_parts", "preview")
    change_form_template = "admin/notifications/messagetemplate/change_form.html"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.is_platform_admin(request.user) or permissions.is_agency_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    has_add_permission = has_module_permission  # type: ignore[assignment]

    def has_change_permission(self, request: HttpRequest, obj: MessageTemplate | None = None) -> bool:
        if obj is not None and not permissions.is_platform_admin(request.user):
            return obj.agency_id is not None and permissions.can_manage_agency(request.user, obj.agency_id)
        return self.has_module_permission(request)

    has_delete_permission = has_change_permission  # type: ignore[assignment]

    def get_queryset(self, request: HttpRequest) -> QuerySet[MessageTemplate]:
        queryset = super().get_queryset(request).select_related("agency", "updated_by")
        if permissions.is_platform_admin(request.user):
            return queryset
        return permissions.limit_to_agency(request.user, queryset)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)
        user = request.user

        class ScopedForm(form_class):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **inner: Any) -> None:
                super().__init__(*args, user=user, **inner)
                agency = self.fields["agency"]
                agency.queryset = permissions.limit_to_agency(user, agency.queryset, field="pk")
                if not permissions.is_platform_admin(user):
                    agency.required = True
                    agency.empty_label = None
                    agency.initial = getattr(user, "agency_id", None)

        return ScopedForm

    def save_model(self, request: HttpRequest, obj: MessageTemplate, form: Any, change: bool) -> None:
        obj.updated_by = request.user  # type: ignore[assignment]
        previous = MessageTemplate.objects.filter(pk=obj.pk).values_list("key", "language").first() if change else None
        super().save_model(request, obj, form, change)
        for key, language in {(obj.key, obj.language), *([previous] if previous else [])}:
            wordings_changed(key=key, language=language)

    def delete_model(self, request: HttpRequest, obj: MessageTemplate) -> None:
        super().delete_model(request, obj)
        wordings_changed(key=obj.key, language=obj.language)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[MessageTemplate]) -> None:
        changed = set(queryset.values_list("key", "language"))
        super().delete_queryset(request, queryset)
        for key, language in changed:
            wordings_changed(key=key, language=language)

    @admin.display(description=_("length with sample values"))
    def preview_length(self, template: MessageTemplate) -> str:
        kind = message_templates.KINDS.get(template.key)
        if kind is None:
            return "—"
        samples = message_templates.samples_in(kind, template.language)
        return _length_text(message_templates.fill(template.body, samples))

    @admin.display(description=_("preview"))
    def preview(self, template: MessageTemplate) -> str:
        kind = message_templates.KINDS.get(template.key)
        if kind is None or not template.body:
            return "—"
        text = message_templates.fill(template.body, message_templates.samples_in(kind, template.language))
        return format_html('<p dir="auto">{}</p><p>{}</p>', text, _length_text(text))

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], *args: Any,
                           **kwargs: Any) -> HttpResponse:
        """Below the form: each message this administrator may reword, its names and its
        default wording in the three languages, with the length each makes."""
        platform = permissions.is_platform_admin(request.user)
        rows = []
        for kind in message_templates.KINDS.values():
            if not (platform or kind.agency_may_edit):
                continue
            for language, _label in LANGUAGE_CHOICES:
                text = message_templates.fill(message_templates.default_wording(kind, language),
                                              message_templates.samples_in(kind, language))
                rows.append({"key": kind.key, "label": kind.label, "language": language,
                             "names": ", ".join("{" + name + "}" for name in sorted(kind.samples)),
                             "text": text, "length": _length_text(text)})
        context["default_wordings"] = rows
        return super().render_change_form(request, context, *args, **kwargs)
