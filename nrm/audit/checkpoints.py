"""Signed checkpoints of the audit chain, kept outside the database.

The MAC chain shows any edit by someone without ``NRM_AUDIT_KEY``, but not a chain cut short
with its head reset, nor one emptied, nor one recomputed by someone who has the key. A
checkpoint is one JSON line ``{"seq", "mac", "count", "at", "signature"}`` appended to a file
(``NRM_AUDIT_CHECKPOINTS``, or one given) that should be copied off the database's machine:
the head's sequence number and MAC, how many entries there were, when, and an Ed25519
signature by ``NRM_AUDIT_SIGNING_KEY``. Its public half (``nrm audit public-key``) lets
anyone check the signatures without being able to sign. Verifying against the file proves
that nothing at or before any checkpoint has changed since it was taken.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.utils import timezone

from nrm.audit.models import AuditEntry, AuditHead
from nrm.audit.services import GENESIS, AuditSealError, Checkpoint, audit_seal, audit_verify


class CheckpointError(Exception):
    """A checkpoint file that cannot be read, or a line whose signature does not verify."""


def _private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(settings.NRM_AUDIT_SIGNING_KEY)


def public_key_text() -> str:
    """Return the base64 of the signing key's public half (32 bytes, raw)."""
    return base64.b64encode(_private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def _public_key(text: str | None) -> Ed25519PublicKey:
    if not text:
        return _private_key().public_key()
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except ValueError:
        raise CheckpointError("public key: not the base64 of a 32-byte Ed25519 key") from None


def read_checkpoints(path: Path, public_key: str | None = None) -> list[Checkpoint]:
    """Return the checkpoints of ``path``, each signature checked; raise CheckpointError naming the line."""
    key = _public_key(public_key)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CheckpointError(f"{path}: {exc.strerror or exc}") from None
    found = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            mark = Checkpoint(seq=int(data["seq"]), mac=str(data["mac"]), count=int(data["count"]), at=str(data["at"]))
            key.verify(base64.b64decode(data["signature"], validate=True), mark.message())
        except (ValueError, KeyError, TypeError):
            raise CheckpointError(f"{path} line {number}: not a checkpoint") from None
        except InvalidSignature:
            raise CheckpointError(
                f"{path} line {number}: the signature does not verify (altered, or signed with another key)"
            ) from None
        found.append(mark)
    return found


def take_checkpoint(path: Path) -> Checkpoint:
    """Verify the chain (against ``path``'s earlier checkpoints, if any), then append a signed checkpoint.

    Refuses to sign a chain that does not verify: a checkpoint vouches for everything before it.
    """
    earlier = read_checkpoints(path) if path.exists() else []
    # A checkpoint signs sealed state: seal what is committed, then take the head.
    try:
        audit_seal()
    except AuditSealError as exc:
        raise CheckpointError(f"not signing a broken chain: {exc}") from None
    # The head first: the verification that follows then covers every entry up to it.
    head = AuditHead.objects.filter(pk=1).first()
    result = audit_verify(earlier, seal=False)
    if not result.ok:
        raise CheckpointError(f"not signing a broken chain: {result.problem}")
    mark = Checkpoint(
        seq=head.seq if head else 0,
        mac=head.hash if head else GENESIS,
        count=AuditEntry.objects.filter(seq__lte=head.seq if head else 0).count(),
        at=timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    signature = base64.b64encode(_private_key().sign(mark.message())).decode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({**asdict(mark), "signature": signature}, separators=(",", ":")) + "\n")
    return mark
