"""A flag on the accounts API keys act through: system accounts, never listed as people (0042)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_second_factor_enrolment_and_known_networks'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='is_system',
            field=models.BooleanField(default=False, editable=False, help_text="An agency's system acts through it (an API key), not a person: it is never listed or chosen as staff.", verbose_name='system account'),
        ),
    ]
