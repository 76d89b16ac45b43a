"""Data: every SMS recorded before the outbox becomes a message of the outbox, with its status."""

import datetime

from django.db import migrations

_STATUS = {"queued": "created", "sent": "delivered", "failed": "technical-failure"}


def copy_forward(apps, schema_editor):
    SmsMessage = apps.get_model("notifications", "SmsMessage")
    Message = apps.get_model("notifications", "Message")
    MessageStatusChange = apps.get_model("notifications", "MessageStatusChange")
    for old in SmsMessage.objects.order_by("id").iterator():
        status = _STATUS.get(old.status, "technical-failure")
        message = Message.objects.create(
            to=old.to, body=old.body, language="", template=old.purpose[:60], sensitive="code" in old.purpose,
            status=status, created_at=old.created_at, next_attempt_at=old.created_at,
            give_up_at=old.created_at + datetime.timedelta(hours=72),
            gateway=old.backend.rsplit(".", 1)[-1][:40], handed_over_at=old.sent_at,
            delivered_at=old.sent_at if status == "delivered" else None,
            failed_at=old.created_at if status == "technical-failure" else None,
        )
        MessageStatusChange.objects.create(message=message, status=status, at=old.sent_at or old.created_at,
                                           detail="recorded before the outbox")


def copy_back(apps, schema_editor):
    SmsMessage = apps.get_model("notifications", "SmsMessage")
    Message = apps.get_model("notifications", "Message")
    back = {"created": "queued", "delivered": "sent"}
    for message in Message.objects.order_by("id").iterator():
        SmsMessage.objects.create(to=message.to, body=message.body, purpose=message.template[:40],
                                  backend=message.gateway, status=back.get(message.status, "failed"),
                                  sent_at=message.handed_over_at)


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0002_outbox_and_channels"),
    ]

    operations = [
        migrations.RunPython(copy_forward, copy_back),
    ]
