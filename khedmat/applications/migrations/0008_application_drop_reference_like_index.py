# Written by hand on 2026-12-06: the LIKE copy of the reference's index, which nothing uses (decision 0047).

from django.db import migrations

from khedmat.core.covered_indexes import dropped_indexes


class Migration(migrations.Migration):

    atomic = False  # DROP INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ('applications', '0007_application_by_change_index'),
    ]

    operations = [
        # A file is found by its whole reference (the unique index); the inbox's search reads
        # search_text through its trigram index. Only PostgreSQL has this copy.
        dropped_indexes("applications_application", postgres_only={
            "applications_application_reference_02e00e47_like": "reference varchar_pattern_ops"}),
    ]
