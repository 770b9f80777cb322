"""On PostgreSQL, the audit table becomes a table partitioned by RANGE of ``at``, one partition
per (UTC) year and a DEFAULT one (``nrm.audit.partitions``); SQLite is unchanged.

Rows are copied with their id, seq and MACs, so the chain verifies as before; every index of the
old table is created again under its own name (partitioned indexes), except that the primary key
becomes (id, at) and ``seq`` loses UNIQUE, which PostgreSQL allows on a partitioned table only
with the partition key: its uniqueness moves into the sealing trigger (``nrm.audit.triggers``).
Django's model state is unchanged (it still says ``seq`` is unique, true on SQLite): a later
migration altering ``seq`` must handle this table by hand on PostgreSQL.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from nrm.audit import partitions

    if schema_editor.connection.vendor == "postgresql":
        partitions.rebuild(schema_editor.connection, partitioned=True)


def backwards(apps, schema_editor):
    from nrm.audit import partitions

    if schema_editor.connection.vendor == "postgresql":
        partitions.rebuild(schema_editor.connection, partitioned=False)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_sealed_after_commit")]

    operations = [migrations.RunPython(forwards, backwards)]
