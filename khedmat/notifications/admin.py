"""Sent messages in the administration site: read-only, for platform administrators."""

from __future__ import annotations

import re

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from khedmat.accounts import permissions

from .models import SmsMessage

_LONG_NUMBER = re.compile(r"\d{4,}")


@admin.register(SmsMessage)
class SmsMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "to", "purpose", "status", "sent_at", "text")
    list_filter = ("status", "purpose")
    search_fields = ("to",)
    fields = ("to", "purpose", "text", "backend", "status", "created_at", "sent_at")
    readonly_fields = fields

    @admin.display(description=_("text"))
    def text(self, message: SmsMessage) -> str:
        # A one-time code stays secret even from administrators: it would open the account.
        if "code" in message.purpose:
            return _LONG_NUMBER.sub(lambda match: "•" * len(match.group()), message.body)
        return message.body

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.can_read_sent_messages(request.user)

    def has_view_permission(self, request: HttpRequest, obj: SmsMessage | None = None) -> bool:
        return permissions.can_read_sent_messages(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SmsMessage | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SmsMessage | None = None) -> bool:
        return False
