"""Payments in the admin: read-only, limited to the administrator's agency. (Refunds are paid
back on their own page, /office/payments/refunds/<id>/, which audits and tells the applicant.)"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from khedmat.accounts.permissions import is_agency_admin, is_platform_admin, limit_to_agency

from .models import Payment, PaymentCallbackLog, PaymentOrder, Refund


class _ReadOnly(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user) or is_agency_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PaymentOrder)
class PaymentOrderAdmin(_ReadOnly):
    list_display = ("reference", "agency", "amount", "status", "created_at", "expires_at", "paid_at")
    list_filter = ("status",)
    search_fields = ("reference",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PaymentOrder]:
        return limit_to_agency(request.user, super().get_queryset(request))


@admin.register(Payment)
class PaymentAdmin(_ReadOnly):
    list_display = ("order", "provider", "provider_transaction_id", "amount", "received_at", "late", "duplicate")
    search_fields = ("order__reference", "provider_transaction_id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Payment]:
        return limit_to_agency(request.user, super().get_queryset(request), field="order__agency")


@admin.register(PaymentCallbackLog)
class PaymentCallbackLogAdmin(_ReadOnly):
    list_display = ("received_at", "provider", "reference", "status", "amount", "outcome", "http_status")
    list_filter = ("outcome", "provider")
    search_fields = ("reference", "transaction_id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PaymentCallbackLog]:
        return limit_to_agency(request.user, super().get_queryset(request))


@admin.register(Refund)
class RefundAdmin(_ReadOnly):
    list_display = ("reference", "order", "amount", "reason", "status", "created_at", "settled_at")
    list_filter = ("status", "reason")
    search_fields = ("reference", "order__reference", "payout_transaction_id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Refund]:
        return limit_to_agency(request.user, super().get_queryset(request))
