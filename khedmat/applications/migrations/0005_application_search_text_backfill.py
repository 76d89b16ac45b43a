from django.db import migrations


def _backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Submitted files get the search text new submissions get (applications/search.py)."""
    from khedmat.applications.search import search_text_for

    Application = apps.get_model("applications", "Application")
    files = Application.objects.exclude(state="draft").select_related("applicant").only(
        "id", "reference", "applicant_name", "applicant_tazkira", "applicant__full_name", "applicant__phone_number",
        "applicant__tazkira_number")
    batch = []
    for application in files.iterator(chunk_size=2000):
        application.search_text = search_text_for(application)
        batch.append(application)
        if len(batch) >= 2000:
            Application.objects.bulk_update(batch, ["search_text"])
            batch = []
    if batch:
        Application.objects.bulk_update(batch, ["search_text"])


class Migration(migrations.Migration):

    dependencies = [
        ("applications", "0004_application_search_text"),
    ]

    operations = [
        migrations.RunPython(_backfill, migrations.RunPython.noop),
    ]
