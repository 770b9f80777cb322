"""Bind encrypted fields to their row: a distinct binding UUID for every existing row."""

from django.db import migrations

from nrm.core.binding_migration import add_binding


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_translated_names")]

    operations = add_binding("cases", ["Person", "Case", "Screening", "CaseNote"])
