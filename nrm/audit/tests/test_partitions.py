"""Issue E: on PostgreSQL the audit table is partitioned by year and behaves exactly as before.

Rows land in their year's partition (a year without one in the DEFAULT partition, moved out by
``ensure``), the table stays append-only (but for sealing), ``seq`` stays unique across
partitions, seal, verify and backup/restore work, and the migration keeps every row. SQLite
keeps one plain table: these tests are skipped there.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from nrm.audit import partitions, triggers
from nrm.audit.models import AuditEntry
from nrm.audit.services import audit_record, audit_seal, audit_verify

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitioning is PostgreSQL's; SQLite keeps one table"
)
THIS_YEAR = dt.datetime.now(dt.UTC).year


def entry_at(at: dt.datetime, object_id: str = "1") -> AuditEntry:
    e = AuditEntry(at=at, actor="test", action="case.view", object_type="case", object_id=object_id, reason="t")
    e.save(force_insert=True)
    return e


def partition_of(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM audit_auditentry WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def rows() -> list[tuple]:
    return list(AuditEntry.objects.order_by("id").values_list("id", "seq", "at", "action", "detail", "hash"))


def test_the_table_is_partitioned_by_year_ahead_with_a_default(db):
    assert partitions.is_partitioned()
    years = [p.year for p in partitions.partition_list()]
    assert {THIS_YEAR, THIS_YEAR + 1} <= set(years) and years[-1] is None  # ahead, and the DEFAULT last
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_partkeydef(to_regclass('audit_auditentry'))")
        assert cursor.fetchone()[0] == "RANGE (at)"


def test_the_command_creates_next_years_partition_and_lists_them(db, capsys):
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {partitions.partition_name(THIS_YEAR + 1)}")
    call_command("audit", "partitions")
    out = capsys.readouterr().out
    assert f"created the partitions of {THIS_YEAR + 1}" in out
    assert f"{partitions.partition_name(THIS_YEAR)}: {THIS_YEAR}, " in out and "any other year, 0 rows" in out


def test_rows_land_in_their_years_partition_and_stray_years_move_out_of_the_default(db):
    now = entry_at(dt.datetime(THIS_YEAR, 6, 1, tzinfo=dt.UTC))
    # The last millisecond of a UTC year is that year's; the next one the next year's.
    eve = entry_at(dt.datetime(THIS_YEAR, 12, 31, 23, 59, 59, 999000, tzinfo=dt.UTC))
    dawn = entry_at(dt.datetime(THIS_YEAR + 1, 1, 1, tzinfo=dt.UTC))
    old = entry_at(dt.datetime(1995, 3, 1, tzinfo=dt.UTC))
    assert partition_of(now.pk) == partition_of(eve.pk) == partitions.partition_name(THIS_YEAR)
    assert partition_of(dawn.pk) == partitions.partition_name(THIS_YEAR + 1)
    assert partition_of(old.pk) == partitions.DEFAULT  # no year without a partition fails an append
    before = rows()

    assert partitions.ensure() == [1995]
    assert partition_of(old.pk) == partitions.partition_name(1995)
    assert rows() == before  # moved, not changed
    assert partitions.ensure() == []  # idempotent
    assert audit_verify().ok  # sealed and chained as before, whatever the partition

    later = entry_at(dt.datetime(1995, 7, 1, tzinfo=dt.UTC))
    assert partition_of(later.pk) == partitions.partition_name(1995)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET reason = 'edited' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
        # The partition itself, not only the parent, refuses.
        f"UPDATE audit_auditentry_y{THIS_YEAR} SET actor = 'edited' WHERE id = %s",
        f"DELETE FROM audit_auditentry_y{THIS_YEAR} WHERE id = %s",
        "UPDATE audit_auditentry SET at = at - interval '400 days' WHERE id = %s",  # into another partition
    ],
)
def test_append_only_still_holds_on_every_partition(db, sql):
    e = audit_record(actor=None, action="case.view", object_type="case", object_id=1, reason="t")
    audit_seal()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [e.pk])
    assert AuditEntry.objects.get(pk=e.pk).reason == "t"


def test_seq_stays_unique_across_partitions(db):
    sealed = entry_at(dt.datetime(THIS_YEAR, 2, 1, tzinfo=dt.UTC))
    audit_seal()
    taken = AuditEntry.objects.get(pk=sealed.pk).seq
    other = entry_at(dt.datetime(THIS_YEAR + 1, 2, 1, tzinfo=dt.UTC))  # another partition
    # Exactly the sealing update the trigger allows, but with a seq already in the chain.
    sealing = "UPDATE audit_auditentry SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s"
    with pytest.raises(DatabaseError, match=f"seq {taken} is taken"), transaction.atomic(), connection.cursor() as c:
        c.execute(sealing, [taken, "0" * 64, "1" * 64, other.pk])
    with pytest.raises(DatabaseError, match=f"seq {taken} is taken"), transaction.atomic():
        AuditEntry(seq=taken, at=other.at, actor="x", action="a", object_type="o").save(force_insert=True)
    assert audit_seal() == 1 and audit_verify().ok


def test_seal_and_verify_work_across_years(db):
    for year in (THIS_YEAR, THIS_YEAR + 1, 1990, THIS_YEAR):
        entry_at(dt.datetime(year, 5, 5, tzinfo=dt.UTC))
    audit_record(actor=None, action="case.view", object_type="case", object_id=2, reason="t")
    assert audit_seal() >= 5
    result = audit_verify()
    assert result.ok, result.problem
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_backup_restore_round_trips_exactly_and_partitions_restored_years(db, tmp_path):
    entry_at(dt.datetime(1997, 1, 1, tzinfo=dt.UTC))  # in the DEFAULT partition
    audit_record(actor=None, action="case.view", object_type="case", object_id=3, reason="t")
    audit_seal()
    before = rows()
    path = tmp_path / "b.nrm"
    call_command("backup", str(path))
    call_command("restore", str(path), "--force")
    assert rows() == before
    assert partition_of(before[-2][0]) == partitions.partition_name(1997)  # restored out of the DEFAULT
    assert audit_verify().ok
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry")  # the triggers are back after restore


def test_the_migration_keeps_rows_indexes_and_triggers_both_ways(db):
    old = entry_at(dt.datetime(1999, 8, 8, tzinfo=dt.UTC))
    entry_at(dt.datetime(THIS_YEAR, 8, 8, tzinfo=dt.UTC))
    audit_seal()
    before = rows()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'audit_auditentry'")
        indexes = {name for (name,) in cursor.fetchall()}

    partitions.rebuild(connection, partitioned=False)
    assert not partitions.is_partitioned() and rows() == before
    with pytest.raises(DatabaseError), transaction.atomic():  # unique again as a plain table
        AuditEntry(seq=before[0][1], at=before[0][2], actor="x", action="a", object_type="o").save(force_insert=True)

    partitions.rebuild(connection, partitioned=True)
    assert partitions.is_partitioned() and rows() == before
    assert partition_of(old.pk) == partitions.partition_name(1999)
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'audit_auditentry'")
        assert {name for (name,) in cursor.fetchall()} == indexes
    new = audit_record(actor=None, action="case.view", object_type="case", object_id=4, reason="t")
    assert new.pk > before[-1][0]  # the id sequence continues
    assert audit_verify().ok
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [new.pk])


def test_install_picks_the_partitioned_triggers(db):
    triggers.remove(connection)
    triggers.install(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass('audit_auditentry') ORDER BY 1")
        assert [name for (name,) in cursor.fetchall()] == ["audit_append_only", "audit_seq_unique"]
