# Written by hand on 2026-12-06: an index of the ratings that another covers (decision 0047).

import django.db.models.deletion
from django.db import migrations, models

from khedmat.core.covered_indexes import dropped_indexes


class Migration(migrations.Migration):

    atomic = False  # DROP INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ('catalog', '0004_definition_parsed_once'),
        ('feedback', '0003_rating_follow_up'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='rating',
                    name='agency',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='ratings', to='catalog.agency'),
                ),
            ],
            # rating_agency_recent begins with agency_id.
            database_operations=[dropped_indexes(
                "feedback_rating", everywhere={"feedback_rating_agency_id_234b8e35": "agency_id"})],
        ),
    ]
