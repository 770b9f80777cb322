"""The audit chain: rows are written, and any edit or deletion makes verification fail."""

import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from nrm.audit.models import AuditEntry
from nrm.audit.services import audit_record, audit_verify


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


def test_an_append_is_three_statements_and_no_savepoint(chain):
    """The head is locked and read, the row inserted, the head moved: nothing else in the caller's transaction."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        audit_record(actor=None, action="case.view", object_type="case", object_id=99, reason="test")
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements == ["SELECT", "INSERT", "UPDATE"]


def test_a_failed_append_fails_the_callers_transaction(chain, monkeypatch):
    """Without a savepoint of its own, an append that fails leaves nothing of the caller's work to commit."""
    from django.db import transaction

    from nrm.audit import services

    monkeypatch.setattr(services, "_mac", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("no key")))
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=None, action="case.view", object_type="case", object_id=1)
    assert AuditEntry.objects.count() == before
