"""Bind encrypted fields to their row: a distinct binding UUID for every existing row."""

from django.db import migrations

from nrm.core.binding_migration import add_binding


class Migration(migrations.Migration):
    dependencies = [("prevention", "0002_translated_names")]

    operations = add_binding("prevention", ["Event"])
