"""With a key: the payment orders of the agency's files (read), and payment notices as the bank
callback sends them (pay), applied by payments.services.payment_notice_receive."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja import Router

from khedmat.audit.services import audit_record
from khedmat.payments import selectors as payment_selectors
from khedmat.payments.services import PaymentError, PaymentNotice, payment_notice_receive

from ..auth import KeyAuth, key_service_ids, require
from ..models import ApiKey, Scope
from ..problems import ApiProblem
from ..schemas import NoticeIn, NoticeOut, OrderOut, Problem
from .files import agency_file

router = Router(tags=["payments (agency key)"], auth=KeyAuth())
ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem, 429: Problem}


def _order(key: ApiKey, reference: str) -> Any:
    order = payment_selectors.order_by_reference(reference=reference[:40])
    services = key_service_ids(key)
    if order is None or order.agency_id != key.agency_id or (
            services and order.application is not None and order.application.service_id not in services):
        raise ApiProblem(404, "not_found", "No payment order of your agency has this reference.")
    return order


def _out(order: Any) -> dict[str, Any]:
    return {"reference": order.reference, "status": order.status, "amount_afn": order.amount,
            "file": order.application.public_id if order.application_id else None}


@router.get("/orders/{reference}", response={200: OrderOut, **ERRORS}, summary="One payment order")
def order(request: HttpRequest, reference: str) -> dict[str, Any]:
    key = require(request, Scope.READ)
    found = _order(key, reference)
    audit_record(action="api.order_read", target_type="api_key", target_id=key.prefix, actor=key.user,
                 request=request, data={"object": found.reference})
    return _out(found)


@router.get("/files/{file_id}/order", response={200: OrderOut, **ERRORS}, summary="The payment order of a file")
def file_order(request: HttpRequest, file_id: str) -> dict[str, Any]:
    key = require(request, Scope.READ)
    found = payment_selectors.order_of(agency_file(key, file_id))
    if found is None:
        raise ApiProblem(404, "not_found", "This file has no payment order.")
    audit_record(action="api.order_read", target_type="api_key", target_id=key.prefix, actor=key.user,
                 request=request, data={"object": found.reference})
    return _out(found)


@router.post("/notices", response={200: NoticeOut, **ERRORS}, summary="A payment notice (payment operators)")
def notice(request: HttpRequest, payload: NoticeIn) -> dict[str, Any]:
    """What the bank callback does today: `paid` or `failed` for an order's reference; safe to repeat."""
    key = require(request, Scope.PAY)
    if payload.status not in ("paid", "failed"):
        raise ApiProblem(422, "status_invalid", "status is paid or failed.")
    if not payload.transaction_id.strip() or len(payload.transaction_id) > 100:
        raise ApiProblem(422, "transaction_id_invalid", "transaction_id is 1 to 100 characters.")
    found = _order(key, payload.order_reference)
    received = PaymentNotice(plugin="api", provider=key.payment_operator or f"api-{key.prefix}",
                             reference=found.reference, transaction_id=payload.transaction_id.strip(),
                             amount=payload.amount_afn, status=payload.status)
    try:
        result = payment_notice_receive(notice=received, body=json.dumps(payload.dict()), request=request)
    except PaymentError as refusal:
        raise ApiProblem(409, str(refusal.code), str(refusal.message)) from refusal
    audit_record(action="api.payment_notice", target_type="api_key", target_id=key.prefix, actor=key.user,
                 request=request, data={"object": found.reference, "outcome": str(result.outcome)})
    return {"outcome": str(result.outcome), "order_reference": found.reference}
