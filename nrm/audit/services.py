"""Writing, sealing and verifying the audit chain.

An append is one INSERT in the caller's transaction (no audit row, no operation) of an unsealed
row: ``seq``, ``prev_hash`` and ``hash`` empty. :func:`audit_seal` chains the committed unsealed
rows in ``id`` order under a short lock on the head row: ``seq`` becomes the row's position in
the chain (contiguous from 1) and ``hash`` the HMAC of the previous MAC and the row, seq
included. The chain is thus in sealing order, which ``seq`` records; ``id`` is the insertion
order. Appends never wait for each other: only sealers do, briefly, and a sealer seals every row
committed before it.

Sealing is batched off the request path (:func:`seal_soon`): a commit that appended wakes its
process's sealer thread, which waits ``NRM_AUDIT_SEAL_MS`` (rows committed meanwhile join the
batch) and seals them all in one short transaction; with 0 the commit seals on its own thread.
``nrm audit seal [--every S]`` (and any job runner, through :func:`audit_seal`) seals what an
exiting process left; verify and checkpoint seal first, and verify reports a row unsealed longer
than :data:`UNSEALED_GRACE`.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import functools
import hmac
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import Any, ParamSpec, TypeVar

try:
    import fcntl
except ImportError:  # Windows: SQLite's own busy handler, as before
    fcntl = None

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

from nrm.audit.models import AuditEntry, AuditHead, CanonicalJSONEncoder
from nrm.core.bulk import insert_rows
from nrm.core.errors import NotFound
from nrm.core.prepared import CARRIED, Carried, remember, statement_cursor

try:  # OpenSSL's HMAC without the hmac module's Python layer, per row of sealing and verification
    from _hashlib import hmac_digest as _hmac_digest
    from _hashlib import hmac_new as _hmac_new
except ImportError:  # pragma: no cover - Python built without OpenSSL
    _hmac_digest, _hmac_new = hmac.digest, hmac.new

GENESIS = "0" * 64
# An unsealed row older than this is reported by verify: its seal was lost (a crash after commit).
UNSEALED_GRACE = dt.timedelta(minutes=5)
logger = logging.getLogger(__name__)

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


# How to read an actor's roles in an organisation (in any, when None). Memberships are the accounts
# app's, a layer above this one: it registers its reader when it starts (``AccountsConfig.ready``).
_roles_in: Callable[[Any, int | None], list[str]] | None = None


def register_roles(roles_in: Callable[[Any, int | None], list[str]]) -> None:
    """Have entries record their actor's roles as ``roles_in(actor, organisation_id)`` gives them."""
    global _roles_in
    _roles_in = roles_in


def _role_of(actor, organisation_id: int | None) -> str:
    """Return the actor's roles in the acting organisation (in any if none there), for the entry."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not getattr(actor, "pk", None):
        return ""
    if _roles_in is None:  # an entry without the actor's role would mislead its reader
        raise RuntimeError("no reader of roles registered (nrm.accounts is not installed)")
    return ",".join(_roles_in(actor, organisation_id) or _roles_in(actor, None))[:100]


def _at_text(at) -> str:
    """Return the canonical text of a timestamp: UTC, milliseconds (what the databases give back alike)."""
    at = at.astimezone(dt.UTC)
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond // 1000:03d}Z"


# The columns an append writes (the rest: unsealed, empty), in the order of :func:`_entry_values`.
ENTRY_COLUMNS = (
    "at",
    "actor_id",
    "actor",
    "organisation_id",
    "role",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "reason",
    "detail",
)


def _actor_of(actor) -> tuple[int | None, str]:
    """Return the actor's id and name as an entry records them (the name without the separator)."""
    actor_id = getattr(actor, "pk", None)
    actor_name = getattr(actor, "username", "") or (str(actor) if actor else "anonymous")
    if actor is not None and not getattr(actor, "is_authenticated", True):
        actor_id, actor_name = None, "anonymous"
    return actor_id, actor_name.replace(SEP, "")


def _entry_values(at, roles: dict, fields: dict) -> tuple:
    """Return the values of :data:`ENTRY_COLUMNS` of the entry of ``fields`` (``audit_record``'s keyword arguments)."""
    actor = fields.get("actor")
    organisation_id = fields.get("organisation_id")
    # Who the actor is, and their roles, are looked up once per actor and (actor, organisation)
    # when many entries are appended at once (``roles`` is the cache, one per append).
    try:
        who = roles.get((actor,))
    except TypeError:  # an unsaved instance or anything else unhashable: not cached
        who = None
    if who is None:
        who = _actor_of(actor)
        with contextlib.suppress(TypeError):
            roles[(actor,)] = who
    actor_id, actor_name = who
    role_key = (actor_id, organisation_id)
    if role_key not in roles:
        roles[role_key] = _role_of(actor, organisation_id)
    # No separator in any field (see SEP).
    return (
        at,
        actor_id,
        actor_name,
        organisation_id,
        roles[role_key],
        fields["action"].replace(SEP, ""),
        fields["object_type"].replace(SEP, ""),
        str(fields.get("object_id", "")).replace(SEP, "")[:64],
        fields.get("outcome", AuditEntry.Outcome.ALLOWED),
        fields.get("reason", "").replace(SEP, "")[:200],
        fields.get("detail") or {},
    )


