# Written by hand on 2026-12-06: indexes of the tickets and their visits that others cover (decision 0047).

import django.db.models.deletion
from django.db import migrations, models

from khedmat.core.covered_indexes import dropped_indexes


class Migration(migrations.Migration):

    atomic = False  # DROP INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ('catalog', '0004_definition_parsed_once'),
        ('centers', '0013_ticket_waiting_index'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='ticket',
                    name='center',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                            related_name='tickets', to='centers.center'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='group',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                            related_name='tickets', to='centers.queuegroup'),
                ),
            ],
            database_operations=[dropped_indexes(
                "centers_ticket",
                everywhere={
                    # ticket_queue and ticket_waiting begin with center_id.
                    "centers_ticket_center_id_4b8a7801": "center_id",
                    # The unique (group_id, day, number) begins with group_id.
                    "centers_ticket_group_id_8600256f": "group_id",
                },
                # Nothing looks a ticket's idempotency key up with LIKE; equality uses the unique index.
                postgres_only={"centers_ticket_idempotency_key_d5e2beee_like": "idempotency_key varchar_pattern_ops"},
            )],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='ticketvisit',
                    name='center',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                            related_name='+', to='centers.center'),
                ),
                migrations.AlterField(
                    model_name='ticketvisit',
                    name='service',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                            related_name='+', to='catalog.service'),
                ),
            ],
            database_operations=[dropped_indexes("centers_ticketvisit", everywhere={
                "centers_ticketvisit_center_id_7898d2cd": "center_id",  # visit_center_day begins with it
                "centers_ticketvisit_service_id_6251a1ae": "service_id",  # visit_service_recent begins with it
            })],
        ),
    ]
