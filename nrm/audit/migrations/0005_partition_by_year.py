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

TABLE = "audit_auditentry"


def _rebuild(connection, *, partitioned: bool) -> None:
    """Copy the table into a new one, partitioned or plain, keeping rows, indexes and triggers."""
    from nrm.audit import partitions, triggers

    new = f"{TABLE}_new"
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s", [TABLE])
        indexes = cursor.fetchall()
        cursor.execute(
            f"SELECT DISTINCT extract(year FROM at AT TIME ZONE 'UTC')::int FROM {TABLE}"  # noqa: S608
        )
        years = [y for (y,) in cursor.fetchall()]
        cursor.execute("SELECT coalesce(max(id), 0) FROM " + TABLE)  # noqa: S608
        last_id = cursor.fetchone()[0]
        triggers.remove(connection)
        kind = " PARTITION BY RANGE (at)" if partitioned else ""
        cursor.execute(f"CREATE TABLE {new} (LIKE {TABLE} INCLUDING DEFAULTS){kind}")
        cursor.execute(f"ALTER TABLE {new} ALTER COLUMN id DROP DEFAULT")  # the old table's sequence, dropped with it
        if partitioned:
            cursor.execute(f"CREATE TABLE {partitions.DEFAULT} PARTITION OF {new} DEFAULT")
        # Rows go straight into their years' partitions, created below once the name is free.
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_old")
        cursor.execute(f"ALTER TABLE {new} RENAME TO {TABLE}")
        if partitioned:
            partitions.ensure(connection, years=years)
        cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {TABLE}_old ORDER BY id")  # noqa: S608
        cursor.execute(f"DROP TABLE {TABLE}_old")  # frees the index names and the old id sequence
        cursor.execute(f"CREATE SEQUENCE {TABLE}_id_seq OWNED BY {TABLE}.id")
        cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{TABLE}_id_seq')")
        if last_id:
            cursor.execute(f"SELECT setval('{TABLE}_id_seq', %s)", [last_id])
        for name, definition in indexes:
            cursor.execute(_index(name, definition, partitioned=partitioned))
        triggers.install(connection)


def _index(name: str, definition: str, *, partitioned: bool) -> str:
    """The statement creating index ``name`` again, adapted to the new table."""
    if name == f"{TABLE}_pkey":
        return f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} PRIMARY KEY ({'id, at' if partitioned else 'id'})"
    if name == f"{TABLE}_seq_key":  # Django's UNIQUE of seq; a plain index when partitioned
        return f"CREATE INDEX {name} ON {TABLE} (seq)" if partitioned else f"ALTER TABLE {TABLE} ADD UNIQUE (seq)"
    return definition


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _rebuild(schema_editor.connection, partitioned=True)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _rebuild(schema_editor.connection, partitioned=False)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_sealed_after_commit")]

    operations = [migrations.RunPython(forwards, backwards)]
