"""The applicant's payment order page, the receipt PDF, and the agency's reconciliation page."""

from __future__ import annotations

import datetime
import uuid

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from khedmat.accounts.roles import Role
from khedmat.audit.services import audit_record
from khedmat.core.i18n import pick
from khedmat.core.parsing import parse_date_or_none

from . import selectors
from .base import enabled_providers
from .models import PaymentOrder
from .receipt import receipt_pdf

_AGENCY_STAFF = (Role.OFFICER, Role.APPROVER, Role.AGENCY_ADMIN)


def _order_or_404(request: HttpRequest, public_id: uuid.UUID) -> PaymentOrder:
    """The applicant's own order, or one of the agency's orders for its staff; 404 otherwise."""
    order = selectors.order_get(public_id=public_id)
    user = request.user
    if order is None:
        raise Http404
    if getattr(user, "role", None) == Role.CITIZEN and order.application.applicant_id == user.pk:
        return order
    if getattr(user, "role", None) in _AGENCY_STAFF and getattr(user, "agency_id", None) == order.agency_id:
        audit_record(action="payments.order_read", target_type="payment_order", target_id=order.reference,
                     actor=user, subject=order.application.applicant, request=request)
        return order
    raise Http404


@never_cache
@require_GET
def order(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
    found = _order_or_404(request, public_id)
    providers = [(p, p.pay_url(found), p.instructions(found)) for p in enabled_providers()] \
        if found.status == PaymentOrder.Status.PENDING and found.expires_at is not None else []
    return render(request, "payments/order.html", {
        "order": found, "application": found.application, "providers": providers,
        "line_label": pick(found.fee_line.get("label") or {}, None),
        "exemption_label": pick(found.fee_line.get("exemption_label") or {}, None),
        "schedule_amount": found.fee_line.get("schedule_amount", found.amount),
        "payment": selectors.payment_first(order=found),
    })


@never_cache
@require_GET
def receipt(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
    found = _order_or_404(request, public_id)
    payment = selectors.payment_first(order=found)
    if payment is None:
        raise Http404
    application = found.application
    content = receipt_pdf(order=found, payment=payment, applicant_name=application.applicant.full_name or "",
                          service_name=application.service_version.definition["name"],
                          application_reference=application.reference or "")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{found.reference}.pdf"'
    return response


@never_cache
@require_GET
def reconciliation(request: HttpRequest) -> HttpResponse:
    """The agency administrator's daily reconciliation: orders, payments, mismatches."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("accounts:staff_login"))
    agency = getattr(user, "agency", None)
    if getattr(user, "role", None) != Role.AGENCY_ADMIN or agency is None:
        raise Http404
    day = parse_date_or_none(request.GET.get("day")) or timezone.localdate()
    report = selectors.reconciliation(agency=agency, day=day)
    return render(request, "payments/reconciliation.html", {
        "report": report, "day": day,
        "previous": day - datetime.timedelta(days=1), "next": day + datetime.timedelta(days=1),
    })
