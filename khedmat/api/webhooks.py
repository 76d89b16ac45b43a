"""Webhooks: an agency's subscriptions, and the deliveries its events leave in the outbox.

Subscribers of the domain events (registered in `ApiConfig.ready()`, NOTIFY phase) write one
`WebhookDelivery` per matching subscription inside the transaction of the change, so a
rolled-back change sends nothing and a committed one is never lost; after the commit a worker
is handed the ids (`tasks.deliver_webhooks_soon`) and the `webhooks_deliver_due` job sweeps
whatever a lost hand-off or a retry leaves (webhook_delivery.py sends them). Payloads are thin:
ids and states, never a person's name, number or answers; the receiver reads the rest through
the API, where every read is audited (docs/decisions/0041).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import ipaddress
import json
import secrets
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from khedmat.audit.services import audit_record
from khedmat.core.errors import Refusal

from . import selectors
from .models import DeliveryStatus, EventType, WebhookDelivery, WebhookSubscription

if TYPE_CHECKING:
    from django.http import HttpRequest

    from khedmat.accounts.models import User
    from khedmat.catalog.models import Agency, Service

SECRET_PREFIX = "whsec_"  # noqa: S105 (the Standard Webhooks label, not a secret)
MAX_SUBSCRIPTIONS_PER_AGENCY = 20
URL_MAX = 500
# Names an agency's server cannot carry in production: this machine, its network, link-local.
_LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".localdomain")


@dataclass(frozen=True)
class NewSubscription:
    subscription: WebhookSubscription
    secret: str  # shown once (and to a double post of the same form), kept only to sign with


# --- addresses -----------------------------------------------------------------------------------

def private_urls_allowed() -> bool:
    return bool(settings.WEBHOOK_ALLOW_PRIVATE_URLS)


def address_allowed(address: str) -> bool:
    """A public unicast address (not loopback, private, link-local, reserved or multicast)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (empty when it does not)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def url_check(url: str, *, resolve_host: bool = True) -> str:
    """The address, if a webhook may be sent there; else a Refusal saying why. In production:
    https only, no password in it, a host that resolves to public addresses only."""
    url = url.strip()
    if not url or len(url) > URL_MAX:
        raise Refusal(_("Give an address of 1 to 500 characters."), code="url_invalid")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise Refusal(_("This is not a web address."), code="url_invalid") from error
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in ("https", "http") or not host or any(c.isspace() for c in url):
        raise Refusal(_("This is not a web address."), code="url_invalid")
    if parts.username or parts.password:
        raise Refusal(_("Put no user name or password in the address; verify our signature instead."),
                      code="url_credentials")
    if private_urls_allowed():
        return url
    if parts.scheme != "https":
        raise Refusal(_("The address must start with https://."), code="url_not_https")
    lowered = host.lower()
    if lowered == "localhost" or lowered.endswith(_LOCAL_NAMES):
        raise Refusal(_("The address must be on the public internet, not a private or local network."),
                      code="url_private")
    try:
        ipaddress.ip_address(host)
        literal = True
    except ValueError:
        literal = False
    addresses = [host] if literal else (resolve(host, port or 443) if resolve_host else [])
    if resolve_host and not addresses:
        raise Refusal(_("The address's host name does not resolve."), code="url_unresolvable")
    if not all(address_allowed(address) for address in addresses):
        raise Refusal(_("The address must be on the public internet, not a private or local network."),
                      code="url_private")
    return url


# --- which agencies have any subscription (the hot path's cheap "none") --------------------------

def _forget_agencies() -> None:
    from django.core.cache import cache

    def forget() -> None:
        with contextlib.suppress(Exception):  # the entry lapses after AGENCIES_WITH_WEBHOOKS_SECONDS anyway
            cache.delete(selectors.AGENCIES_WITH_WEBHOOKS_KEY)

    forget()
    transaction.on_commit(forget)  # a reader between the change and its commit kept the old set


# --- the outbox ----------------------------------------------------------------------------------

def new_message_id() -> str:
    """The `webhook-id` of a delivery: the same on every retry, for the receiver to dedupe by."""
    return "msg_" + secrets.token_hex(12)


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _deliveries_write(subscription_ids: list[int], event_type: str, data: dict[str, Any]) -> list[int]:
    """One delivery per subscription (a bulk insert), handed to a worker after the commit."""
    now = timezone.now()
    payload = {"type": event_type, "timestamp": _iso(now), "data": data}
    give_up = now + datetime.timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    rows = WebhookDelivery.objects.bulk_create([
        WebhookDelivery(message_id=new_message_id(), subscription_id=pk, event_type=event_type, payload=payload,
                        created_at=now, next_attempt_at=now, give_up_at=give_up)
        for pk in subscription_ids])
    ids = [row.pk for row in rows if row.pk is not None]
    if len(ids) < len(rows):  # a database that does not return the ids of a bulk insert
        ids = list(WebhookDelivery.objects.filter(message_id__in=[row.message_id for row in rows])
                   .values_list("pk", flat=True))

    def hand_off() -> None:
        from .tasks import deliver_webhooks_soon  # imports Celery's app, which needs settings loaded

        deliver_webhooks_soon(ids)

    transaction.on_commit(hand_off)
    return ids


