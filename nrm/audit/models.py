"""The append-only audit log, chained by a keyed MAC."""

from __future__ import annotations

import json

from django.db import models


class CanonicalJSONEncoder(json.JSONEncoder):
    """Sorted keys, no spaces, UTF-8 as is: the text the chain's MAC covers.

    The detail column is written with it, so on SQLite the stored text is already canonical and
    verification need not parse and re-encode it.
    """

    def __init__(self, **kwargs):
        kwargs.update(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        super().__init__(**kwargs)

    def default(self, o):
        return str(o)


class AuditEntry(models.Model):
    """One audited event: who did what to which object, when and why, and whether it was allowed.

    A row is inserted unsealed (``seq`` NULL, no MACs) in the caller's transaction, then sealed
    after commit (:func:`nrm.audit.services.audit_seal`): ``seq`` is its position in the chain
    (sealing order, contiguous from 1) and ``hash`` the HMAC-SHA256 (key ``NRM_AUDIT_KEY``, kept
    outside the database) of the previous row's MAC (``prev_hash``) and its own content, so
    editing, inserting or deleting any row breaks the chain that ``nrm audit verify`` checks, and
    nobody without the key can recompute it. ``id`` is the insertion order. Truncation is caught
    by the signed checkpoints kept outside the database (``nrm audit checkpoint``).
    """

    class Outcome(models.TextChoices):
        ALLOWED = "allowed"
        DENIED = "denied"

    # NULL until sealed; then the position in the chain, set once (the triggers allow nothing else).
    seq = models.BigIntegerField(unique=True, null=True)
    at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True)
    actor = models.CharField(max_length=150)
    organisation_id = models.BigIntegerField(null=True)
    # The actor's roles when acting (in the acting organisation when one is named), comma-separated.
    role = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.ALLOWED)
    reason = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, encoder=CanonicalJSONEncoder)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor_id", "at"]),
            # The sealer's work list: small, whatever the chain's length.
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="audit_unsealed"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq or '-'} {self.actor} {self.action} {self.object_type}:{self.object_id} {self.outcome}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("audit entries are append-only")


class AuditHead(models.Model):
    """The chain's sealed end (last ``seq`` and MAC): locked by the sealer alone, never by an append."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head at {self.seq}"
