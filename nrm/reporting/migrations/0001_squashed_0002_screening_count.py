"""reporting.0001-0002 in one migration for new databases: the analytics tables and their triggers."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from nrm.core.squashed_migration import TablesMigration



def install(apps, schema_editor):
    from nrm.reporting import aggregates

    aggregates.install(schema_editor.connection)
    aggregates.recount(schema_editor.connection)


def remove(apps, schema_editor):
    from nrm.reporting import aggregates

    aggregates.remove(schema_editor.connection)

class Migration(TablesMigration):

    replaces = [('reporting', '0001_publication'), ('reporting', '0002_screening_count')]

    initial = True

    dependencies = [
        ('accounts', '0003_api_tokens'),
        ('cases', '0006_binding'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Publication',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('published_at', models.DateTimeField(db_index=True)),
                ('published_via', models.CharField(blank=True, max_length=80)),
                ('tables', models.JSONField(default=list)),
                ('year_from', models.PositiveSmallIntegerField()),
                ('year_to', models.PositiveSmallIntegerField()),
                ('threshold', models.PositiveSmallIntegerField()),
                ('rounding', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('basis', models.CharField(max_length=20)),
                ('note', models.TextField(blank=True)),
                ('published_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'publication of statistics',
                'verbose_name_plural': 'publications of statistics',
                'ordering': ['-published_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='ScreeningCountCoarse',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField()),
                ('sex', models.CharField(max_length=1)),
                ('age_band', models.CharField(max_length=8)),
                ('is_child', models.BooleanField()),
                ('region', models.CharField(max_length=80)),
                ('n', models.PositiveIntegerField()),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('year', 'sex', 'age_band', 'is_child', 'region'), name='reporting_screeningcountcoarse_key')],
            },
        ),
        migrations.CreateModel(
            name='ScreeningCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField()),
                ('sex', models.CharField(max_length=1)),
                ('age_band', models.CharField(max_length=8)),
                ('is_child', models.BooleanField()),
                ('citizenship', models.CharField(max_length=2)),
                ('region', models.CharField(max_length=80)),
                ('n', models.PositiveIntegerField()),
                ('organisation', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='accounts.organisation')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('year', 'sex', 'age_band', 'is_child', 'citizenship', 'region', 'organisation'), name='reporting_screeningcount_key')],
            },
        ),
        migrations.RunPython(
            code=install,
            reverse_code=remove,
        ),
    ]
