# Written by hand on 2026-12-06: an index of the payment orders that another covers (decision 0047).

import django.db.models.deletion
from django.db import migrations, models

from khedmat.core.covered_indexes import dropped_indexes


class Migration(migrations.Migration):

    atomic = False  # DROP INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ('catalog', '0004_definition_parsed_once'),
        ('payments', '0002_refunds'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='paymentorder',
                    name='agency',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.agency'),
                ),
            ],
            # payment_order_by_agency begins with agency_id. (The reference's LIKE copy stays: the
            # agency's reconciliation looks its orders up by the reference's prefix.)
            database_operations=[dropped_indexes(
                "payments_paymentorder", everywhere={"payments_paymentorder_agency_id_61c89102": "agency_id"})],
        ),
    ]
