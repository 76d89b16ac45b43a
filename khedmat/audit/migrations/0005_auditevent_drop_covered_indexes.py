# Written by hand on 2026-12-06: indexes of the audit trail that others cover (decision 0047).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from khedmat.core.covered_indexes import dropped_indexes


class Migration(migrations.Migration):

    atomic = False  # DROP INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ('audit', '0004_refuse_truncate_and_guard_new_tables'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='auditevent',
                    name='subject',
                    field=models.ForeignKey(blank=True, db_index=False, help_text='Whose file this event touched: they can see it on their own file.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='person concerned'),
                ),
            ],
            database_operations=[dropped_indexes(
                "audit_auditevent",
                # audit_event_subject_time begins with subject_id.
                everywhere={"audit_auditevent_subject_id_1173988d": "subject_id"},
                # Actions are looked up whole (equality uses the index on action), never with LIKE.
                postgres_only={"audit_auditevent_action_2131bb77_like": "action varchar_pattern_ops"},
            )],
        ),
    ]
