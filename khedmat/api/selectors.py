"""Reads of the API app: an agency's keys and webhooks for its staff pages and the API."""

from __future__ import annotations

import contextlib
import uuid
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from .models import ApiKey, WebhookAttempt, WebhookDelivery, WebhookSubscription

if TYPE_CHECKING:
    from khedmat.catalog.models import Agency


def api_keys_of(*, agency: Agency) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(agency=agency).prefetch_related("services").order_by("-created_at")


def api_key_of_agency(*, agency: Agency, public_id: str) -> ApiKey | None:
    try:
        return ApiKey.objects.select_related("user").filter(agency=agency, public_id=public_id).first()
    except Exception:  # a malformed UUID
        return None


AGENCIES_WITH_WEBHOOKS_KEY = "api:webhooks:agencies"
AGENCIES_WITH_WEBHOOKS_SECONDS = 300


def agencies_with_webhooks() -> frozenset[int]:
    """Agencies with a live subscription, kept in the cache (forgotten on every change and again
    after its commit, webhooks._forget_agencies), so an event of an agency without webhooks
    costs no query: the hot paths' "none"."""
    from django.core.cache import cache

    try:
        kept = cache.get(AGENCIES_WITH_WEBHOOKS_KEY)
    except Exception:  # the cache is away: ask the database (fail open, decisions/0028)
        kept = None
    if kept is not None:
        return frozenset(kept)
    found = frozenset(WebhookSubscription.objects.filter(disabled_at__isnull=True).order_by()
                      .values_list("agency_id", flat=True).distinct())
    with contextlib.suppress(Exception):  # asked the database this time; the cache is not needed
        cache.set(AGENCIES_WITH_WEBHOOKS_KEY, sorted(found), timeout=AGENCIES_WITH_WEBHOOKS_SECONDS)
    return found


def webhooks_of(*, agency_id: int) -> QuerySet[WebhookSubscription]:
    return (WebhookSubscription.objects.filter(agency_id=agency_id).prefetch_related("services")
            .order_by("-created_at", "-id"))


def webhook_of_agency(*, agency_id: int, public_id: uuid.UUID | str) -> WebhookSubscription | None:
    """The agency's subscription by its public id; None for another agency's, or a malformed id."""
    try:
        return webhooks_of(agency_id=agency_id).filter(public_id=public_id).first()
    except (ValueError, ValidationError):
        return None


def webhook_deliveries(*, subscription: WebhookSubscription, limit: int = 50,
                       attempts: int = 5) -> list[WebhookDelivery]:
    """The latest deliveries of a subscription, each with its latest tries (three queries)."""
    rows = list(WebhookDelivery.objects.filter(subscription=subscription)
                .order_by("-created_at", "-id")[:limit])
    tries: dict[int, list[WebhookAttempt]] = {}
    for attempt in WebhookAttempt.objects.filter(delivery__in=[row.pk for row in rows]).order_by("-at", "-id"):
        kept = tries.setdefault(attempt.delivery_id, [])
        if len(kept) < attempts:
            kept.append(attempt)
    for row in rows:
        row.latest_attempts = tries.get(row.pk, [])  # type: ignore[attr-defined]
    return rows
