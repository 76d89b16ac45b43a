"""The callback endpoint banks and mobile-money operators POST signed payment notices to."""

from __future__ import annotations

import time

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from khedmat.core.parsing import parse_int_or_none
from khedmat.payments.services import PaymentError, payment_callback_log, payment_notice_receive

from .provider import SIGNATURE_HEADER, TIMESTAMP_HEADER, CallbackRefused, provider

MAX_BODY_BYTES = 16 * 1024


@csrf_exempt  # authenticated by its HMAC signature, not by a cookie
@require_POST
def callback(request: HttpRequest, operator: str) -> JsonResponse:
    if not provider.is_enabled():
        return JsonResponse({"error": "not_found"}, status=404)
    if (parse_int_or_none(request.headers.get("Content-Length")) or 0) > MAX_BODY_BYTES:
        return JsonResponse({"error": "too_large"}, status=413)
    body = request.body
    # Kept in the log as text PostgreSQL can store: a NUL byte shows as the replacement character.
    text = body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    try:
        provider.verify(operator=operator, timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
                        signature_header=request.headers.get(SIGNATURE_HEADER, ""), body=body, now=time.time())
        notice = provider.parse(operator=operator, body=body)
    except CallbackRefused as refused:
        payment_callback_log(plugin=provider.name, provider=operator, outcome=refused.outcome,
                             http_status=refused.http_status, body=text, request=request)
        return JsonResponse({"error": refused.outcome}, status=refused.http_status)
    try:
        result = payment_notice_receive(notice=notice, body=text, request=request)
    except PaymentError as refusal:
        status = 404 if refusal.code == "unknown_reference" else 409
        return JsonResponse({"error": refusal.code}, status=status)
    return JsonResponse({"result": result.outcome, "reference": result.order.reference,
                         "order_status": result.order.status})
