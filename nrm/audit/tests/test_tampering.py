"""Issue D: every tampering with the audit chain is detected, naming the row.

The chain is an HMAC under a key outside the database, and a signed checkpoint taken outside the
database pins the head. Each case below tampers as someone with the database owner's rights
could (triggers dropped), then ``nrm audit verify --checkpoint FILE`` must fail naming the entry.
"""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from nrm.audit import triggers
from nrm.audit.checkpoints import CheckpointError, read_checkpoints
from nrm.audit.models import AuditEntry, AuditHead
from nrm.audit.services import _at_text, _mac, audit_record, audit_verify

WRONG_KEY = b"an attacker's guess, not the key"


@pytest.fixture
def chain(db, tmp_path):
    """Five more entries, a signed checkpoint of the head, and the triggers dropped."""
    for i in range(5):
        audit_record(actor=None, action="case.view", object_type="case", object_id=i, reason="test")
    path = tmp_path / "checkpoints.jsonl"
    call_command("audit", "checkpoint", "--output", str(path))
    triggers.remove(connection)
    last = AuditHead.objects.get().seq
    return {"path": path, "s": {n: last - 5 + n for n in range(1, 6)}, "last": last}


def recompute(start: int, key: bytes = WRONG_KEY) -> None:
    """Recompute every MAC from entry ``start`` on with ``key`` and reset the head, as a forger would."""
    prev = AuditEntry.objects.get(seq=start - 1).hash if start > 1 else "0" * 64
    for e in AuditEntry.objects.filter(seq__gte=start).order_by("seq"):
        fields = [
            e.seq,
            _at_text(e.at),
            e.actor_id,
            e.actor,
            e.organisation_id,
            e.role,
            e.action,
            e.object_type,
            e.object_id,
            e.outcome,
            e.reason,
            e.detail,
        ]
        mac = _mac(prev, fields, key)
        AuditEntry.objects.filter(pk=e.pk).update(prev_hash=prev, hash=mac)
        prev = mac
    AuditHead.objects.update_or_create(pk=1, defaults={"seq": AuditEntry.objects.count(), "hash": prev})


def sql(statement: str) -> None:
    with connection.cursor() as cur:
        cur.execute(statement)


def edit_payload(s):
    sql(f"UPDATE audit_auditentry SET reason = 'nothing to see' WHERE seq = {s[3]}")
    return s[3]


def edit_mac(s):
    sql(f"UPDATE audit_auditentry SET hash = '{'ab' * 32}' WHERE seq = {s[3]}")
    return s[3]


def delete_middle(s):
    sql(f"DELETE FROM audit_auditentry WHERE seq = {s[2]}")
    return s[2]


def delete_last(s):
    sql(f"DELETE FROM audit_auditentry WHERE seq >= {s[4]}")
    return s[4]


def delete_last_and_reset_head(s):
    AuditHead.objects.filter(pk=1).update(seq=s[3], hash=AuditEntry.objects.get(seq=s[3]).hash)
    sql(f"DELETE FROM audit_auditentry WHERE seq >= {s[4]}")
    return s[4]


def delete_everything(s):
    sql("DELETE FROM audit_auditentry")
    sql("DELETE FROM audit_audithead")
    return 1


def insert_forged(s):
    head = AuditHead.objects.get()
    forged = "cd" * 32
    sql(
        "INSERT INTO audit_auditentry (seq, at, actor, role, action, object_type, object_id, outcome, reason, "
        f"detail, prev_hash, hash) VALUES ({head.seq + 1}, '2020-01-01 00:00:00', 'admin', '', 'case.view', "
        f"'case', '1', 'allowed', '', '{{}}', '{head.hash}', '{forged}')"
    )
    AuditHead.objects.filter(pk=1).update(seq=head.seq + 1, hash=forged)
    return head.seq + 1


def swap_rows(s):
    sql(f"UPDATE audit_auditentry SET seq = -1 WHERE seq = {s[2]}")
    sql(f"UPDATE audit_auditentry SET seq = {s[2]} WHERE seq = {s[3]}")
    sql(f"UPDATE audit_auditentry SET seq = {s[3]} WHERE seq = -1")
    return s[2]


def edit_and_recompute(s):
    sql(f"UPDATE audit_auditentry SET reason = 'nothing to see' WHERE seq = {s[3]}")
    recompute(s[3])
    return s[3]


def delete_renumber_recompute(s):
    sql(f"DELETE FROM audit_auditentry WHERE seq = {s[2]}")
    for seq in range(s[3], s[5] + 1):
        sql(f"UPDATE audit_auditentry SET seq = {seq - 1} WHERE seq = {seq}")
    recompute(s[2])
    return s[2]


