"""Endpoints gateways and aggregators call (receipts, inbound SMS, USSD), and the staff
simulator that shows a phone screen. Thin: each checks who is calling, then calls one
service."""

from __future__ import annotations

import hmac
import secrets
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from khedmat.accounts.gates import staff_page
from khedmat.accounts.permissions import can_read_sent_messages
from khedmat.accounts.phone import normalize_mobile_number
from khedmat.core.middleware import reads_raw_query

from . import selectors
from .inbound import inbound_receive
from .services import receipt_apply, receipt_signature_valid
from .sms.base import InboundSms, gateway_named
from .ussd import ussd_reply

_TEXT = "text/plain; charset=utf-8"


def _key_matches(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


@csrf_exempt
@require_http_methods(["GET", "POST"])
def receipt(request: HttpRequest, gateway: str) -> HttpResponse:
    """A delivery receipt for one message, at the signed URL the outbox gave the gateway."""
    configured = gateway_named(gateway)
    if configured is None:
        raise Http404
    message_id = request.GET.get("m", "")
    if not receipt_signature_valid(gateway=gateway, message_id=message_id, signature=request.GET.get("sig", "")):
        return HttpResponse("bad signature\n", status=403, content_type=_TEXT)
    parsed = configured.parse_receipt(request)
    if parsed is None or str(parsed.message_id) != message_id:
        return HttpResponse("not a receipt\n", status=400, content_type=_TEXT)
    applied = receipt_apply(gateway=gateway, receipt=parsed)
    if applied is None:
        return HttpResponse("unknown message\n", status=404, content_type=_TEXT)
    return HttpResponse("ok\n" if applied else "no change\n", content_type=_TEXT)


@reads_raw_query  # Kannel sends UCS-2 texts as raw bytes, zeros included
@csrf_exempt
@require_http_methods(["GET", "POST"])
def inbound(request: HttpRequest, gateway: str) -> HttpResponse:
    """A text a citizen sent; answered through the outbox (the gateway gets an empty body)."""
    configured = gateway_named(gateway)
    if configured is None or not settings.SMS_INBOUND_SECRET:
        raise Http404
    if not _key_matches(request.GET.get("key", ""), settings.SMS_INBOUND_SECRET):
        return HttpResponse("bad key\n", status=403, content_type=_TEXT)
    sms = configured.parse_inbound(request)
    if sms is None or not sms.text.strip():
        return HttpResponse("not a text\n", status=400, content_type=_TEXT)
    inbound_receive(gateway=gateway, sms=sms)
    return HttpResponse("", content_type=_TEXT)


@csrf_exempt
@require_POST
def ussd(request: HttpRequest) -> HttpResponse:
    """The USSD aggregator's callback: form fields in, `CON …` or `END …` out."""
    if not settings.USSD_SHARED_SECRET:
        raise Http404
    if not _key_matches(request.GET.get("key", ""), settings.USSD_SHARED_SECRET):
        return HttpResponse("END Not allowed.", status=403, content_type=_TEXT)
    session_id, phone = _ussd_field(request, "sessionId"), _ussd_field(request, "phoneNumber")
    if not session_id or not phone:
        return HttpResponse("END Bad request.", status=400, content_type=_TEXT)
    reply = ussd_reply(session_id=session_id, service_code=_ussd_field(request, "serviceCode"),
                       phone_number=phone, text=_ussd_field(request, "text"))
    return HttpResponse(reply.wire(), content_type=_TEXT)


def _ussd_field(request: HttpRequest, name: str) -> str:
    """A field of the aggregator's form, without NUL characters (no key of a phone types one,
    and PostgreSQL refuses them in a session id or an answer it stores)."""
    return str(request.POST.get(name, "")).replace("\x00", "").strip()


# --- the simulator ----------------------------------------------------------------------------

SIMULATOR_PHONE = "+93700000001"


def _simulator_switched_on(view: Any) -> Any:
    """Where the simulator is switched off it does not exist, for everyone (a 404)."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.SMS_SIMULATOR_ENABLED:
            raise Http404
        return view(request, *args, **kwargs)
    return wrapper


@_simulator_switched_on
@staff_page(can_read_sent_messages)
@require_http_methods(["GET", "POST"])
def simulator(request: HttpRequest) -> HttpResponse:
    """A phone on the screen: dial the USSD menu or text the platform, as a citizen would."""
    data = request.POST if request.method == "POST" else request.GET
    raw_phone = data.get("phone", "") or SIMULATOR_PHONE
    context: dict[str, Any] = {"phone": raw_phone, "mode": "sms" if data.get("mode") == "sms" else "ussd",
                               "ussd_code": settings.USSD_SERVICE_CODE}
    try:
        phone = normalize_mobile_number(raw_phone)
    except ValidationError as error:
        context["error"] = " ".join(error.messages)
        return render(request, "notifications/simulator.html", context)
    context["phone"] = phone
    if request.method == "POST" and context["mode"] == "ussd":
        session = data.get("session", "") if data.get("action") != "dial" else ""
        session = session or f"sim-{secrets.token_hex(8)}"
        path = data.get("path", "") if data.get("action") != "dial" else ""
        choice = data.get("choice", "").strip() if data.get("action") != "dial" else ""
        text = f"{path}*{choice}" if path and choice else (choice or path)
        reply = ussd_reply(session_id=session, service_code=settings.USSD_SERVICE_CODE, phone_number=phone,
                           text=text)
        context.update(session=session, path=text, screen=reply.text, ended=reply.end)
    elif request.method == "POST" and context["mode"] == "sms" and data.get("text", "").strip():
        inbound_receive(gateway="simulator", sms=InboundSms(sender=phone, text=data.get("text", "")[:500]))
    if context["mode"] == "sms":
        context["conversation"] = selectors.conversation(phone_number=phone)
    return render(request, "notifications/simulator.html", context)
