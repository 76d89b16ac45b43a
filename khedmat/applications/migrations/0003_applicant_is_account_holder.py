"""Existing files were all filed by the account holder for themselves: the applicant is the
account holder (name and Tazkira number copied into the file's own, searchable fields)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def applicant_is_account_holder(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    User = apps.get_model("accounts", "User")
    holder = User.objects.filter(pk=OuterRef("applicant_id"))
    Application.objects.filter(applicant_name="").update(
        applicant_name=Subquery(holder.values("full_name")[:1]),
        applicant_tazkira=Subquery(holder.values("tazkira_number")[:1]),
        applicant_relationship="self",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0002_applicant_and_corrections"),
        ("accounts", "0003_second_factor_enrolment_and_known_networks"),
    ]

    operations = [migrations.RunPython(applicant_is_account_holder, migrations.RunPython.noop)]
