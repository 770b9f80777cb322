"""The screenings' analytics tables, their triggers, and their first count (see nrm.reporting.aggregates)."""

import django.db.models.deletion
from django.db import migrations, models


def install(apps, schema_editor):
    from nrm.reporting import aggregates

    aggregates.install(schema_editor.connection)
    aggregates.recount(schema_editor.connection)


def remove(apps, schema_editor):
    from nrm.reporting import aggregates

    aggregates.remove(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_api_tokens'),
        ('cases', '0006_binding'),
        ('reporting', '0001_publication'),
    ]

    operations = [
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
        migrations.RunPython(install, remove),
    ]
