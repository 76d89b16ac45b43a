"""The accounts API keys made before 0004 act through are system accounts too (decisions/0042)."""

from django.db import migrations


def mark(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    ApiKey = apps.get_model("api", "ApiKey")
    User.objects.filter(pk__in=ApiKey.objects.values("user_id")).update(is_system=True)


def unmark(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.filter(is_system=True).update(is_system=False)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_user_is_system"),
        ("api", "0001_api_keys_and_idempotent_answers"),
    ]

    operations = [
        migrations.RunPython(mark, unmark),
    ]
