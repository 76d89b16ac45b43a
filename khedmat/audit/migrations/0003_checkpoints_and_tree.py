# Seals gain a salt; checkpoint keys, signed checkpoints and the stored Merkle tree nodes.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_refuse_update_and_delete'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditseal',
            name='salt',
            field=models.CharField(blank=True, default='', max_length=32),
        ),
        migrations.CreateModel(
            name='AuditKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kid', models.CharField(max_length=16, unique=True, verbose_name='key id')),
                ('public_key', models.CharField(max_length=64, verbose_name='public key (base64url)')),
                ('private_key', models.TextField(blank=True, help_text='Encrypted; empty when the key is held in a file.')),
                ('source', models.CharField(choices=[('database', 'Private key in the database (encrypted)'), ('file', 'Private key in a file outside the database')], default='database', max_length=10)),
                ('created_at', models.DateTimeField()),
                ('succession_signature', models.CharField(blank=True, max_length=100)),
                ('predecessor_signature', models.CharField(blank=True, max_length=100)),
                ('predecessor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='successors', to='audit.auditkey')),
            ],
            options={
                'verbose_name': 'checkpoint signing key',
                'verbose_name_plural': 'checkpoint signing keys',
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='AuditCheckpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('tree_size', models.PositiveBigIntegerField(db_index=True)),
                ('root_hash', models.CharField(max_length=64)),
                ('chain_hash', models.CharField(max_length=64)),
                ('signed_at', models.DateTimeField()),
                ('note', models.TextField()),
                ('key', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='checkpoints', to='audit.auditkey')),
            ],
            options={
                'verbose_name': 'audit checkpoint',
                'verbose_name_plural': 'audit checkpoints',
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='AuditTreeNode',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.PositiveSmallIntegerField()),
                ('index', models.PositiveBigIntegerField()),
                ('hash', models.CharField(max_length=64)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('level', 'index'), name='audit_tree_node_unique')],
            },
        ),
    ]
