"""The actor's role on each entry, and the chain re-keyed from plain SHA-256 to HMAC-SHA256.

Upgrade path (docs/architecture.md, "The audit rule"): the old SHA-256 chain is verified first
and the migration stops if it is broken, so re-keying cannot launder an earlier edit; then every
entry's MAC is recomputed under ``NRM_AUDIT_KEY`` (role empty: it was not recorded) and one
``audit.rekey`` entry records how many were re-chained and the old head. A new database has
nothing to re-chain and writes no entry.
"""

import datetime as dt
import hashlib
import json

from django.db import migrations, models

import nrm.audit.models


def _legacy_digest(prev: str, e) -> str:
    at = e.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    payload = json.dumps(
        [e.seq, at, e.actor_id, e.actor, e.organisation_id, e.action, e.object_type, e.object_id, e.outcome,
         e.reason, e.detail],
        separators=(",", ":"), sort_keys=True, ensure_ascii=False, default=str,
    )
    return hashlib.sha256((prev + payload).encode("utf-8")).hexdigest()


def remove_triggers(apps, schema_editor):
    from nrm.audit.triggers import remove

    remove(schema_editor.connection)


def install_triggers(apps, schema_editor):
    from nrm.audit.triggers import install_strict as install

    install(schema_editor.connection)


def rechain(apps, schema_editor):
    from django.utils import timezone

    from nrm.audit.services import GENESIS, _at_text, _mac

    AuditEntry = apps.get_model("audit", "AuditEntry")
    AuditHead = apps.get_model("audit", "AuditHead")
    prev_old = prev_new = GENESIS
    count = 0
    for e in AuditEntry.objects.order_by("seq").iterator(chunk_size=5000):
        if e.seq != count + 1 or e.prev_hash != prev_old or _legacy_digest(prev_old, e) != e.hash:
            raise RuntimeError(
                f"audit chain does not verify at entry {e.seq}: investigate before upgrading (nothing changed)"
            )
        prev_old = e.hash
        fields = [e.seq, _at_text(e.at), e.actor_id, e.actor, e.organisation_id, "", e.action, e.object_type,
                  e.object_id, e.outcome, e.reason, e.detail]
        mac = _mac(prev_new, fields)
        # The detail written again, in the canonical text the MAC covers (CanonicalJSONEncoder).
        AuditEntry.objects.filter(pk=e.pk).update(prev_hash=prev_new, hash=mac, detail=e.detail)
        prev_new = mac
        count += 1
    if not count:
        return
    now = timezone.now()
    at = now.replace(microsecond=now.microsecond // 1000 * 1000)
    seq, detail = count + 1, {"entries": count, "old_head": prev_old}
    fields = [seq, _at_text(at), None, "nrm migrate", None, "", "audit.rekey", "audit", "", "allowed", "", detail]
    mac = _mac(prev_new, fields)
    AuditEntry.objects.create(seq=seq, at=at, actor_id=None, actor="nrm migrate", organisation_id=None, role="",
                              action="audit.rekey", object_type="audit", object_id="", outcome="allowed", reason="",
                              detail=detail, prev_hash=prev_new, hash=mac)
    AuditHead.objects.update_or_create(pk=1, defaults={"seq": seq, "hash": mac})


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    # elidable: re-chaining and the strict triggers matter to existing databases only; the squash
    # (new databases only) installs 0004's triggers.
    operations = [
        migrations.RunPython(remove_triggers, install_triggers, elidable=True),
        migrations.AddField(
            model_name="auditentry",
            name="role",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="detail",
            field=models.JSONField(default=dict, encoder=nrm.audit.models.CanonicalJSONEncoder),
        ),
        migrations.RunPython(rechain, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(install_triggers, remove_triggers, elidable=True),
    ]
