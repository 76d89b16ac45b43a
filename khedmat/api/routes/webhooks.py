"""For agencies, with a key holding the `webhooks` scope: subscribe a URL to events of the
agency's services, list, delete, send a test event, read the delivery log. The secret is in
the answer to the POST only. A key limited to services subscribes within them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from khedmat.catalog import selectors as catalog_selectors
from khedmat.core.errors import Refusal

from .. import selectors, webhooks
from ..auth import KeyAuth, key_service_ids, require
from ..models import ApiKey, DeliveryStatus, Scope, WebhookSubscription
from ..problems import ApiProblem
from ..schemas import DeliveryOut, Problem, TestSent, WebhookCreated, WebhookIn, WebhookOut

router = Router(tags=["webhooks (agency key)"], auth=KeyAuth())
ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem, 429: Problem}


def webhook_out(subscription: WebhookSubscription) -> dict[str, Any]:
    return {"id": subscription.public_id, "url": subscription.url, "events": list(subscription.event_types),
            "services": sorted(service.code for service in subscription.services.all()),
            "active": subscription.is_active, "disabled_at": subscription.disabled_at,
            "disabled_reason": subscription.disabled_reason, "created_at": subscription.created_at}


def _own(key: ApiKey, webhook_id: str) -> WebhookSubscription:
    found = selectors.webhook_of_agency(agency_id=key.agency_id, public_id=webhook_id[:40])
    if found is None:
        raise ApiProblem(404, "not_found", "No such webhook, or not your agency's.")
    return found


def _refused(refusal: Refusal) -> ApiProblem:
    status = 409 if refusal.code in ("webhook_disabled", "too_many") else 403 if refusal.code == "forbidden" else 422
    return ApiProblem(status, refusal.code, str(refusal.message))


@router.get("", response={200: list[WebhookOut], **ERRORS}, summary="The agency's webhooks")
def webhook_list(request: HttpRequest) -> list[dict[str, Any]]:
    key = require(request, Scope.WEBHOOKS)
    return [webhook_out(row) for row in selectors.webhooks_of(agency_id=key.agency_id)]


@router.post("", response={201: WebhookCreated, **ERRORS}, summary="Subscribe a URL to events")
def webhook_create(request: HttpRequest, payload: WebhookIn) -> Status[dict[str, Any]]:
    """`events` among those in docs/api.md; `services`: codes of your agency's services (none: all,
    or all the key is limited to). The answer holds the signing `secret`, once."""
    key = require(request, Scope.WEBHOOKS)
    by_code = {service.code: service for service in
               catalog_selectors.services_with_a_version(agency_id=key.agency_id)}
    allowed = set(key_service_ids(key))
    codes = [code[:40] for code in payload.services]
    unknown = [code for code in codes if code not in by_code or (allowed and by_code[code].pk not in allowed)]
    if unknown:
        raise ApiProblem(404, "not_found", "No such service of your agency (or of this key): "
                         + ", ".join(sorted(repr(code) for code in unknown))[:200])
    chosen = [by_code[code] for code in dict.fromkeys(codes)] or [
        service for service in by_code.values() if service.pk in allowed]
    try:
        made = webhooks.webhook_subscribe(agency=key.agency, url=payload.url, event_types=payload.events,
                                          services=chosen, created_by=key.user, request=request)
    except Refusal as refusal:
        raise _refused(refusal) from refusal
    return Status(201, {**webhook_out(made.subscription), "secret": made.secret})


@router.get("/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="One webhook")
def webhook_get(request: HttpRequest, webhook_id: str) -> dict[str, Any]:
    key = require(request, Scope.WEBHOOKS)
    return webhook_out(_own(key, webhook_id))


@router.delete("/{webhook_id}", response={204: None, **ERRORS}, summary="Delete a webhook and its log")
def webhook_remove(request: HttpRequest, webhook_id: str) -> HttpResponse:
    key = require(request, Scope.WEBHOOKS)
    found = _own(key, webhook_id)
    try:
        webhooks.webhook_delete(subscription=found, actor=key.user, request=request)
    except Refusal as refusal:
        raise _refused(refusal) from refusal
    return HttpResponse(status=204)


@router.post("/{webhook_id}/test", response={202: TestSent, **ERRORS}, summary="Send a webhook.test event")
def webhook_test(request: HttpRequest, webhook_id: str) -> Status[dict[str, Any]]:
    """Queued through the outbox like any event (signed, retried); see its fate in the deliveries."""
    key = require(request, Scope.WEBHOOKS)
    found = _own(key, webhook_id)
    try:
        delivery = webhooks.webhook_test_send(subscription=found, actor=key.user, request=request)
    except Refusal as refusal:
        raise _refused(refusal) from refusal
    return Status(202, {"delivery": delivery.message_id, "status": str(DeliveryStatus(delivery.status).value)})


@router.get("/{webhook_id}/deliveries", response={200: list[DeliveryOut], **ERRORS},
            summary="The latest deliveries and their tries")
def webhook_deliveries(request: HttpRequest, webhook_id: str) -> list[dict[str, Any]]:
    key = require(request, Scope.WEBHOOKS)
    found = _own(key, webhook_id)
    return [{"id": row.message_id, "event": row.event_type, "status": row.status, "attempts": row.attempts,
             "created_at": row.created_at,
             "next_attempt_at": row.next_attempt_at if row.status == DeliveryStatus.PENDING else None,
             "delivered_at": row.delivered_at, "last_status_code": row.last_status_code,
             "last_error": row.last_error,
             "tries": [{"at": attempt.at, "status_code": attempt.status_code, "duration_ms": attempt.duration_ms,
                        "error": attempt.error} for attempt in getattr(row, "latest_attempts", [])]}
            for row in selectors.webhook_deliveries(subscription=found)]
