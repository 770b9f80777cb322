"""Writing and verifying the audit chain."""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import json
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from nrm.audit.models import AuditEntry, AuditHead, CanonicalJSONEncoder
from nrm.core.bulk import insert_many
from nrm.core.errors import NotFound

if TYPE_CHECKING:
    from nrm.audit.checkpoints import Checkpoint

try:  # OpenSSL's one-shot HMAC without hmac.digest's checks, per row of verification
    from _hashlib import hmac_digest as _hmac_digest
except ImportError:  # pragma: no cover - Python built without OpenSSL
    _hmac_digest = hmac.digest

GENESIS = "0" * 64

P = ParamSpec("P")
R = TypeVar("R")


_canonical = CanonicalJSONEncoder().encode
# The unit separator: audit_record removes it from the fields, canonical JSON escapes it, and
# verification counts it, so the message is unambiguous.
SEP = "\x1f"


def _message(prev: str, fields: list, detail_text: str) -> str:
    """Return the text one entry's MAC covers: previous MAC, then the fields, NUL-separated.

    ``fields`` is [seq, at, actor_id, actor, organisation_id, role, action, object_type,
    object_id, outcome, reason]; seq is inside, so renumbering breaks the MAC. Plain joining
    instead of JSON lets the database build the message when verifying; it is unambiguous
    because no field holds the separator (:func:`audit_verify` counts them).
    """
    return SEP.join([prev, *("" if f is None else str(f) for f in fields), detail_text])


def _mac(prev: str, fields: list, key: bytes | None = None) -> str:
    """Return the chain MAC (HMAC-SHA256 under ``NRM_AUDIT_KEY``) of one entry; ``fields`` ends with the detail."""
    message = _message(prev, fields[:-1], _canonical(fields[-1]))
    return hmac.digest(key or settings.NRM_AUDIT_KEY, message.encode("utf-8"), "sha256").hex()


