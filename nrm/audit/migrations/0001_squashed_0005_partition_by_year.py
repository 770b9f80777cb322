"""audit.0001-0005 in one migration for new databases (the data steps, no-ops there, left out).

The tables as 0005 leaves them, the triggers of 0004 (unsealed appends, one sealing update),
then the table partitioned by year on PostgreSQL (``nrm.audit.partitions.rebuild``).
"""

import nrm.audit.models
from django.db import migrations, models

from nrm.core.squashed_migration import TablesMigration



def install_triggers(apps, schema_editor):
    from nrm.audit import triggers

    triggers.install(schema_editor.connection)


def remove_triggers(apps, schema_editor):
    from nrm.audit import triggers

    triggers.remove(schema_editor.connection)


def partition(apps, schema_editor):
    from nrm.audit import partitions

    if schema_editor.connection.vendor == "postgresql":
        partitions.rebuild(schema_editor.connection, partitioned=True)


def unpartition(apps, schema_editor):
    from nrm.audit import partitions

    if schema_editor.connection.vendor == "postgresql":
        partitions.rebuild(schema_editor.connection, partitioned=False)


class Migration(TablesMigration):

    replaces = [('audit', '0001_initial'), ('audit', '0002_append_only_triggers'), ('audit', '0003_role_and_mac_chain'), ('audit', '0004_sealed_after_commit'), ('audit', '0005_partition_by_year')]

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='AuditHead',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('seq', models.BigIntegerField(default=0)),
                ('hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.BigIntegerField(null=True, unique=True)),
                ('at', models.DateTimeField()),
                ('actor_id', models.BigIntegerField(null=True)),
                ('actor', models.CharField(max_length=150)),
                ('organisation_id', models.BigIntegerField(null=True)),
                ('action', models.CharField(max_length=60)),
                ('object_type', models.CharField(max_length=60)),
                ('object_id', models.CharField(blank=True, max_length=64)),
                ('outcome', models.CharField(choices=[('allowed', 'Allowed'), ('denied', 'Denied')], default='allowed', max_length=10)),
                ('reason', models.CharField(blank=True, max_length=200)),
                ('detail', models.JSONField(default=dict, encoder=nrm.audit.models.CanonicalJSONEncoder)),
                ('prev_hash', models.CharField(blank=True, max_length=64)),
                ('hash', models.CharField(blank=True, max_length=64)),
                ('role', models.CharField(blank=True, max_length=100)),
            ],
            options={
                'ordering': ['id'],
                'indexes': [models.Index(fields=['object_type', 'object_id'], name='audit_audit_object__3eefc4_idx'), models.Index(fields=['actor_id', 'at'], name='audit_audit_actor_i_bbfd3b_idx'), models.Index(condition=models.Q(('seq__isnull', True)), fields=['id'], name='audit_unsealed')],
            },
        ),
        migrations.RunPython(
            code=install_triggers,
            reverse_code=remove_triggers,
        ),
        migrations.RunPython(
            code=partition,
            reverse_code=unpartition,
        ),
    ]
