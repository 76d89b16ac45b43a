"""The applicant's payment order page, the receipt PDFs, the agency's reconciliation page (and
its CSV), and the refund page on which the agency's administrator pays a refund back."""

from __future__ import annotations

import csv
import datetime
import uuid
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from khedmat.accounts.gates import signed_in_user, staff_page
from khedmat.accounts.permissions import is_agency_admin
from khedmat.accounts.roles import Role
from khedmat.audit.services import audit_record
from khedmat.core.i18n import pick
from khedmat.core.parsing import parse_date_or_none
from khedmat.core.spreadsheets import spreadsheet_text

from . import selectors, services

if TYPE_CHECKING:
    from khedmat.catalog.models import Agency
from .base import enabled_providers
from .models import PaymentOrder, Refund
from .receipt import receipt_pdf, refund_receipt_pdf

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
        "payment": selectors.payment_for_receipt(order=found),
        "refunds": selectors.refunds_of_order(order=found),
    })


@never_cache
@require_GET
def receipt(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
    found = _order_or_404(request, public_id)
    payment = selectors.payment_for_receipt(order=found)
    if payment is None:
        raise Http404
    application = found.application
    content = receipt_pdf(order=found, payment=payment, applicant_name=application.applicant.full_name or "",
                          service_name=application.service_version.definition["name"],
                          application_reference=application.reference or "")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{found.reference}.pdf"'
    return response


# --- the agency administrator's pages -------------------------------------------------------------

FIRST_DAY, LAST_DAY = datetime.date(2000, 1, 1), datetime.date(2100, 12, 31)


# Sign in first, 404 for anyone else, the second factor given.
agency_admin_required = staff_page(is_agency_admin)


def _agency(request: HttpRequest) -> Agency:
    agency = signed_in_user(request).agency
    assert agency is not None, "behind agency_admin_required"
    return agency


def _day(request: HttpRequest) -> datetime.date:
    """The day asked for (YYYY-MM-DD, in any of our digits), or today with a word when it
    cannot be read."""
    raw = str(request.GET.get("day", "")).strip()
    if not raw:
        return timezone.localdate()
    day = parse_date_or_none(raw, earliest=FIRST_DAY, latest=LAST_DAY)
    if day is None:
        messages.warning(request, _("That day could not be read (write it as 2026-11-28): here is today."))
        return timezone.localdate()
    return day


@never_cache
@require_GET
@agency_admin_required
def reconciliation(request: HttpRequest) -> HttpResponse:
    """The agency administrator's daily reconciliation: orders, payments, mismatches, and the
    refunds the agency still owes."""
    day = _day(request)
    report = selectors.reconciliation(agency=_agency(request), day=day)
    return render(request, "payments/reconciliation.html", {
        "report": report, "day": day,
        "previous": day - datetime.timedelta(days=1), "next": day + datetime.timedelta(days=1),
    })


CSV_HEADER = ["day", "row", "kind", "payment_reference", "application", "provider", "transaction",
              "expected_afn", "paid_afn", "refund_reference", "refund_status"]


_cell = spreadsheet_text  # core.spreadsheets: the one formula guard


@never_cache
@require_GET
@agency_admin_required
def reconciliation_csv(request: HttpRequest) -> HttpResponse:
    """The same day as a CSV file, one row per order, payment, mismatch and refund."""
    day = _day(request)
    agency = _agency(request)
    report = selectors.reconciliation(agency=agency, day=day)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="payments-{agency.code}-{day.isoformat()}.csv"'
    writer = csv.writer(response, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    iso = day.isoformat()
    for order in report.orders:
        writer.writerow([iso, "order", order.status, order.reference, order.application.reference, "", "",
                         order.amount, "", "", ""])
    for payment in report.payments:
        writer.writerow([iso, "payment", "", payment.order.reference, "", _cell(payment.provider),
                         _cell(payment.provider_transaction_id), payment.order.amount, payment.amount, "", ""])
    for mismatch in report.mismatches:
        refund = mismatch.refund
        writer.writerow([iso, "mismatch", mismatch.kind, _cell(mismatch.reference), "", _cell(mismatch.provider),
                         _cell(mismatch.transaction_id), _plain(mismatch.expected), _plain(mismatch.paid),
                         refund.reference if refund else "", refund.status if refund else ""])
    for refund in report.refunds_due:
        writer.writerow([iso, "refund_due", refund.reason, refund.order.reference, refund.order.application.reference,
                         _cell(refund.payment.provider), _cell(refund.payment.provider_transaction_id), "",
                         refund.amount, refund.reference, refund.status])
    for refund in report.refunds_settled:
        writer.writerow([iso, "refund_settled", refund.reason, refund.order.reference, "",
                         _cell(refund.payout_provider), _cell(refund.payout_transaction_id), "", refund.amount,
                         refund.reference, refund.status])
    return response


def _plain(value: int | None) -> str:
    return "" if value is None else str(value)


def _refund_for_admin(request: HttpRequest, public_id: uuid.UUID) -> Refund:
    refund = selectors.refund_get(public_id=public_id)
    if refund is None or refund.agency_id != getattr(request.user, "agency_id", None):
        raise Http404
    return refund


def _refund_page(request: HttpRequest, refund: Refund, *, status: int = 200,
                 typed: dict[str, str] | None = None) -> HttpResponse:
    return render(request, "payments/refund.html", {
        "refund": refund, "order": refund.order, "application": refund.order.application,
        "payment": refund.payment, "typed": typed or {},
    }, status=status)


@never_cache
@require_GET
@agency_admin_required
def refund(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """One refund: what was paid, why it is owed, and the forms to pay it back or cancel it."""
    found = _refund_for_admin(request, public_id)
    audit_record(action="payments.refund_read", target_type="refund", target_id=found.reference,
                 actor=request.user, subject=found.order.application.applicant, request=request)
    return _refund_page(request, found)


@never_cache
@require_POST
@agency_admin_required
def refund_pay_out(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    found = _refund_for_admin(request, public_id)
    typed = {"provider": request.POST.get("provider", ""), "transaction": request.POST.get("transaction", "")}
    try:
        services.refund_pay_out(refund=found, actor=signed_in_user(request), provider=typed["provider"],
                                transaction_id=typed["transaction"], request=request)
    except services.RefundError as refusal:
        messages.error(request, refusal.message)
        return _refund_page(request, selectors.refund_get(public_id=public_id) or found,
                            status=409 if refusal.code == "not_due" else 400, typed=typed)
    messages.success(request, _("Refund %(reference)s is recorded as paid back. The applicant is told by SMS.")
                     % {"reference": found.reference})
    return redirect(found.get_absolute_url())


@never_cache
@require_POST
@agency_admin_required
def refund_cancel(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    found = _refund_for_admin(request, public_id)
    typed = {"reason": request.POST.get("reason", "")}
    try:
        services.refund_cancel(refund=found, actor=signed_in_user(request), reason=typed["reason"], request=request)
    except services.RefundError as refusal:
        messages.error(request, refusal.message)
        return _refund_page(request, selectors.refund_get(public_id=public_id) or found,
                            status=409 if refusal.code == "not_due" else 400, typed=typed)
    messages.success(request, _("Refund %(reference)s is cancelled. The applicant is told why by SMS.")
                     % {"reference": found.reference})
    return redirect(found.get_absolute_url())


@never_cache
@require_GET
def refund_receipt(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The receipt of a refund paid back: for the applicant, and the agency's staff."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
    found = selectors.refund_get(public_id=public_id)
    if found is None or found.status != Refund.Status.PAID_OUT:
        raise Http404
    _order_or_404(request, found.order.public_id)  # the applicant's own, or their agency's (audited)
    application = found.order.application
    content = refund_receipt_pdf(refund=found, applicant_name=application.applicant.full_name or "",
                                 service_name=application.service_version.definition["name"],
                                 application_reference=application.reference or "")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="refund-{found.reference}.pdf"'
    return response
