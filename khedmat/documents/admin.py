"""Issued documents in the administration site: an agency administrator sees their agency's
documents and revokes one with a reason; signing keys are shown to platform administrators."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from khedmat.accounts import permissions
from khedmat.accounts.gates import signed_in_user
from khedmat.core.admin import ScopedModelAdmin

from .models import IssuedDocument, Revocation, SigningKey
from .services import DocumentError, document_revoke, signing_key_mark_compromised


class RevokedFilter(admin.SimpleListFilter):
    title = _("revoked")
    parameter_name = "revoked"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Revoked")), ("no", _("In force or expired"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(revocation__isnull=False)
        if self.value() == "no":
            return queryset.filter(revocation__isnull=True)
        return queryset


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ScopedModelAdmin):
    list_display = ("number", "kind", "holder_name", "agency", "issued_on", "expires_on", "is_revoked")
    list_filter = ("kind", RevokedFilter)
    search_fields = ("number", "holder_name", "application__reference")
    actions = ["revoke_selected"]
    fields = ("number", "kind", "holder_name", "agency", "service", "application", "language", "issued_at",
              "expires_on", "signing_key", "payload", "revocation_text")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[IssuedDocument]:
        queryset = super().get_queryset(request).select_related("agency", "revocation", "application")
        return permissions.limit_to_agency(request.user, queryset)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_catalog(request.user)

    def has_view_permission(self, request: HttpRequest, obj: IssuedDocument | None = None) -> bool:
        if obj is None:
            return permissions.can_manage_catalog(request.user)
        return permissions.can_manage_agency(request.user, obj.agency_id)

    def has_change_permission(self, request: HttpRequest, obj: IssuedDocument | None = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: IssuedDocument | None = None) -> bool:
        return False

    @admin.display(boolean=True, description=_("revoked"))
    def is_revoked(self, obj: IssuedDocument) -> bool:
        return hasattr(obj, "revocation")

    @admin.display(description=_("revocation"))
    def revocation_text(self, obj: IssuedDocument) -> str:
        try:
            revocation = obj.revocation
        except Revocation.DoesNotExist:
            return "—"
        return f"{revocation.revoked_at:%Y-%m-%d %H:%M} · {revocation.reason}"

    @admin.action(description=_("Revoke the selected documents…"))
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[IssuedDocument]) -> HttpResponse | None:
        """Asks for the reason first (the holder and whoever checks will read it), then revokes."""
        reason = request.POST.get("reason", "").strip()
        if "confirm" not in request.POST or not reason:
            return TemplateResponse(request, "documents/admin_revoke.html", {
                **self.admin_site.each_context(request), "documents": queryset, "opts": self.model._meta,
                "title": gettext("Revoke documents"), "missing_reason": "confirm" in request.POST,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            })
        user = signed_in_user(request)
        revoked = 0
        for document in queryset:
            try:
                document_revoke(document=document, actor=user, reason=reason, request=request)
                revoked += 1
            except DocumentError as refusal:
                self.message_user(request, f"{document.number}: {refusal.message}", messages.WARNING)
        revoked_text = ngettext("%(count)s document revoked.", "%(count)s documents revoked.", revoked)
        self.message_user(request, revoked_text % {"count": revoked}, messages.SUCCESS)
        return HttpResponseRedirect(request.get_full_path())


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    """Read-only: keys are made and rotated with `manage.py documents_keygen`. A platform
    administrator may mark keys compromised (as `manage.py documents_key_compromised` does)."""

    list_display = ("kid", "status", "source", "created_at", "retired_at", "compromised_at")
    fields = ("kid", "status", "source", "public_key", "created_at", "retired_at", "compromised_at",
              "compromise_reason")
    readonly_fields = fields
    actions = ["mark_compromised"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.is_platform_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: SigningKey | None = None) -> bool:
        return permissions.is_platform_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SigningKey | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SigningKey | None = None) -> bool:
        return False

    def has_mark_compromised_permission(self, request: HttpRequest) -> bool:
        return permissions.is_platform_admin(request.user)

    @admin.action(description=_("Mark the selected keys compromised…"), permissions=["mark_compromised"])
    def mark_compromised(self, request: HttpRequest, queryset: QuerySet[SigningKey]) -> HttpResponse | None:
        """Asks from when and why first, then marks each key (audited)."""
        reason = request.POST.get("reason", "").strip()
        since_text = request.POST.get("since", "").strip()
        error = ""
        since = timezone.now()
        if "confirm" in request.POST:
            try:
                if since_text:
                    since = datetime.datetime.fromisoformat(since_text)
                    since = timezone.make_aware(since) if timezone.is_naive(since) else since
            except (ValueError, OverflowError):
                error = gettext("Give the time as shown, e.g. 2026-11-20 08:00.")
            if not reason:
                error = error or gettext("Say why the keys are compromised.")
        if "confirm" not in request.POST or error:
            return TemplateResponse(request, "documents/admin_key_compromised.html", {
                **self.admin_site.each_context(request), "keys": queryset, "opts": self.model._meta,
                "title": gettext("Mark signing keys compromised"), "error": error, "reason": reason,
                "since": since_text, "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            })
        user = signed_in_user(request)
        for key in queryset:
            try:
                affected = signing_key_mark_compromised(kid=key.kid, since=since, reason=reason, actor=user,
                                                        request=request)
            except DocumentError as refusal:
                self.message_user(request, f"{key.kid}: {refusal.message}", messages.WARNING)
                continue
            text = ngettext("Key %(kid)s is compromised; %(count)s document issued with it since must be issued "
                            "anew: %(numbers)s",
                            "Key %(kid)s is compromised; %(count)s documents issued with it since must be issued "
                            "anew: %(numbers)s", len(affected))
            self.message_user(request, text % {"kid": key.kid, "count": len(affected),
                                               "numbers": ", ".join(affected) or "—"}, messages.SUCCESS)
        return HttpResponseRedirect(request.get_full_path())
