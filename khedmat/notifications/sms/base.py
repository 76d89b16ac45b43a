"""The interface an SMS gateway plug-in implements."""

from __future__ import annotations

import abc


class SmsDeliveryError(Exception):
    """The gateway refused or could not take the message."""


class SmsBackend(abc.ABC):
    """Delivers one text message to one E.164 number. Implementations live in contrib/<name>/."""

    @abc.abstractmethod
    def send(self, *, to: str, body: str) -> None:
        """Hand the message to the gateway; raise SmsDeliveryError if it is refused."""