def _entry(at, roles: dict, fields: dict) -> AuditEntry:
    """Return the unsaved, unsealed entry of ``fields`` (``audit_record``'s keyword arguments).

    Made as ``AuditEntry(**values)`` makes it, without ``Model.__init__`` setting each field
    through its descriptor: an audited read makes one per read (a test holds the two alike).
    """
    values = dict(zip(ENTRY_COLUMNS, _entry_values(at, roles, fields), strict=True))
    if (pre_init.receivers or post_init.receivers) and (
        pre_init.has_listeners(AuditEntry) or post_init.has_listeners(AuditEntry)
    ):
        return AuditEntry(**values)
    entry = object.__new__(AuditEntry)
    entry.__dict__.update(_unsealed_rest(), **values, _state=ModelState())  # adding, no database: unsaved
    return entry


@functools.cache
def _unsealed_rest() -> dict:
    """What a new entry holds besides :data:`ENTRY_COLUMNS`: no id yet, unsealed (as ``AuditEntry()`` sets them)."""
    blank = AuditEntry()
    return {
        f.attname: blank.__dict__[f.attname] for f in AuditEntry._meta.concrete_fields if f.attname not in ENTRY_COLUMNS
    }


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
    """Append one unsealed row to the audit log inside the caller's transaction: one INSERT.

    If the append fails the exception propagates, so the caller's read or write fails too:
    nothing is shown or changed without its audit row. No lock and no savepoint: the row is
    chained after commit (:func:`seal_soon`, registered once per transaction with
    ``on_commit``), so concurrent requests do not queue behind each other.
    """
    entry = _entry(
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
    pending = _read_pending.get()
    if pending is not None:
        # Inside an audited read's snapshot (SQLite): appended as soon as the snapshot ends.
        pending.append(entry)
        return entry
    entry.save(force_insert=True)
    _seal_after_commit()
    return entry


def audit_record_many(entries: Iterable[dict]) -> int:
    """Append one unsealed row per item of ``entries`` (``audit_record``'s keyword arguments); return how many.

    For bulk writes (imports, generated data): rows of values inserted a batch per statement
    (:func:`nrm.core.bulk.insert_rows`) inside the caller's transaction, so each record still
    has its own row, exactly as :func:`audit_record` would write it; they are sealed after
    commit, in ``id`` order, as if appended one by one (or once, see :func:`sealing_deferred`).
    """
    at, roles = _now_ms(), {}
    rows = [_entry_values(at, roles, fields) for fields in entries]
    if not rows:
        return 0
    if _seal_on_append.get():
        _insert_sealed(rows)
        return len(rows)
    insert_rows(AuditEntry, ENTRY_COLUMNS, rows)
    _seal_after_commit()
    return len(rows)


# Inside sealing_on_append(): audit_record_many inserts its rows chained already.
_seal_on_append: ContextVar[bool] = ContextVar("nrm_audit_seal_on_append", default=False)


@contextlib.contextmanager
def sealing_on_append() -> Iterator[None]:
    """Inside, :func:`audit_record_many` inserts its rows sealed: chained as they are inserted.

    For generators of bulk data, inside :func:`sealing_deferred` (which seals what else was
    appended): sealing rows after the insert updates each of them, which on PostgreSQL is a
    second write of every row and of its five indexes and leaves as many dead row versions
    (3,300 rows/s over 3,000,000 rows; the 1,000,000-screening bench sealed for 21 minutes).
    Each call holds the head, as a seal does, until its transaction ends: other sealers skip
    or wait, as they do for a seal; rows appended by others meanwhile are chained after these.
    """
    token = _seal_on_append.set(True)
    try:
        yield
    finally:
        _seal_on_append.reset(token)


def _row_message(prev: str, seq: int, values: tuple, to_text: Callable[[str], str]) -> str:
    """Return the text the MAC of a row of :data:`ENTRY_COLUMNS` covers, as sealing reads it back.

    The same text :func:`_message_sql` builds in the database from the stored row (``at`` to
    milliseconds in UTC, NULL as empty, each field followed by the separator) and the detail's
    canonical text: verification recomputes it from what was stored.
    """
    at, *fields, detail = values
    parts = [prev, str(seq), _at_text(at), *("" if f is None else str(f) for f in fields)]
    return SEP.join(parts) + SEP + to_text(_canonical(detail))


def _insert_sealed(rows: list[tuple]) -> None:
    """Insert ``rows`` (values of :data:`ENTRY_COLUMNS`) chained after the head, and move the head."""
    postgres = connection.vendor == "postgresql"
    base, to_text = _hmac_new(settings.NRM_AUDIT_KEY, digestmod="sha256"), _canonical_cached()
    with transaction.atomic(), connection.cursor() as cursor:
        seq, prev = _locked_head(cursor, " FOR UPDATE" if postgres else "", wait=True)
        sealed = []
        for values in rows:
            seq += 1
            h = base.copy()
            h.update(_row_message(prev, seq, values, to_text).encode())
            mac = h.hexdigest()
            sealed.append((*values, seq, prev, mac))
            prev = mac
        insert_rows(AuditEntry, (*ENTRY_COLUMNS, "seq", "prev_hash", "hash"), sealed)
        cursor.execute("UPDATE audit_audithead SET seq = %s, hash = %s WHERE id = 1", [seq, prev])


# Inside sealing_deferred(): commits leave their rows to the one seal at its end.
_seal_deferred: ContextVar[bool] = ContextVar("nrm_audit_seal_deferred", default=False)


@dataclass
class DeferredSeal:
    """What :func:`sealing_deferred` sealed on leaving (None until then, or when sealed after commit)."""

    sealed: int | None = None


@contextlib.contextmanager
def sealing_deferred() -> Iterator[DeferredSeal]:
    """Append audit rows without sealing after each commit; seal them all once, on leaving.

    For generators of bulk data, which commit a batch at a time: the same chain and the same
    work as sealing after each batch, without a seal taking the database's write lock between
    two batches (on SQLite the writer waits for it). Rows appended inside are committed
    unsealed, as after any commit until its seal runs; leaving seals them here and now (inside
    a transaction: after it commits), also when leaving by an exception, so that nothing
    committed waits for ``nrm audit seal``.
    """
    result = DeferredSeal()
    token = _seal_deferred.set(True)
    try:
        yield result
    except BaseException:
        _seal_deferred.reset(token)
        if connection.in_atomic_block:
            _seal_after_commit()
        else:
            _seal_quietly()  # the batches committed before the error; the error is what to report
        raise
    _seal_deferred.reset(token)
    if connection.in_atomic_block:
        _seal_after_commit()
    else:
        result.sealed = audit_seal()
        if connection.vendor == "postgresql" and result.sealed >= VACUUM_AFTER:
            # Sealing updates every row: a bulk load leaves as many dead row versions and stale
            # statistics, and every later append and read of the table paid for them (a 1M bench
            # ran at a third of its speed) until autovacuum came round. 7 s for 3.2M rows.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) audit_auditentry")


def _seal_after_commit(conn=None) -> None:
    """Seal once the caller's transaction commits (at once outside one); once per transaction."""
    if _seal_deferred.get():
        return
    conn = conn or connections[DEFAULT_DB_ALIAS]
    if any(func is seal_soon for _sids, func, _robust in conn.run_on_commit):
        return
    # robust: the caller's work is committed already; a failed seal leaves rows for the next one.
    conn.on_commit(seal_soon, robust=True)


def _seal_quietly() -> int:
    try:
        return audit_seal(wait=False)
    except AuditSealError:
        logger.exception("audit rows left unsealed")
        return 0


class _Sealer:
    """This process's sealer thread: woken by commits, it seals at most once per interval.

    A commit's wake-up comes after its rows are committed, and the thread clears the wake-up
    before it looks for unsealed rows: each committed row is in the batch being sealed or wakes
    the next one. The thread is started by the first commit of each process (a forked worker
    starts its own) and seals what is pending when the process exits normally.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.idle = threading.Event()
        self.idle.set()
        self.thread: threading.Thread | None = None
        self.pid = 0

    def notify(self, delay: float) -> None:
        with self.lock:
            if self.thread is None or self.pid != os.getpid() or not self.thread.is_alive():
                self.pid = os.getpid()
                self.wake, self.idle = threading.Event(), threading.Event()  # fresh after a fork
                self.thread = threading.Thread(target=self._run, args=(delay,), name="nrm-audit-sealer", daemon=True)
                self.thread.start()
            self.idle.clear()
            self.wake.set()

    def _run(self, delay: float) -> None:
        while True:
            self.wake.wait()
            time.sleep(delay)  # rows committed meanwhile join this batch
            self.wake.clear()
            try:
                _seal_quietly()
            except Exception:  # the database away: the next wake-up, or `nrm audit seal`, seals them
                logger.exception("audit seal failed; rows left for the next seal")
            finally:
                # This thread's own connection, kept for the next interval as a request's is
                # (CONN_MAX_AGE, health-checked; closed at once with a pool, which takes it
                # back): a new PostgreSQL connection each second cost its server 8 ms of CPU.
                connection.close_if_unusable_or_obsolete()
            with self.lock:
                if not self.wake.is_set():
                    self.idle.set()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until no seal is pending in this process; return False on timeout."""
        if self.thread is None or self.pid != os.getpid():
            return True
        return self.idle.wait(timeout)


_sealer = _Sealer()


def seal_soon() -> None:
    """After an audited commit: have this commit's rows sealed, batched, off the request's thread.

    ``NRM_AUDIT_SEAL_MS`` = 0 seals here and now (what the test suite does: it checks chains
    right after a commit).
    """
    delay = settings.NRM_AUDIT_SEAL_MS / 1000
    if delay <= 0:
        _seal_quietly()
    else:
        _sealer.notify(delay)


def seal_pending(timeout: float = 30.0) -> bool:
    """Wait for this process's sealer to seal what its commits left; False if it did not in ``timeout`` s."""
    return _sealer.flush(timeout)


@atexit.register
def _seal_at_exit() -> None:
    # A command that exits right after its last commit: its rows need not wait for another seal.
    if _sealer.thread is not None and _sealer.pid == os.getpid() and not _sealer.idle.is_set():
        _sealer.flush(timeout=10)


class AuditSealError(Exception):
    """The chain's end does not match its head: something was deleted or edited; verify says what."""


def _message_sql(*, chained: bool) -> str:
    """SQL building each entry's message (see :func:`_message`) from ``at`` to ``reason``, each
    field followed by the separator; ``chained``: from the previous MAC and ``seq`` on, and on
    SQLite with the detail too (stored canonical, see :class:`CanonicalJSONEncoder`).

    Sealing and verifying read the same text (timestamps too, see :func:`_at_text`), and the
    database building it is what lets verification do little per row in Python.
    """
    if connection.vendor == "postgresql":
        at = """to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""
        parts = [at, "coalesce(actor_id::text, '')", "actor", "coalesce(organisation_id::text, '')", *_TEXT_FIELDS]
        if chained:
            parts = ["prev_hash", "seq::text", *parts]
        return " || chr(31) || ".join([*parts, "''"])
    # SQLite: one printf, a single allocation per row (|| copies the row's text at every step);
    # NULL prints as ''. Django stores ``at`` as 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC): cut to
    # milliseconds, '.000' when there is no fraction (strftime would cost as much as the rest).
    fmt = f"%.10sT%.12sZ{SEP}" + f"%s{SEP}" * (_SEPARATORS - 1)
    args = ["at", "substr(at || '.000000', 12)", "actor_id", "actor", "organisation_id", *_TEXT_FIELDS]
    if chained:
        fmt, args = f"%s{SEP}%s{SEP}{fmt}%s", ["prev_hash", "seq", *args, "detail"]
    return f"printf('{fmt}', {', '.join(args)})"


_TEXT_FIELDS = ["role", "action", "object_type", "object_id", "outcome", "reason"]
# Fields in the SQL-built part of the message: at .. reason, each followed by SEP.
_SEPARATORS = 10


def audit_seal(batch: int = 2000, *, wait: bool = True) -> int:
    """Chain every committed, unsealed row, in ``id`` order; return how many were sealed.

    Each round runs in its own short transaction holding the head row (the only lock on the
    chain): each row gets ``seq`` = head + 1, ``prev_hash`` and its MAC, set once (the triggers
    allow that transition and nothing else), and the head moves. Refuses
    (:class:`AuditSealError`) to continue a chain whose last sealed row is not the head: that is
    tampering to report, not to chain over.

    After commit (``wait=False``) a seal that finds the head locked leaves at once: the holder
    looks again for committed unsealed rows after releasing it, and every row committed before
    that release is visible then, so each row is sealed by its own seal or by the holder's next
    round (at most :data:`SEAL_ROUNDS`; then by the next commit's seal, ``nrm audit seal``,
    verify or checkpoint). Appends thus never queue behind each other, and sealers do not
    queue either.
    """
    total = 0
    for _round in range(SEAL_ROUNDS):
        with connection.cursor() as cursor:
            # Nothing visible to seal (a concurrent seal took these rows): no lock at all.
            cursor.execute("SELECT 1 FROM audit_auditentry WHERE seq IS NULL LIMIT 1")
            if cursor.fetchone() is None:
                break
        sealed = _seal_once(batch, wait)
        if sealed is None:
            break
        total += sealed
    return total


# A bound, never reached in practice (a seal goes round again only while it keeps winning the
# lock against the others): past it, what is left goes to the next seal.
SEAL_ROUNDS = 100
# Rows sealed in one transaction before the head is written and the lock let go: a chain of
# millions is sealed in commits of this size (the next round goes on from the head), so
# appends wait at most one round and a failure loses at most one round's work.
ROUND_ROWS = 100_000
# A deferred seal of at least this many rows vacuums the audit table on PostgreSQL after it.
VACUUM_AFTER = 100_000


def _seal_once(batch: int, wait: bool) -> int | None:
    """One round of :func:`audit_seal`; None when ``wait`` is False and another seal holds the head."""
    postgres = connection.vendor == "postgresql"
    base, sep, to_text = _hmac_new(settings.NRM_AUDIT_KEY, digestmod="sha256"), SEP, _canonical_cached()
    body = _message_sql(chained=False)
    detail = "detail::text" if postgres else "detail"
    # SQLite: the IMMEDIATE transaction holds the write lock already.
    lock = (" FOR UPDATE" if wait else " FOR UPDATE SKIP LOCKED") if postgres else ""
    sealed = 0
    # Raw SQL and few round trips: the lock is held for the length of this block.
    with _sqlite_writer_turn(), transaction.atomic(), connection.cursor() as cursor:
        head = _locked_head(cursor, lock, wait)
        if head is None:
            return None  # another seal holds the head: it looks again after releasing it
        seq, prev = head
        # Each batch is a range of ids, not "the next N unsealed rows": that asks the planner to
        # guess how many rows are unsealed, and after a bulk load its statistics say few when
        # millions are, so it read every unsealed row per batch (1,800 rows/s over 3,000,000 on
        # PostgreSQL). A range is cheap however stale the statistics; ids left out by gaps or
        # committed later are the next round's.
        cursor.execute("SELECT min(id), max(id) FROM audit_auditentry WHERE seq IS NULL")
        low, high = cursor.fetchone()
        after = (low or 1) - 1
        while high is not None and after < high and sealed < ROUND_ROWS:
            # No query parameters: the printf of SQLite's message holds %s.
            cursor.execute(
                f"SELECT id, {body}, {detail} FROM audit_auditentry "  # noqa: S608
                f"WHERE seq IS NULL AND id > {int(after)} AND id <= {int(after + batch)} ORDER BY id"
            )
            rows = cursor.fetchall()
            updates = []
            for pk, fixed, text in rows:
                seq += 1
                h = base.copy()
                h.update(f"{prev}{sep}{seq}{sep}{fixed}{to_text(text)}".encode())
                mac = h.hexdigest()
                updates.append((seq, prev, mac, pk))
                prev = mac
            if updates:
                _write_seals(cursor, updates, postgres)
            sealed += len(updates)
            after += batch
        if sealed:
            cursor.execute("UPDATE audit_audithead SET seq = %s, hash = %s WHERE id = 1", [seq, prev])
    return sealed


def _locked_head(cursor, lock: str, wait: bool) -> tuple[int, str] | None:
    """Lock and return the head (seq, MAC), made on a new database; None if another holds it and not ``wait``.

    Refuses (:class:`AuditSealError`) a chain whose last sealed row is not the one the head names.
    """
    cursor.execute(f"SELECT seq, hash FROM audit_audithead WHERE id = 1{lock}")  # noqa: S608
    head = cursor.fetchone()
    if head is None and not wait:
        cursor.execute("SELECT 1 FROM audit_audithead WHERE id = 1")
        if cursor.fetchone():
            return None
    if head is None:  # a new (or flushed) database
        cursor.execute(
            "INSERT INTO audit_audithead (id, seq, hash) VALUES (1, 0, %s) ON CONFLICT (id) DO NOTHING", [GENESIS]
        )
        cursor.execute(f"SELECT seq, hash FROM audit_audithead WHERE id = 1{lock.replace(' SKIP LOCKED', '')}")  # noqa: S608
        head = cursor.fetchone()
    seq, prev = head
    cursor.execute("SELECT seq, hash FROM audit_auditentry WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
    if tuple(cursor.fetchone() or (0, GENESIS)) != (seq, prev):
        raise AuditSealError(f"the chain's last sealed entry is not the one its head names (entry {seq})")
    return seq, prev


def _write_seals(cursor, updates: list[tuple[int, str, str, int]], postgres: bool) -> None:
    """Set (seq, prev_hash, hash) of each unsealed row id; refuse if any was sealed meanwhile."""
    if postgres:  # one statement, one round trip, under the lock
        # One array per column: four parameters, where a VALUES list has four per row for the
        # driver to parse and quote one by one (it cost more than the update).
        seqs, prevs, macs, ids = (list(column) for column in zip(*updates, strict=True))
        cursor.execute(
            "UPDATE audit_auditentry AS e SET seq = v.seq, prev_hash = v.prev, hash = v.mac "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::bigint[]) AS v(seq, prev, mac, id) "
            "WHERE e.id = v.id AND e.seq IS NULL",
            [seqs, prevs, macs, ids],
        )
    else:
        cursor.executemany(
            "UPDATE audit_auditentry SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s AND seq IS NULL", updates
        )
    if cursor.rowcount != len(updates):  # sealed by someone else meanwhile: undo, never fork
        raise AuditSealError(f"{len(updates) - cursor.rowcount} rows were sealed by another sealer")


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


_SQLITE_WRITER = threading.Lock()
# This process's open lock file, per database file: (pid, fd); a forked worker opens its own
# (a descriptor inherited across fork shares its lock with the parent's).
_WRITER_FILES: dict[str, tuple[int, int]] = {}


def _writer_file(name: str) -> int | None:
    """The descriptor of the lock file beside a SQLite database file; None for an in-memory one."""
    if not name or name == ":memory:" or "mode=memory" in name:
        return None
    pid, fd = _WRITER_FILES.get(name, (0, -1))
    if pid != os.getpid():
        fd = os.open(f"{name}.writer", os.O_RDWR | os.O_CREAT, 0o600)
        _WRITER_FILES[name] = (os.getpid(), fd)
    return fd


@contextlib.contextmanager
def _sqlite_writer_turn(conn=None) -> Iterator[None]:
    """On SQLite, wait for the turn to write in a queue rather than in SQLite's busy handler.

    A writer that finds SQLite's lock taken sleeps 1, 2, 5, 10... ms before it looks again,
    however soon the lock is let go: under load most of an audited read's time. The threads of
    one process queue on a lock of their own, and the processes on an advisory lock on a file
    beside the database, which the kernel hands over the moment it is released.
    """
    conn = conn or connections[DEFAULT_DB_ALIAS]  # looked up once: each look goes through asgiref's Local
    if conn.vendor != "sqlite" or conn.in_atomic_block or getattr(_writer_turns, "held", False):
        # PostgreSQL queues writers itself; a nested turn is the outer one's; inside a
        # transaction, which may hold SQLite's lock already, waiting for the file lock could
        # deadlock with its holder waiting for SQLite's.
        yield
        return
    with _SQLITE_WRITER:
        _writer_turns.held = True
        fd = _writer_file(str(conn.settings_dict["NAME"])) if fcntl else None
        try:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
            _writer_turns.held = False


_writer_turns = threading.local()


# The audit rows of an audited read whose snapshot holds no write lock (see audited_read).
_read_pending: ContextVar[list[AuditEntry] | None] = ContextVar("nrm_audit_read_pending", default=None)
# The rows of the read handed to a statement that carries them (see carried_append).
_read_carried: ContextVar[list[tuple[Carried, list[AuditEntry]]] | None] = ContextVar(
    "nrm_audit_read_carried", default=None
)


@contextlib.contextmanager
def read_snapshot() -> Iterator[bool]:
    """One consistent view of the database for a read; yield True if it holds no write lock.

    SQLite: outside any transaction, a DEFERRED transaction, a snapshot of the WAL that blocks no
    writer and waits for none (the project's transactions are IMMEDIATE: they take the one write
    lock at BEGIN, so a read inside one queued every other request behind it). PostgreSQL at
    READ COMMITTED (its default and the project's): no transaction, as each statement sees what
    was committed when it began, in a transaction or not; one would only add two round trips,
    BEGIN and COMMIT, a third of a case read's. Anywhere else (in a caller's transaction, another
    isolation level) it is ``transaction.atomic()``.
    """
    if _read_pending.get() is not None:
        yield True  # inside an audited read's snapshot already: the same view
        return
    conn = transaction.get_connection()
    conn.ensure_connection()
    outside = not conn.in_atomic_block and conn.get_autocommit()
    if outside and conn.vendor == "postgresql" and _read_committed(conn):
        yield True
        return
    if not outside or conn.vendor != "sqlite":
        with transaction.atomic():
            yield False
        return
    with conn.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
    try:
        yield True
    finally:
        with conn.cursor() as cursor:
            cursor.execute("COMMIT")  # a read: nothing to keep or undo


def _read_committed(conn) -> bool:
    from psycopg import IsolationLevel

    return getattr(conn, "isolation_level", None) == IsolationLevel.READ_COMMITTED


def audited_read(func: Callable[P, R]) -> Callable[P, R]:
    """Run a read (a selector) in one :func:`read_snapshot`, then append its audit rows.

    The rows ``func`` records are appended when its snapshot ends, each one INSERT, before the
    result is returned: if an append fails the read fails, so nothing is shown unaudited. (A
    SQLite snapshot cannot take the write lock once another writer has committed, which under
    load is always, so the rows wait for it to end.) Denials behave as in :func:`atomic_audited`.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if _read_pending.get() is not None:
            # Called from another audited read: its snapshot, its rows, its denials.
            nested = _audited_depth.set(_audited_depth.get() + 1)
            try:
                return func(*args, **kwargs)
            finally:
                _audited_depth.reset(nested)
        depth = _audited_depth.set(_audited_depth.get() + 1)
        rows: list[AuditEntry] = []
        carried: list[tuple[Carried, list[AuditEntry]]] = []
        try:
            with read_snapshot() as unlocked:
                # PostgreSQL keeps a read's rows pending in a caller's transaction too: they go in
                # it at the end, or with the read's last statement (carried_append).
                held = unlocked or connection.vendor == "postgresql"
                token = _read_pending.set(rows if held else None)
                carrying = _read_carried.set(carried if held else None)
                try:
                    result = func(*args, **kwargs)
                finally:
                    _read_pending.reset(token)
                    _read_carried.reset(carrying)
        except NotFound as exc:
            if _audited_depth.get() == 1 and exc.audit:
                pending, exc.audit = exc.audit, None
                _audited_depth.reset(depth)
                depth = None
                audit_record(**pending)
            raise
        finally:
            if depth is not None:
                _audited_depth.reset(depth)
        for handed, handed_rows in carried:
            if not handed.done:  # handed to a statement that never ran: appended as any
                rows += handed_rows
        if carried and not rows:
            _seal_after_commit()
        if rows:
            conn = connections[DEFAULT_DB_ALIAS]
            # SQLite: one writer at a time, and a writer that finds the lock taken sleeps (1, 2,
            # 5... ms); the threads of one process take turns on a lock of their own instead.
            with _sqlite_writer_turn(conn):
                _insert_entries(rows, conn, read=True)
            _seal_after_commit(conn)
        return result

    return wrapper


# PostgreSQL: the INSERT's own (implicit) transaction commits without waiting for its WAL to
# reach the disk. ``set_config(..., true)`` lasts until that transaction ends: the connection's
# later writes still wait. See "A read's audit row and the disk" in docs/security.md.
_COMMIT_WITHOUT_WAITING = " RETURNING set_config('synchronous_commit', 'off', true)"


@functools.cache
def _insert_statement(vendor: str, n: int, *, wait_for_disk: bool = True, returning: bool = False) -> tuple[str, tuple]:
    fields = tuple(f for f in AuditEntry._meta.concrete_fields if not f.primary_key)
    qn = connections[DEFAULT_DB_ALIAS].ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Only the model's own table and column names are interpolated; values are parameters.
    sql = f"INSERT INTO {qn(AuditEntry._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES "  # noqa: S608
    sql += ", ".join([row] * n)
    if not wait_for_disk:
        sql += _COMMIT_WITHOUT_WAITING
    elif returning:  # rows to count (a carried append, see carried_append)
        sql += " RETURNING 1"
    return sql, tuple((f, _preparer(f)) for f in fields)


def _preparer(field) -> Callable[[Any, Any], Any] | None:
    """How ``field``'s value goes to the database: None where ``get_db_prep_save`` gives back a text as it is.

    An entry's texts are texts already (:func:`_entry_values`), which a CharField's preparation
    returns unchanged; its numbers are made ``int`` as the ORM makes them; anything else (the
    time, the detail) is prepared by its field.
    """
    if type(field) is models.CharField:
        return None
    if type(field) is models.BigIntegerField:
        return lambda value, _conn: None if value is None else int(value)
    return lambda value, conn: field.get_db_prep_save(value, conn)


def _insert_entries(entries: list[AuditEntry], conn=None, *, read: bool = False) -> None:
    """INSERT the unsaved entries of an audited read in one statement, as their ``save()`` would write each.

    Each value is prepared as its field's ``pre_save`` and ``get_db_prep_save`` prepare it in the
    ORM's INSERT (see :func:`_preparer`), whose compiling for every read was half the append
    (0.07 of 0.14 ms on SQLite, 0.19 of 0.37 ms on PostgreSQL). One row usually.

    ``read``: the rows of a read, in a transaction of their own. On PostgreSQL it then commits
    without waiting for the disk (``NRM_AUDIT_READS_WAIT_FOR_DISK`` unset); inside a caller's
    transaction the setting would reach the caller's writes, so there it always waits.
    """
    conn = conn or connections[DEFAULT_DB_ALIAS]
    sql, params = _insert_sql(entries, conn, read=read)
    # One statement for every read (its text fixed by the row count): prepared on PostgreSQL.
    with statement_cursor(conn.alias, remember(sql)) as cursor:
        cursor.execute(sql, params)


def _insert_sql(entries: list[AuditEntry], conn, *, read: bool, returning: bool = False) -> tuple[str, list]:
    """Return the INSERT of :func:`_insert_entries` and its values (``returning``: a row for each row written)."""
    wait = not (
        read
        and conn.vendor == "postgresql"
        and not settings.NRM_AUDIT_READS_WAIT_FOR_DISK
        and conn.get_autocommit()
        and not conn.in_atomic_block
    )
    sql, fields = _insert_statement(conn.vendor, len(entries), wait_for_disk=wait, returning=returning)
    params = []
    for entry in entries:
        values = entry.__dict__
        for field, prepare in fields:
            value = values[field.attname]  # no field of an entry is stamped on save (pre_save reads it)
            if prepare is not None:
                value = prepare(value, conn)
            elif value is not None and not isinstance(value, str):
                value = field.get_db_prep_save(value, conn)  # not a text after all: as the ORM
            params.append(value)
    return sql, params


def carried_append() -> Carried | None:
    """Hand the audited read's pending rows to its next statement, which appends them (PostgreSQL); None if not.

    The statement, a read (:func:`nrm.core.jsonrows.load_relations_prepared`), writes them as
    a data-modifying ``WITH``: one round trip and one commit where there were two. If it
    fails, the read fails and nothing is shown, as when the append fails on its own; if it
    never runs, :func:`audited_read` appends them as it would have. Nothing on SQLite, whose
    statements cannot write and read at once (its rows wait for the read's snapshot to end).
    """
    rows = _read_pending.get()
    carried_rows = _read_carried.get()
    conn = connections[DEFAULT_DB_ALIAS]
    if not rows or carried_rows is None or conn.vendor != "postgresql":
        return None
    sql, params = _insert_sql(rows, conn, read=True, returning=True)
    carried = Carried(f'WITH "{CARRIED}" AS ({sql})', params, len(rows))  # the model's own INSERT
    carried_rows.append((carried, rows[:]))
    rows.clear()
    return carried


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


def _canonical_cached(size: int = 4096) -> Callable[[str], str]:
    """Return a function giving the canonical text of a JSON text, remembering the last ``size`` or so."""
    cache: dict[str, str] = {}
    loads = json.loads

    def to_text(text: str) -> str:
        found = cache.get(text)
        if found is None:
            if len(cache) >= size:
                cache.clear()  # memory stays flat in the chain's length
            found = cache[text] = _canonical(loads(text))
        return found

    return to_text


def _matches_recanonicalised(key: bytes, message: str, mac: str) -> bool:
    """Whether the MAC matches with the detail re-encoded (SQLite text stored by another encoder)."""
    head, _sep, detail = message.rpartition(SEP)
    try:
        text = _canonical(json.loads(detail))
    except ValueError:
        return False
    return text != detail and _hmac_digest(key, f"{head}{SEP}{text}".encode(), "sha256").hex() == mac


def _prefetched(cursor, batch: int) -> Iterator[list]:
    """Yield ``cursor``'s rows a batch at a time, the next batch fetched while this one is checked.

    The database builds the next batch's messages (and the driver waits for them, the GIL let
    go) on one core while this thread hashes on the other: verifying took the sum of the two.
    """
    ready: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def fetch() -> None:
        try:
            while not stop.is_set():
                rows = cursor.fetchmany(batch)
                ready.put(rows)
                if not rows:
                    return
        except BaseException as exc:  # noqa: BLE001 - raised again in the reading thread
            ready.put(exc)

    fetcher = threading.Thread(target=fetch, name="nrm-audit-verify-fetch", daemon=True)
    fetcher.start()
    try:
        while True:
            rows = ready.get()
            if isinstance(rows, BaseException):
                raise rows
            if not rows:
                return
            yield rows
    finally:
        # Stopped early (a mismatch found) or done: let the fetcher finish before the cursor closes.
        stop.set()
        while fetcher.is_alive():
            with contextlib.suppress(queue.Empty):
                ready.get(timeout=0.05)
        fetcher.join()


@dataclass(frozen=True)
class Checkpoint:
    """A signed mark of the chain (:mod:`nrm.audit.checkpoints` reads, writes and signs them): the head then."""

    seq: int
    mac: str
    count: int
    at: str

    def message(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode("utf-8")


def audit_verify(checkpoints: Iterable[Checkpoint] = (), batch: int = 20000, *, seal: bool = True) -> VerifyResult:
    """Recompute the chain from the first row; report the first row that does not match.

    Seals first (``seal=False`` only reads, e.g. on a replica). Each checkpoint (already
    signature-checked, see :mod:`nrm.audit.checkpoints`) must find its entry with the MAC it
    signed, so a chain truncated, emptied or recomputed by someone holding the audit key since
    then fails too. A row left unsealed longer than :data:`UNSEALED_GRACE` fails as well. Rows
    stream through a raw cursor in batches (memory flat in the chain's length): the ORM's
    per-row work would triple the time.
    """
    if seal:
        # A refused seal means the chain's end was tampered with: the checks below say where.
        with contextlib.suppress(AuditSealError):
            audit_seal()
    marks = {c.seq: c for c in checkpoints if c.seq > 0}
    prev = GENESIS
    checked = 0
    key = settings.NRM_AUDIT_KEY
    base, sep, separators = _hmac_new(key, digestmod="sha256"), SEP, _SEPARATORS + 2
    # The database builds each message: previous MAC, seq, the fields (see _message). SQLite
    # stores the detail as canonical text already and appends it; PostgreSQL's jsonb text is not
    # canonical, and is re-encoded here (cached: most details repeat).
    postgres = connection.vendor == "postgresql"
    if postgres:
        detail_sql, to_text = "detail::text", _canonical_cached()
    else:
        detail_sql, to_text = "''", None
    # On PostgreSQL a server-side cursor, in a transaction (outside one it would be kept past
    # commit, the whole result copied on the server first): an ordinary cursor receives the
    # whole result before the first row (3,000,000 rows in the client's memory at once). On
    # SQLite no transaction: an IMMEDIATE one would hold the write lock while verifying.
    with transaction.atomic() if postgres else contextlib.nullcontext(), connection.chunked_cursor() as cursor:
        cursor.execute(
            f"SELECT seq, {_message_sql(chained=True)}, {detail_sql}, hash FROM audit_auditentry "  # noqa: S608
            "WHERE seq IS NOT NULL ORDER BY seq"
        )
        for rows in _prefetched(cursor, batch):
            for seq, head, detail, mac in rows:
                if seq != checked + 1:
                    return VerifyResult(checked, False, f"entry {checked + 1} is missing (next is {seq})")
                if not head.startswith(prev) or head[64] != sep:
                    return VerifyResult(checked, False, f"entry {seq}: previous MAC does not match entry {seq - 1}")
                if head.count(sep) != separators:
                    return VerifyResult(checked, False, f"entry {seq}: a field holds the separator (edited)")
                message = head if to_text is None else f"{head}{to_text(detail)}"
                h = base.copy()
                h.update(message.encode())
                if h.hexdigest() != mac and not _matches_recanonicalised(key, message, mac):
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
    stale = (
        AuditEntry.objects.filter(seq__isnull=True, at__lt=timezone.now() - UNSEALED_GRACE)
        .order_by("id")
        .values_list("id", "at")
        .first()
    )
    if stale:
        return VerifyResult(
            checked,
            False,
            f"entry id {stale[0]} written at {_at_text(stale[1])} is still unsealed "
            f"(its seal was lost, or sealing is refused: run 'nrm audit seal')",
        )
    return VerifyResult(checked, True, checkpoints=len(marks))


def database_vendor() -> str:
    return connection.vendor
