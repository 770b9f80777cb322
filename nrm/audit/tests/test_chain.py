"""The audit chain: rows are written, and any edit or deletion makes verification fail."""

import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from nrm.audit.models import AuditEntry
from nrm.audit.services import audit_record, audit_seal, audit_verify


@pytest.fixture
def tamper(chain):
    """Drop the append-only triggers, as someone with the database owner's rights could."""
    from nrm.audit import triggers

    triggers.remove(connection)
    return chain


@pytest.fixture
def chain(db):
    """Return the log after five more entries (the loaded world may have written some before)."""
    for i in range(5):
        audit_record(actor=None, action="case.view", object_type="case", object_id=i, reason="test")
    audit_seal()  # inside the test's transaction no commit seals them
    return list(AuditEntry.objects.order_by("seq"))


def seq(chain, n: int) -> int:
    """Return the sequence number of the n-th (1-based) of the five entries the test wrote."""
    return chain[len(chain) - 5 + n - 1].seq


def test_intact_chain_verifies(chain, capsys):
    assert audit_verify().ok
    call_command("audit", "verify")
    assert f"{len(chain)} entries verified" in capsys.readouterr().out


def test_rows_are_linked(chain):
    assert chain[0].seq == 1 and chain[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))


def test_model_refuses_update_and_delete(chain):
    with pytest.raises(RuntimeError):
        chain[0].save()
    with pytest.raises(RuntimeError):
        chain[0].delete()


