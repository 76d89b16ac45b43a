"""Sending messages. Each SMS is saved first, then handed to the configured gateway."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import SmsMessage
from .sms.base import SmsBackend, SmsDeliveryError


def sms_backend() -> SmsBackend:
    backend_class = import_string(settings.SMS_BACKEND)
    return backend_class()


def sms_send(*, to: str, body: str, purpose: str) -> SmsMessage:
    """Record the message and deliver it now; a gateway failure is recorded, not raised."""
    message = SmsMessage.objects.create(to=to, body=body, purpose=purpose, backend=settings.SMS_BACKEND)
    try:
        sms_backend().send(to=to, body=body)
    except SmsDeliveryError:
        message.status = SmsMessage.Status.FAILED
        message.save(update_fields=["status"])
    else:
        message.status = SmsMessage.Status.SENT
        message.sent_at = timezone.now()
        message.save(update_fields=["status", "sent_at"])
    return message
