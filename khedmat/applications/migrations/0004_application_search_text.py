from django.db import migrations, models


def _trigram_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    """On PostgreSQL, a trigram index answers the inbox's "contains" search on millions of rows."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS application_search_trgm ON applications_application "
        "USING gin (search_text gin_trgm_ops)")


def _drop_trigram_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS application_search_trgm")


class Migration(migrations.Migration):

    dependencies = [
        ("applications", "0003_applicant_is_account_holder"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(_trigram_index, _drop_trigram_index),
    ]
