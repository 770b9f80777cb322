"""The audit table partitioned by year of ``at`` on PostgreSQL (SQLite keeps one plain table).

Every audited read appends a row, so the table grows without end; yearly partitions keep each
index a year deep and let an old year be archived (detached with its checkpoints) as one table.
Migration ``audit.0005`` (or its squash) converts the table (:func:`rebuild`); :func:`ensure`
creates the partitions of this year and the next (run by ``nrm migrate`` and ``nrm audit
partitions``), and a DEFAULT partition takes any row whose year has none, so no append ever
fails; :func:`ensure` later moves such rows into their year's partition. Years are UTC years.

PostgreSQL requires the partition key in every unique index, so the primary key is (id, at)
(``id`` still comes from one sequence, so it stays unique) and ``seq`` cannot be UNIQUE across
partitions: its uniqueness is kept by the sealing trigger instead (``nrm.audit.triggers``,
under a transaction advisory lock so two sealers cannot both pass the check), with a plain
index on ``seq`` for the seal's and verify's lookups.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection as default_connection
from django.db import transaction
from django.utils import timezone

from nrm.audit import triggers
from nrm.audit.triggers import TABLE, is_partitioned

DEFAULT = f"{TABLE}_default"
# Partitions created ahead of today's year: a year's partition exists a year before it is needed.
AHEAD = 1
_BOUND = re.compile(r"FROM \('(\d{4})-")


def partition_name(year: int) -> str:
    return f"{TABLE}_y{year}"


@dataclass(frozen=True)
class Partition:
    name: str
    year: int | None  # None: the DEFAULT partition
    rows: int


def partition_list(connection=default_connection) -> list[Partition]:
    """The audit table's partitions with their rows, yearly ones in year order, then the default;
    [] unpartitioned."""
    if not is_partitioned(connection):
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)",
            [TABLE],
        )
        rows = cursor.fetchall()
        found = []
        for name, bound in rows:
            year = _BOUND.search(bound)
            # Exact (a scan per partition: this is an operator's command, run rarely).
            cursor.execute(f'SELECT count(*) FROM "{name}"')  # noqa: S608 - a name from the catalogue
            found.append(Partition(name, int(year.group(1)) if year else None, cursor.fetchone()[0]))
    return sorted(found, key=lambda p: (p.year is None, p.year or 0))


def ensure(connection=default_connection, *, years: Iterable[int] = (), ahead: int = AHEAD, today=None) -> list[int]:
    """Create the partitions of this year to ``ahead`` years on, of ``years``, and of every year
    the DEFAULT partition holds rows of (moving those rows there); return the years created.

    Does nothing unpartitioned (SQLite). Rows keep their id, seq and MACs, so the chain verifies
    as before. The DEFAULT partition is detached while its rows move: detaching drops its copy of
    the append-only trigger, attaching clones it back, so the parent's triggers hold throughout.
    """
    if not is_partitioned(connection):
        return []
    this = (today or timezone.now().astimezone(dt.UTC)).year
    wanted = set(range(this, this + ahead + 1)) | {int(y) for y in years}
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if not _missing(cursor, wanted):
            return []
        # Serialises concurrent callers (two migrates) and appends, for the few statements below.
        cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        missing = _missing(cursor, wanted)
        cursor.execute(
            f"SELECT DISTINCT extract(year FROM at AT TIME ZONE 'UTC')::int FROM {DEFAULT}"  # noqa: S608
        )
        strays = sorted(y for (y,) in cursor.fetchall() if y in missing)
        if strays:
            cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {DEFAULT}")
        for year in missing:
            cursor.execute(
                f"CREATE TABLE {partition_name(year)} PARTITION OF {TABLE} "
                f"FOR VALUES FROM ('{year}-01-01 00:00:00+00') TO ('{year + 1}-01-01 00:00:00+00')"
            )
        if strays:
            moved = f"extract(year FROM at AT TIME ZONE 'UTC')::int IN ({', '.join(str(y) for y in strays)})"
            cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {DEFAULT} WHERE {moved}")  # noqa: S608
            cursor.execute(f"DELETE FROM {DEFAULT} WHERE {moved}")  # noqa: S608 - detached: no trigger
            cursor.execute(f"ALTER TABLE {TABLE} ATTACH PARTITION {DEFAULT} DEFAULT")
    return missing


def _missing(cursor, wanted: set[int]) -> list[int]:
    """The wanted years without a partition, and the years of rows in the DEFAULT partition."""
    cursor.execute(
        "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(%s)",
        [TABLE],
    )
    have = {int(m.group(1)) for (bound,) in cursor.fetchall() if (m := _BOUND.search(bound))}
    cursor.execute(f"SELECT DISTINCT extract(year FROM at AT TIME ZONE 'UTC')::int FROM {DEFAULT}")  # noqa: S608
    return sorted((wanted | {y for (y,) in cursor.fetchall()}) - have)


def rebuild(connection, *, partitioned: bool) -> None:
    """Copy the table into a new one, partitioned or plain, keeping rows, indexes and triggers.

    Migration ``audit.0005`` and the squashed ``audit.0001_squashed_0005`` run it.
    """
    new = f"{TABLE}_new"
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s",
            [TABLE],
        )
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
            cursor.execute(f"CREATE TABLE {DEFAULT} PARTITION OF {new} DEFAULT")
        # Rows go straight into their years' partitions, created below once the name is free.
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_old")
        cursor.execute(f"ALTER TABLE {new} RENAME TO {TABLE}")
        if partitioned:
            ensure(connection, years=years)
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


def after_restore(connection) -> None:
    """Once a backup's rows are back: each year's partition (rows of a year without one went to the
    DEFAULT partition on PostgreSQL), then the append-only triggers (``nrm.core.backup``)."""
    ensure(connection)
    triggers.install(connection)