def backdate(s):
    earlier = AuditEntry.objects.get(seq=s[1]).at - dt.timedelta(days=1)
    AuditEntry.objects.filter(seq=s[4]).update(at=earlier)
    return s[4]


def edit_actor_and_role(s):
    AuditEntry.objects.filter(seq=s[3]).update(actor="someone else", role="coordinator")
    return s[3]


def rewrite_with_the_key(s):
    """Someone who holds the audit key rewrites history: only the signed checkpoint shows it."""
    from django.conf import settings

    sql(f"UPDATE audit_auditentry SET reason = 'nothing to see' WHERE seq = {s[3]}")
    recompute(s[3], settings.NRM_AUDIT_KEY)
    return s[5]


TAMPERINGS = [
    edit_payload,
    edit_mac,
    delete_middle,
    delete_last,
    delete_last_and_reset_head,
    delete_everything,
    insert_forged,
    swap_rows,
    edit_and_recompute,
    delete_renumber_recompute,
    backdate,
    edit_actor_and_role,
    rewrite_with_the_key,
]


def test_untouched_chain_verifies_against_its_checkpoint(chain, capsys):
    call_command("audit", "verify", "--checkpoint", str(chain["path"]))
    assert "1 checkpoints hold" in capsys.readouterr().out
    [mark] = read_checkpoints(chain["path"])
    assert (mark.seq, mark.count, mark.mac) == (chain["last"], chain["last"], AuditHead.objects.get().hash)


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=lambda f: f.__name__)
def test_tampering_is_detected_naming_the_entry(chain, tamper):
    entry = tamper(chain["s"])
    result = audit_verify(read_checkpoints(chain["path"]))
    assert not result.ok
    assert f"entry {entry}" in result.problem, result.problem
    with pytest.raises(CommandError, match=f"entry {entry}\\b"):
        call_command("audit", "verify", "--checkpoint", str(chain["path"]))


def test_a_later_backup_replayed_over_the_chain_is_detected(chain, tmp_path):
    """Restoring an older backup drops the entries written since: the checkpoint taken after them sees it."""
    triggers.install(connection)
    older = tmp_path / "older.nrm"
    call_command("backup", str(older))
    audit_record(actor=None, action="case.view", object_type="case", object_id=99)
    later = tmp_path / "later.jsonl"
    call_command("audit", "checkpoint", "--out", str(later))
    call_command("restore", str(older), "--force")
    assert audit_verify().ok  # the restored chain is consistent in itself
    result = audit_verify(read_checkpoints(later))
    assert not result.ok and f"entry {chain['last'] + 1} is missing" in result.problem


def test_an_altered_checkpoint_is_refused_naming_the_line(chain):
    lines = chain["path"].read_text().splitlines()
    mark = json.loads(lines[0])
    mark["seq"] -= 2  # to cover entries deleted from the end
    chain["path"].write_text(json.dumps(mark) + "\n")
    with pytest.raises(CheckpointError, match="line 1: the signature does not verify"):
        read_checkpoints(chain["path"])
    with pytest.raises(CommandError, match="line 1"):
        call_command("audit", "verify", "--checkpoint", str(chain["path"]))


def test_a_broken_chain_is_not_checkpointed(chain, tmp_path):
    edit_payload(chain["s"])
    out = tmp_path / "new.jsonl"
    with pytest.raises(CommandError, match=f"not signing a broken chain: entry {chain['s'][3]}"):
        call_command("audit", "checkpoint", "--out", str(out))
    assert not out.exists()


def test_the_public_key_alone_verifies_checkpoints(chain, capsys):
    call_command("audit", "public-key")
    public = capsys.readouterr().out.strip()
    assert len(read_checkpoints(chain["path"], public)) == 1
    other = "A" * 43 + "="
    with pytest.raises(CheckpointError, match="signature does not verify"):
        read_checkpoints(chain["path"], other)


def test_checkpoint_appends_to_the_configured_file_by_default(db, tmp_path, settings):
    settings.NRM_AUDIT_CHECKPOINTS = tmp_path / "off-site" / "checkpoints.jsonl"
    audit_record(actor=None, action="case.view", object_type="case", object_id=1)
    call_command("audit", "checkpoint")
    audit_record(actor=None, action="case.view", object_type="case", object_id=2)
    call_command("audit", "checkpoint")
    marks = read_checkpoints(settings.NRM_AUDIT_CHECKPOINTS)
    assert [m.seq for m in marks] == [marks[0].seq, marks[0].seq + 1]
    assert audit_verify(marks).ok
