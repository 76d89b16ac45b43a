"""The interface an SMS gateway plug-in implements, and the registry that finds them.

A plug-in lives in `khedmat/notifications/sms/contrib/<plugin>/__init__.py` and exposes
`Gateway`, a subclass of `SmsGateway`. `settings.SMS_GATEWAYS` lists the gateways in use,
each a dict with at least `name` (unique, shown in the outbox), `plugin` (the folder under
contrib/) and `priority` (lower is tried first); every other key is the plug-in's option.

The outbox (khedmat/notifications/delivery.py) is the only caller of `send`: it records the
message before handing it over, so a gateway never has to remember anything.
"""

from __future__ import annotations

import abc
import importlib
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.conf import settings
from django.http import HttpRequest


class GatewayError(Exception):
    """The gateway did not take the message.

    `temporary`: worth trying again later (the gateway is down, busy or timed out);
    otherwise the message can never be delivered this way (a number the gateway refuses).
    """

    def __init__(self, detail: str, *, temporary: bool = True) -> None:
        super().__init__(detail)
        self.detail = detail
        self.temporary = temporary


class GatewayMisconfigured(GatewayError):
    """Our side is wrong (a missing option, a bad URL): a technical failure, not retried blindly."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, temporary=False)


@dataclass(frozen=True)
class OutgoingSms:
    """One message as a gateway sees it."""

    message_id: int
    to: str  # E.164, e.g. +93700123456
    body: str  # Unicode text; the gateway chooses GSM-7 or UCS-2 as the text needs
    idempotency_key: str  # the same for every attempt of this message
    receipt_url: str  # where delivery receipts for this message go (signed; may be "")


@dataclass(frozen=True)
class Accepted:
    """The gateway took the message. `reference` is its own id for it, if it gives one;
    `delivered` when taking it is all the delivery there is (the console)."""

    reference: str = ""
    delivered: bool = False


class ReceiptStatus:
    """What a delivery receipt says, in the outbox's words."""

    ACCEPTED = "accepted"  # the operator's network took it (SMSC submit): still on its way
    DELIVERED = "delivered"
    TEMPORARY_FAILURE = "temporary-failure"  # phone off, inbox full: the network keeps trying
    PERMANENT_FAILURE = "permanent-failure"  # no such number, refused by the network
    BUFFERED = "buffered"  # queued in the network: nothing changes


@dataclass(frozen=True)
class Receipt:
    message_id: int
    status: str  # a ReceiptStatus value
    detail: str = ""


@dataclass(frozen=True)
class InboundSms:
    """A text a citizen sent to the platform's number."""

    sender: str  # as the gateway gives it; normalised by the caller
    text: str
    gateway_reference: str = ""


@dataclass
class SmsGateway(abc.ABC):
    """One configured gateway. Implementations live in contrib/<plugin>/."""

    name: str
    priority: int = 100
    options: dict[str, Any] = field(default_factory=dict)

    plugin: ClassVar[str] = ""  # set by each subclass
    # Whether the gateway reports delivery to `OutgoingSms.receipt_url`. Without receipts a
    # message counts as delivered when the gateway takes it.
    sends_receipts: ClassVar[bool] = False

    @abc.abstractmethod
    def send(self, sms: OutgoingSms) -> Accepted:
        """Hand one message to the gateway, or raise GatewayError. Must not retry on its own."""

    def parse_receipt(self, request: HttpRequest) -> Receipt | None:
        """Read a delivery receipt the gateway sent to `OutgoingSms.receipt_url` (after the
        platform checked its signature); None if this request is not one."""
        return None

    def parse_inbound(self, request: HttpRequest) -> InboundSms | None:
        """Read a text a citizen sent (after the platform checked the shared secret)."""
        return None

    def option(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)

    def required_option(self, key: str) -> str:
        value = self.options.get(key)
        if not value:
            raise GatewayMisconfigured(f"gateway {self.name!r} needs the option {key!r}")
        return str(value)


def gateway_class(plugin: str) -> type[SmsGateway]:
    """The plug-in called `plugin` (ImportError for one that does not exist)."""
    if not plugin.isidentifier():
        raise ImportError(plugin)
    module = importlib.import_module(f"khedmat.notifications.sms.contrib.{plugin}")
    found: type[SmsGateway] = module.Gateway
    return found


def configured_gateways() -> list[SmsGateway]:
    """Every gateway in `settings.SMS_GATEWAYS`, first to try first."""
    gateways = []
    for entry in settings.SMS_GATEWAYS:
        options = {key: value for key, value in entry.items() if key not in ("name", "plugin", "priority")}
        cls = gateway_class(entry["plugin"])
        gateways.append(cls(name=entry["name"], priority=int(entry.get("priority", 100)), options=options))
    return sorted(gateways, key=lambda gateway: (gateway.priority, gateway.name))


def gateway_named(name: str) -> SmsGateway | None:
    return next((gateway for gateway in configured_gateways() if gateway.name == name), None)