def test_database_refuses_update_and_delete(chain):
    from django.db import DatabaseError, transaction

    for sql in (
        f"UPDATE audit_auditentry SET reason = 'x' WHERE seq = {seq(chain, 1)}",
        f"DELETE FROM audit_auditentry WHERE seq = {seq(chain, 5)}",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert AuditEntry.objects.count() == len(chain) and audit_verify().ok


def test_edited_row_is_detected(tamper):
    with connection.cursor() as cur:
        cur.execute(f"UPDATE audit_auditentry SET reason = 'nothing to see' WHERE seq = {seq(tamper, 3)}")
    result = audit_verify()
    assert not result.ok and f"entry {seq(tamper, 3)}" in result.problem
    with pytest.raises(CommandError, match=f"entry {seq(tamper, 3)}"):
        call_command("audit", "verify")


def test_deleted_middle_row_is_detected(tamper):
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM audit_auditentry WHERE seq = {seq(tamper, 2)}")
    assert f"entry {seq(tamper, 2)} is missing" in audit_verify().problem


def test_deleted_last_row_is_detected(tamper):
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM audit_auditentry WHERE seq = {seq(tamper, 5)}")
    result = audit_verify()
    assert not result.ok and "deleted" in result.problem


def test_an_append_is_one_insert_and_no_savepoint(chain):
    """One INSERT in the caller's transaction, no lock: the chain is sealed after commit."""
    from django.test.utils import CaptureQueriesContext

    from nrm.audit import services

    with CaptureQueriesContext(connection) as queries:
        entry = audit_record(actor=None, action="case.view", object_type="case", object_id=99, reason="test")
        audit_record(actor=None, action="case.view", object_type="case", object_id=98, reason="test")
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements == ["INSERT", "INSERT"]
    # One seal after the commit of the (test's) transaction, however many rows it wrote.
    [seal] = [func for _sids, func, _robust in connection.run_on_commit if func is services.seal_soon]
    entry.refresh_from_db()
    assert entry.seq is None and entry.hash == ""
    seal()
    entry.refresh_from_db()
    assert entry.seq == chain[-1].seq + 1 and entry.prev_hash == chain[-1].hash and len(entry.hash) == 64
    assert audit_verify(seal=False).ok


def test_the_database_allows_only_the_sealing_of_an_unsealed_row(chain):
    """Chain columns may be set once, on an unsealed row, with nothing else changed."""
    from django.db import DatabaseError, transaction

    entry = audit_record(actor=None, action="case.view", object_type="case", object_id=7)
    mac = "ab" * 32
    for sql in (
        # content changed while sealing
        f"UPDATE audit_auditentry SET seq = 999, prev_hash = '{mac}', hash = '{mac}', reason = 'x' "
        f"WHERE id = {entry.pk}",
        f"UPDATE audit_auditentry SET reason = 'x' WHERE id = {entry.pk}",  # an unsealed row's content
        f"UPDATE audit_auditentry SET seq = 999, hash = '{mac}' WHERE id = {entry.pk}",  # no prev_hash
        f"UPDATE audit_auditentry SET hash = '{mac}' WHERE seq = {seq(chain, 2)}",  # sealing again
        f"UPDATE audit_auditentry SET seq = NULL WHERE seq = {seq(chain, 5)}",  # unsealing
        f"DELETE FROM audit_auditentry WHERE id = {entry.pk}",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert audit_seal() == 1 and audit_verify().ok


def test_the_sealing_trigger_compares_every_column_but_the_chains():
    """A column added to the model is covered by the trigger only if CONTENT names it."""
    from nrm.audit import triggers

    columns = {f.column for f in AuditEntry._meta.concrete_fields}
    assert set(triggers.CONTENT) == columns - {"seq", "prev_hash", "hash"}


@pytest.mark.parametrize(
    "change",
    [
        "actor = 'x'",
        "organisation_id = 9",
        "role = 'x'",
        "action = 'x'",
        "object_id = '8'",
        "outcome = 'x'",
        "detail = '{\"a\": 2}'",
        "at = '2001-01-01 00:00:00+00'",
    ],
)
def test_sealing_may_change_no_content_column(db, change):
    from django.db import DatabaseError, transaction

    entry = audit_record(actor=None, action="case.view", object_type="case", object_id=7)
    mac = "ab" * 32
    sql = (
        f"UPDATE audit_auditentry SET seq = 99999, prev_hash = '{mac}', hash = '{mac}', {change} WHERE id = {entry.pk}"
    )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql)


def test_an_unsealed_row_past_the_grace_period_is_reported(chain):
    import datetime as dt

    from nrm.audit.services import UNSEALED_GRACE

    entry = audit_record(actor=None, action="case.view", object_type="case", object_id=7)
    assert audit_verify(seal=False).ok  # within the grace period: its seal is on the way
    old = AuditEntry.objects.filter(pk=entry.pk)
    with connection.cursor() as cur:  # as if written long ago and its seal lost (triggers dropped)
        from nrm.audit import triggers

        triggers.remove(connection)
        at = entry.at - UNSEALED_GRACE - dt.timedelta(seconds=1)
        cur.execute("UPDATE audit_auditentry SET at = %s WHERE id = %s", [at, entry.pk])
        triggers.install(connection)
    result = audit_verify(seal=False)
    assert not result.ok and f"entry id {entry.pk}" in result.problem and "unsealed" in result.problem
    with pytest.raises(CommandError, match="unsealed"):
        call_command("audit", "verify", "--no-seal")
    call_command("audit", "seal")
    assert old.get().seq == seq(chain, 5) + 1 and audit_verify(seal=False).ok


def test_a_failed_append_fails_the_callers_transaction(chain, monkeypatch):
    """Without a savepoint of its own, an append that fails leaves nothing of the caller's work to commit."""
    from django.db import DatabaseError, transaction

    from nrm.audit import services

    before = AuditEntry.objects.count()
    with pytest.raises(DatabaseError), transaction.atomic():
        audit_record(actor=None, action="case.view", object_type="case", object_id=1, reason="the caller's work")
        monkeypatch.setattr(services, "_role_of", lambda *a, **k: None)  # NOT NULL: the INSERT is refused
        audit_record(actor=None, action="case.view", object_type="case", object_id=2)
    assert AuditEntry.objects.count() == before


def test_a_long_seal_commits_in_rounds_and_the_chain_verifies(db, monkeypatch):
    """More unsealed rows than one round holds: each round goes on from the head the last one wrote."""
    from nrm.audit import services

    audit_seal()
    monkeypatch.setattr(services, "ROUND_ROWS", 5)
    rounds = []
    real = services._seal_once
    monkeypatch.setattr(services, "_seal_once", lambda *a: rounds.append(real(*a)) or rounds[-1])
    for i in range(13):
        audit_record(actor=None, action="case.view", object_type="case", object_id=i, reason="test")
    assert audit_seal(batch=2) == 13
    # batches of 2 until a round holds 5 or more: 6, 6, then the last 1
    assert rounds == [6, 6, 1]
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
    assert audit_verify().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no dead row versions to clear")
@pytest.mark.django_db(transaction=True)
def test_a_large_deferred_seal_leaves_the_table_vacuumed_on_postgresql(monkeypatch):
    """Sealing a bulk load updates every row: PostgreSQL gets its dead versions and statistics cleared."""
    from django.test.utils import CaptureQueriesContext

    from nrm.audit import services

    monkeypatch.setattr(services, "VACUUM_AFTER", 3)
    with CaptureQueriesContext(connection) as queries, services.sealing_deferred() as seal:
        for i in range(3):
            audit_record(actor=None, action="case.view", object_type="case", object_id=i, reason="test")
    assert seal.sealed >= 3 and audit_verify().ok
    assert any(q["sql"].startswith("VACUUM") for q in queries.captured_queries)


def test_rows_appended_sealed_verify_among_rows_sealed_afterwards(db):
    """Bulk rows chained as they are inserted (no update of each afterwards), between ordinary appends."""
    from nrm.audit import services

    audit_record(actor=None, action="case.view", object_type="case", object_id="before", reason="test")
    audit_seal()
    sealed_before = AuditEntry.objects.filter(seq__isnull=False).count()
    with services.sealing_deferred(), services.sealing_on_append():
        services.audit_record_many(
            {
                "actor": None,
                "action": "case.open",
                "object_type": "case",
                "object_id": i,
                "organisation_id": 7 if i % 2 else None,
                "reason": "bulk \u0161 \u0416",  # not ASCII: the message is UTF-8
                "detail": {"b": [1, 2.5, None], "a": "\u0161", "when": "2024-01-31"} if i % 3 else {},
            }
            for i in range(5)
        )
        # Sealed already, in the caller's transaction: no seal has run.
        assert AuditEntry.objects.filter(seq__isnull=False).count() == sealed_before + 5
        audit_record(actor=None, action="case.view", object_type="case", object_id="between", reason="test")
        services.audit_record_many([{"actor": None, "action": "case.open", "object_type": "case", "object_id": 9}])
    audit_seal()  # the ordinary append, chained after the bulk rows
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
    result = audit_verify()
    assert result.ok, result
    bulk = AuditEntry.objects.filter(action="case.open").order_by("seq")
    assert [e.object_id for e in bulk] == ["0", "1", "2", "3", "4", "9"]
    assert AuditEntry.objects.get(object_id="between").seq > bulk.last().seq


def test_a_row_appended_sealed_that_is_edited_fails_verification(db):
    from nrm.audit import services, triggers

    with services.sealing_on_append():
        services.audit_record_many([{"actor": None, "action": "case.open", "object_type": "case", "object_id": 1}])
    assert audit_verify().ok
    triggers.remove(connection)
    AuditEntry.objects.filter(action="case.open", object_id="1").update(reason="edited")
    assert not audit_verify().ok


def test_verify_reads_the_chain_a_batch_at_a_time(chain, monkeypatch):
    """On PostgreSQL through a server-side cursor: an ordinary one holds the whole result in memory."""
    used = []
    real = connection.chunked_cursor
    monkeypatch.setattr(connection, "chunked_cursor", lambda: used.append(connection.vendor) or real())
    result = audit_verify(batch=2)
    assert result.ok and result.checked == len(chain)
    assert used == [connection.vendor]


def test_a_mismatch_found_early_stops_the_reading_of_the_rest(tamper):
    """Verify stops at the first bad row; the batches fetched ahead are dropped and the fetcher ends."""
    import threading

    AuditEntry.objects.filter(seq=seq(tamper, 2)).update(reason="edited")
    before = threading.active_count()
    result = audit_verify(batch=1)
    assert not result.ok and f"entry {seq(tamper, 2)}" in result.problem
    assert threading.active_count() == before
    assert not [t for t in threading.enumerate() if t.name == "nrm-audit-verify-fetch"]
