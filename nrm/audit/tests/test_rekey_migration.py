"""Upgrading re-keys an existing SHA-256 chain to the MAC chain, after checking it, and records it.

The migration's function runs on the current models inside the test's transaction: running the
migration itself back and forth would need a flushed database without the append-only triggers.
"""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db import connection

from nrm.audit import triggers
from nrm.audit.models import AuditEntry, AuditHead
from nrm.audit.services import audit_verify

migration = importlib.import_module("nrm.audit.migrations.0003_role_and_mac_chain")


@pytest.fixture
def empty(db):
    triggers.remove(connection)
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditentry")
        cur.execute("DELETE FROM audit_audithead")


def write_legacy(n: int, *, edit: int | None = None) -> None:
    """Write a chain as the SHA-256 version did (JSON detail as Django wrote it by default)."""
    prev = "0" * 64
    base = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    for seq in range(1, n + 1):
        e = AuditEntry(
            seq=seq,
            at=base + dt.timedelta(minutes=seq, milliseconds=seq),
            actor_id=7,
            actor="casewrk",
            organisation_id=3,
            action="case.view",
            object_type="case",
            object_id=str(seq),
            outcome="allowed",
            reason="web",
            detail={"name": "Ćirić", "identity": True},
            prev_hash=prev,
        )
        e.hash = migration._legacy_digest(prev, e)
        if seq == edit:
            e.reason = "edited before the upgrade"
        e.save()
        prev = e.hash
    AuditHead.objects.create(pk=1, seq=n, hash=prev)


def test_upgrade_rechains_a_sound_chain_and_records_it(empty):
    write_legacy(4)
    assert not audit_verify().ok  # not a MAC chain yet
    migration.rechain(apps, None)
    assert audit_verify().ok
    rekey = AuditEntry.objects.get(seq=5)
    assert (rekey.action, rekey.detail["entries"]) == ("audit.rekey", 4)


def test_upgrade_refuses_a_broken_chain(empty):
    write_legacy(4, edit=2)
    with pytest.raises(RuntimeError, match="entry 2"):
        migration.rechain(apps, None)


def test_a_new_database_has_nothing_to_rekey(empty):
    migration.rechain(apps, None)
    assert not AuditEntry.objects.exists()
