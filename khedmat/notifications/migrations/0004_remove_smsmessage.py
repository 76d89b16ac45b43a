from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0003_copy_sent_sms_into_outbox"),
    ]

    operations = [
        migrations.DeleteModel(
            name="SmsMessage",
        ),
    ]
