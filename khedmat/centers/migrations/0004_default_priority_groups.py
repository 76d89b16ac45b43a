"""The three priority groups every Afghan center serves first; a center manager can change them."""

from django.db import migrations

DEFAULT_GROUPS = [
    ("elderly", "elderly", 1, {"en": "Elderly person (over 60)", "fa": "شخص سالمند (بالای ۶۰ سال)",
                               "ps": "زوړ شخص (له ۶۰ کلونو پورته)"}),
    ("disability", "disability", 2, {"en": "Person with a disability", "fa": "شخص دارای معلولیت",
                                     "ps": "معلولیت لرونکی شخص"}),
    ("pregnant", "pregnant", 3, {"en": "Pregnant woman", "fa": "زن باردار", "ps": "امیندواره ښځه"}),
]


def create_groups(apps, schema_editor):
    PriorityGroup = apps.get_model("centers", "PriorityGroup")
    for code, pictogram, position, name in DEFAULT_GROUPS:
        PriorityGroup.objects.get_or_create(
            code=code,
            defaults={"pictogram": pictogram, "position": position, "advance_minutes": 15,
                      **{f"name_{lang}": text for lang, text in name.items()}},
        )


class Migration(migrations.Migration):
    dependencies = [("centers", "0003_queue_desks_appointments")]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
