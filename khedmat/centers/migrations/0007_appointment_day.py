"""One booking per phone, service and day, kept by the database: Appointment.day and a
partial unique constraint (two bookings sent at once can no longer both pass the check)."""

import datetime

from django.db import migrations, models
from django.utils import timezone


def fill_days(apps, schema_editor):
    Appointment = apps.get_model("centers", "Appointment")
    for appointment in Appointment.objects.select_related("slot"):
        appointment.day = timezone.localdate(appointment.slot.starts_at)
        appointment.save(update_fields=["day"])


class Migration(migrations.Migration):
    dependencies = [("centers", "0006_ticket_idempotency_key")]
    operations = [
        migrations.AddField(
            model_name="appointment", name="day",
            field=models.DateField(default=datetime.date(2000, 1, 1),
                                   help_text="The slot's local day: one booking per phone, service and day"),
            preserve_default=False,
        ),
        migrations.RunPython(fill_days, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=models.UniqueConstraint(condition=models.Q(("status", "booked")),
                                               fields=("phone", "service", "day"),
                                               name="appointment_one_a_day_per_phone"),
        ),
    ]