def webhook_event_queue(*, agency_id: int | None, service_id: int | None, event_type: str,
                        data: Callable[[], dict[str, Any]]) -> list[int]:
    """Queue an event of a service for the agency's subscriptions to it (and to that service),
    in the caller's transaction. No subscription in the agency: no query; else one query and
    one bulk insert. `data` is only built when someone listens."""
    if agency_id is None or agency_id not in selectors.agencies_with_webhooks():
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("queue a webhook inside the transaction of the change it tells about")
    rows = (WebhookSubscription.objects.filter(agency_id=agency_id, disabled_at__isnull=True)
            .filter(Q(services__isnull=True) | Q(services__id=service_id))
            .order_by().values_list("pk", "event_types").distinct())
    matching = sorted({pk for pk, types in rows if event_type in (types or [])})
    if not matching:
        return []
    return _deliveries_write(matching, event_type, data())


# --- subscribers of the domain events (NOTIFY phase) ---------------------------------------------

def _file_data(application: Any, **more: Any) -> dict[str, Any]:
    return {"file": str(application.public_id), "reference": application.reference or "",
            "service": application.service.code, "state": application.state, **more}


def on_application_submitted(event: Any, request: HttpRequest | None) -> None:
    application = event.application
    webhook_event_queue(agency_id=application.service.agency_id, service_id=application.service_id,
                        event_type=EventType.APPLICATION_SUBMITTED, data=lambda: _file_data(application))


def on_application_transitioned(event: Any, request: HttpRequest | None) -> None:
    application = event.application
    webhook_event_queue(
        agency_id=application.service.agency_id, service_id=application.service_id,
        event_type=EventType.APPLICATION_TRANSITIONED,
        data=lambda: _file_data(application, step=event.step, from_state=event.from_state, to_state=event.to_state))


def on_payment_received(event: Any, request: HttpRequest | None) -> None:
    order = event.order
    application = order.application if order.application_id else None
    if application is None:
        return
    webhook_event_queue(agency_id=order.agency_id, service_id=application.service_id,
                        event_type=EventType.APPLICATION_PAID,
                        data=lambda: _file_data(application, order=order.reference))


def _document_data(document: Any, **more: Any) -> dict[str, Any]:
    application = document.application
    return {"document": document.number, "file": str(application.public_id),
            "reference": application.reference or "", "service": document.service.code, **more}


def on_document_issued(event: Any, request: HttpRequest | None) -> None:
    document = event.document
    webhook_event_queue(agency_id=document.agency_id, service_id=document.service_id,
                        event_type=EventType.DOCUMENT_ISSUED, data=lambda: _document_data(document, revoked=False))


def on_document_revoked(event: Any, request: HttpRequest | None) -> None:
    document = event.document
    webhook_event_queue(agency_id=document.agency_id, service_id=document.service_id,
                        event_type=EventType.DOCUMENT_REVOKED, data=lambda: _document_data(document, revoked=True))


def register() -> None:
    """Subscribe to the domain events whose webhooks agencies may ask for (ApiConfig.ready)."""
    from khedmat.applications.events import ApplicationSubmitted, ApplicationTransitioned
    from khedmat.core import events
    from khedmat.documents.events import DocumentIssued, DocumentRevoked
    from khedmat.payments.events import PaymentReceived

    for event_type, handler in ((ApplicationSubmitted, on_application_submitted),
                                (ApplicationTransitioned, on_application_transitioned),
                                (PaymentReceived, on_payment_received),
                                (DocumentIssued, on_document_issued),
                                (DocumentRevoked, on_document_revoked)):
        events.subscribe(event_type, handler, phase=events.Phase.NOTIFY)


# --- subscriptions -------------------------------------------------------------------------------

def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _may_manage(actor: User | None, subscription: WebhookSubscription) -> None:
    if actor is not None and actor.agency_id != subscription.agency_id:
        raise Refusal(_("Only your own agency's webhooks."), code="forbidden")


def _audit(action: str, subscription: WebhookSubscription, actor: User | None, request: HttpRequest | None,
           **data: Any) -> None:
    audit_record(action=f"api.webhook_{action}", target_type="webhook", target_id=subscription.public_id,
                 actor=actor, request=request, data={"url": subscription.url, **data})


def _event_types_check(event_types: Iterable[str]) -> list[str]:
    chosen = sorted(set(event_types))
    if not chosen or not set(chosen) <= set(EventType.subscribable()):
        raise Refusal(_("Choose at least one event, among those offered."), code="events_invalid")
    return chosen