def _role_of(actor, organisation_id: int | None) -> str:
    """Return the actor's roles in the acting organisation (in any if none there), for the entry."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not getattr(actor, "pk", None):
        return ""
    from nrm.accounts.access import roles_in

    return ",".join(roles_in(actor, organisation_id) or roles_in(actor))[:100]


def _at_text(at) -> str:
    """Return the canonical text of a timestamp: UTC, milliseconds (what the databases give back alike)."""
    at = at.astimezone(dt.UTC)
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond // 1000:03d}Z"


def _entry(head_seq: int, head_hash: str, at, roles: dict, fields: dict) -> AuditEntry:
    """Return the unsaved entry that follows (``head_seq``, ``head_hash``) in the chain, its MAC computed."""
    actor = fields.get("actor")
    organisation_id = fields.get("organisation_id")
    outcome = fields.get("outcome", AuditEntry.Outcome.ALLOWED)
    seq = head_seq + 1
    actor_id = getattr(actor, "pk", None)
    actor_name = getattr(actor, "username", "") or (str(actor) if actor else "anonymous")
    if actor is not None and not getattr(actor, "is_authenticated", True):
        actor_id, actor_name = None, "anonymous"
    # Roles are looked up once per (actor, organisation) when many entries are appended at once.
    role_key = (actor_id, organisation_id)
    if role_key not in roles:
        roles[role_key] = _role_of(actor, organisation_id)
    role = roles[role_key]
    detail = fields.get("detail") or {}
    # No separator in any field (see SEP).
    action, object_type = fields["action"].replace(SEP, ""), fields["object_type"].replace(SEP, "")
    actor_name = actor_name.replace(SEP, "")
    object_id = str(fields.get("object_id", "")).replace(SEP, "")[:64]
    reason = fields.get("reason", "").replace(SEP, "")[:200]
    mac = _mac(
        head_hash,
        [
            seq,
            _at_text(at),
            actor_id,
            actor_name,
            organisation_id,
            role,
            action,
            object_type,
            object_id,
            outcome,
            reason,
            detail,
        ],
    )
    return AuditEntry(
        seq=seq,
        at=at,
        actor_id=actor_id,
        actor=actor_name,
        organisation_id=organisation_id,
        role=role,
        action=action,
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        reason=reason,
        detail=detail,
        prev_hash=head_hash,
        hash=mac,
    )


def _now_ms():
    # Millisecond precision: the JSON of backups keeps milliseconds, so a restored chain still verifies.
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def audit_record(
    *,
    actor,
    action: str,
    object_type: str,
    object_id: object = "",
    organisation_id: int | None = None,
    outcome: str = AuditEntry.Outcome.ALLOWED,
    reason: str = "",
    detail: dict | None = None,
) -> AuditEntry:
    """Append one row to the audit chain inside the caller's transaction.

    If the append fails the exception propagates, so the caller's read or write fails too:
    nothing is shown or changed without its audit row.
    """
    # No savepoint of its own: if the append fails, the caller's whole transaction must fail too.
    with transaction.atomic(savepoint=False):
        head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1)
        entry = _entry(
            head.seq,
            head.hash,
            _now_ms(),
            {},
            {
                "actor": actor,
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "organisation_id": organisation_id,
                "outcome": outcome,
                "reason": reason,
                "detail": detail,
            },
        )
        entry.save(force_insert=True)
        AuditHead.objects.filter(pk=1).update(seq=entry.seq, hash=entry.hash)
    return entry


def audit_record_many(entries: list[dict], *, batch_size: int = 500) -> list[AuditEntry]:
    """Append one row per item of ``entries`` (``audit_record``'s keyword arguments), in order.

    For bulk writes (imports, generated data): the head is locked once, the MACs chained in
    Python and the rows inserted a batch per statement, inside the caller's transaction, so
    each record still has its own row and the chain verifies as if appended one by one.
    """
    if not entries:
        return []
    with transaction.atomic(savepoint=False):
        head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1)
        seq, mac, at, roles = head.seq, head.hash, _now_ms(), {}
        rows = []
        for fields in entries:
            entry = _entry(seq, mac, at, roles, fields)
            seq, mac = entry.seq, entry.hash
            rows.append(entry)
        insert_many(rows, batch_size=batch_size)
        AuditHead.objects.filter(pk=1).update(seq=seq, hash=mac)
    return rows


# How many atomic_audited calls are running in this thread or task: only the outermost writes.
_audited_depth: ContextVar[int] = ContextVar("nrm_audited_depth", default=0)


def denied(*, actor, action: str, object_type: str, object_id: object = "", reason: str = "not permitted") -> NotFound:
    """Return a :class:`NotFound` carrying the audit row of this denial, to be raised.

    Raised inside :func:`atomic_audited`, the row is written after the rollback, so a refusal
    is recorded even though everything else the call did is undone.
    """
    return NotFound(
        audit={
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "outcome": AuditEntry.Outcome.DENIED,
            "reason": reason,
        }
    )


def atomic_audited(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` in one transaction, like ``transaction.atomic``, keeping denials' audit rows.

    An audit row written inside a transaction that is then rolled back disappears with it. A
    denial raises :class:`NotFound` and so rolls back: its pending row (see :func:`denied`) is
    written after the rollback of the outermost ``atomic_audited`` call (an inner one's
    rollback would be undone by the outer one's), and the exception propagates. A caller that
    wraps these calls in its own transaction and rolls it back loses the row: don't.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _audited_depth.set(_audited_depth.get() + 1)
        try:
            with transaction.atomic():
                return func(*args, **kwargs)
        except NotFound as exc:
            if _audited_depth.get() == 1 and exc.audit:
                pending, exc.audit = exc.audit, None
                audit_record(**pending)
            raise
        finally:
            _audited_depth.reset(token)

    return wrapper


def audit_denial(
    *, actor, action: str, object_type: str, object_id: object = "", reason: str = "not permitted"
) -> NotFound:
    """Return the :class:`NotFound` of an audited denial, to be raised, wherever it is raised from.

    Inside :func:`atomic_audited` it is :func:`denied` (the row is written after the rollback);
    outside one (a page or an endpoint reading a record) the row is written now.
    """
    exc = denied(actor=actor, action=action, object_type=object_type, object_id=object_id, reason=reason)
    if _audited_depth.get() == 0:
        pending, exc.audit = exc.audit, None
        audit_record(**pending)
    return exc


@dataclass
class VerifyResult:
    checked: int
    ok: bool
    problem: str = ""
    checkpoints: int = 0


def audit_verify(checkpoints: Iterable[Checkpoint] = (), batch: int = 20000) -> VerifyResult:
    """Recompute the chain from the first row; report the first row that does not match.

    Each checkpoint (already signature-checked, see :mod:`nrm.audit.checkpoints`) must find its
    entry with the MAC it signed, so a chain truncated, emptied or recomputed by someone
    holding the audit key since then fails too. Rows stream through a raw cursor in batches
    (memory flat in the chain's length): the ORM's per-row work would triple the time.
    """
    marks = {c.seq: c for c in checkpoints if c.seq > 0}
    # The database builds each message but the detail (see _message), timestamps included
    # (see _at_text): per-row work in Python is what limits the speed.
    if connection.vendor == "postgresql":
        at = """to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""
        actor_id, org, join = "coalesce(actor_id::text, '')", "coalesce(organisation_id::text, '')", " || chr(31) || "
    else:
        at, actor_id, org = "strftime('%Y-%m-%dT%H:%M:%fZ', at)", "ifnull(actor_id, '')", "ifnull(organisation_id, '')"
        join = " || char(31) || "
    columns = ["seq", at, actor_id, "actor", org, "role", "action", "object_type", "object_id", "outcome", "reason"]
    body = join.join([*columns, "''"])  # each field followed by the separator
    prev = GENESIS
    checked = 0
    key = settings.NRM_AUDIT_KEY
    loads, canonical, digest, sep, separators = json.loads, _canonical, _hmac_digest, SEP, 11
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, {body}, detail, prev_hash, hash FROM audit_auditentry ORDER BY seq")  # noqa: S608
        while rows := cursor.fetchmany(batch):
            for seq, fixed, detail, prev_mac, mac in rows:
                if seq != checked + 1:
                    return VerifyResult(checked, False, f"entry {checked + 1} is missing (next is {seq})")
                if prev_mac != prev:
                    return VerifyResult(checked, False, f"entry {seq}: previous MAC does not match entry {seq - 1}")
                if fixed.count(sep) != separators:
                    return VerifyResult(checked, False, f"entry {seq}: a field holds the separator (edited)")
                # SQLite hands back the stored text, already canonical (CanonicalJSONEncoder);
                # PostgreSQL's jsonb comes parsed and is encoded again.
                text = detail if isinstance(detail, str) else canonical(detail)
                if digest(key, f"{prev}{sep}{fixed}{text}".encode(), "sha256").hex() != mac and (
                    not isinstance(detail, str)
                    or digest(key, f"{prev}{sep}{fixed}{canonical(loads(detail))}".encode(), "sha256").hex() != mac
                ):
                    return VerifyResult(
                        checked, False, f"entry {seq}: content does not match its MAC (edited, inserted or recomputed)"
                    )
                if seq in marks and marks[seq].mac != mac:
                    return VerifyResult(
                        checked, False, f"entry {seq}: its MAC is not the one the checkpoint of {marks[seq].at} signed"
                    )
                prev = mac
                checked += 1
    for mark in sorted(marks.values(), key=lambda c: c.seq):
        if mark.seq > checked:
            return VerifyResult(
                checked,
                False,
                f"entry {checked + 1} is missing: the checkpoint of {mark.at} saw {mark.count} entries, "
                f"the chain ends at entry {checked} (entries deleted from the end)",
            )
        if mark.count != mark.seq:
            return VerifyResult(
                checked, False, f"entry {mark.seq}: the checkpoint of {mark.at} counted {mark.count} entries up to it"
            )
    head = AuditHead.objects.filter(pk=1).first()
    if checked and head is None:
        return VerifyResult(checked, False, f"the head is missing after entry {checked} (deleted)")
    if head and (head.seq != checked or head.hash != prev):
        return VerifyResult(
            checked,
            False,
            f"the chain ends at entry {checked} but {head.seq} were written (entries deleted from the end)",
        )
    return VerifyResult(checked, True, checkpoints=len(marks))


def database_vendor() -> str:
    return connection.vendor