@transaction.atomic
def webhook_subscribe(*, agency: Agency, url: str, event_types: Iterable[str], services: Iterable[Service] = (),
                      created_by: User | None = None, creation_key: str = "",
                      request: HttpRequest | None = None) -> NewSubscription:
    """Subscribe `url` to events of the agency's services (none chosen: all of them). The same
    `creation_key` again (a form posted twice) gives back the subscription it made."""
    scoped_key = f"{agency.pk}:{creation_key}"[:100] if creation_key else None
    if scoped_key:
        made = WebhookSubscription.objects.filter(creation_key=scoped_key).first()
        if made is not None:
            return NewSubscription(subscription=made, secret=made.secret)
    chosen = _event_types_check(event_types)
    url = url_check(url)
    services = list(services)
    if any(service.agency_id != agency.pk for service in services):
        raise Refusal(_("Choose services of your own agency."), code="services_invalid")
    if WebhookSubscription.objects.filter(agency=agency).count() >= MAX_SUBSCRIPTIONS_PER_AGENCY:
        raise Refusal(_("Your agency has as many webhooks as it may; delete one first."), code="too_many")
    secret = new_secret()
    try:
        with transaction.atomic():
            subscription = WebhookSubscription.objects.create(agency=agency, url=url, event_types=chosen,
                                                              secret=secret, creation_key=scoped_key,
                                                              created_by=created_by)
    except IntegrityError:  # the same form's twin post committed first: its subscription is the one
        made = WebhookSubscription.objects.filter(creation_key=scoped_key).first() if scoped_key else None
        if made is None:
            raise
        return NewSubscription(subscription=made, secret=made.secret)
    if services:
        subscription.services.set(services)
    _audit("subscribed", subscription, created_by, request, events=chosen,
           services=[service.code for service in services])
    _forget_agencies()
    return NewSubscription(subscription=subscription, secret=secret)


@transaction.atomic
def webhook_secret_rotate(*, subscription: WebhookSubscription, actor: User,
                          request: HttpRequest | None = None) -> str:
    """A new secret at once (the old one signs nothing more); shown once."""
    _may_manage(actor, subscription)
    subscription.secret = new_secret()
    subscription.secret_rotated_at = timezone.now()
    subscription.save(update_fields=["secret", "secret_rotated_at"])
    _audit("secret_rotated", subscription, actor, request)
    return subscription.secret


def _stop_pending(subscription: WebhookSubscription, why: str) -> int:
    return WebhookDelivery.objects.filter(
        subscription=subscription, status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]).update(
        status=DeliveryStatus.CANCELLED, lease_until=None, last_error=why[:300])


@transaction.atomic
def webhook_disable(*, subscription: WebhookSubscription, actor: User | None, reason: str,
                    request: HttpRequest | None = None) -> WebhookSubscription:
    """Stop sending: the subscription and its deliveries still waiting (a 410 from the receiver
    does this with no actor)."""
    _may_manage(actor, subscription)
    if subscription.disabled_at is None:
        subscription.disabled_at = timezone.now()
        subscription.disabled_reason = reason[:300]
        subscription.save(update_fields=["disabled_at", "disabled_reason"])
        stopped = _stop_pending(subscription, reason)
        _audit("disabled", subscription, actor, request, reason=reason[:300], stopped=stopped)
        _forget_agencies()
    return subscription


@transaction.atomic
def webhook_enable(*, subscription: WebhookSubscription, actor: User,
                   request: HttpRequest | None = None) -> WebhookSubscription:
    _may_manage(actor, subscription)
    if subscription.disabled_at is not None:
        url_check(subscription.url)  # the rules may have tightened since it was made
        subscription.disabled_at = None
        subscription.disabled_reason = ""
        subscription.save(update_fields=["disabled_at", "disabled_reason"])
        _audit("enabled", subscription, actor, request)
        _forget_agencies()
    return subscription


@transaction.atomic
def webhook_delete(*, subscription: WebhookSubscription, actor: User, request: HttpRequest | None = None) -> None:
    """Gone with its deliveries and their log; the audit trail keeps that it existed."""
    _may_manage(actor, subscription)
    _audit("deleted", subscription, actor, request)
    subscription.delete()
    _forget_agencies()


@transaction.atomic
def webhook_test_send(*, subscription: WebhookSubscription, actor: User,
                      request: HttpRequest | None = None) -> WebhookDelivery:
    """A `webhook.test` event through the same outbox, signing and retries as any other."""
    _may_manage(actor, subscription)
    if subscription.disabled_at is not None:
        raise Refusal(_("This webhook is disabled; enable it first."), code="webhook_disabled")
    [pk] = _deliveries_write([subscription.pk], EventType.WEBHOOK_TEST,
                             {"subscription": str(subscription.public_id)})
    _audit("test_sent", subscription, actor, request)
    return WebhookDelivery.objects.get(pk=pk)


def body_of(delivery: WebhookDelivery) -> bytes:
    """The JSON sent, the same bytes on every try (compact, UTF-8)."""
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
