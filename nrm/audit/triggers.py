"""Database triggers that keep the audit table append-only for the application's own connection.

The MAC chain detects tampering by anyone; the triggers stop the application (or a bug in it)
from changing or deleting audit rows at all. One update is allowed, once per row: sealing, which
sets ``seq``, ``prev_hash`` and ``hash`` of a row whose ``seq`` is still NULL and changes no
other column (see :func:`nrm.audit.services.audit_seal`). Only restore removes the triggers, for
its duration. Migrations ``audit.0002``/``0003`` install the earlier, strict version (no update
at all), which ``audit.0004`` replaces; on the partitioned table (``audit.0005``) the triggers
also keep ``seq`` unique, which no index can do across partitions.
"""

from __future__ import annotations

from django.db import connection as default_connection

TABLE = "audit_auditentry"
# Every column but the three that sealing sets, compared old to new (a test keeps it complete).
CONTENT = [
    "id",
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
]
_SEALING = "OLD.seq IS NULL AND NEW.seq IS NOT NULL AND length(NEW.hash) = 64 AND length(NEW.prev_hash) = 64"
SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS audit_seal_only BEFORE UPDATE ON audit_auditentry WHEN NOT "
    f"({_SEALING} AND {' AND '.join(f'NEW.{c} IS OLD.{c}' for c in CONTENT)}) "
    "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_auditentry "
    "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END",
]
SQLITE_STRICT = [
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit_auditentry "
    "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END",
    SQLITE[1],
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_no_update",
    "DROP TRIGGER IF EXISTS audit_seal_only",
    "DROP TRIGGER IF EXISTS audit_no_delete",
]
# One row comparison of the listed columns: half the cost per sealed row of comparing the whole
# rows as JSON (which covered later columns by itself; a test keeps CONTENT complete instead).
_UNCHANGED = (
    f"({', '.join(f'NEW.{c}' for c in CONTENT)}) IS NOT DISTINCT FROM ({', '.join(f'OLD.{c}' for c in CONTENT)})"
)
POSTGRES = [
    "CREATE OR REPLACE FUNCTION audit_seal_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN IF TG_OP = 'UPDATE' AND {_SEALING} AND {_UNCHANGED} "
    "THEN RETURN NEW; END IF; RAISE EXCEPTION 'audit entries are append-only'; END $$",
    "DROP TRIGGER IF EXISTS audit_append_only ON audit_auditentry",
    "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_auditentry "
    "FOR EACH ROW EXECUTE FUNCTION audit_seal_only()",
]
# Partitioned (``nrm.audit.partitions``): no UNIQUE on seq can span the partitions, so sealing
# checks it, and so does an insert that carries a seq (only a restore does, triggers removed).
# The advisory lock, held to commit, makes a second sealer wait and then see the first's rows.
_SEQ_TAKEN = (
    "PERFORM pg_advisory_xact_lock(7867086142464353); "
    "IF EXISTS (SELECT 1 FROM audit_auditentry WHERE seq = NEW.seq) THEN "
    "RAISE EXCEPTION 'audit entry seq % is taken', NEW.seq USING ERRCODE = 'unique_violation'; END IF; "
)
POSTGRES_PARTITIONED = [
    "CREATE OR REPLACE FUNCTION audit_seal_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN IF TG_OP = 'UPDATE' AND {_SEALING} AND {_UNCHANGED} "
    f"THEN {_SEQ_TAKEN}RETURN NEW; END IF; RAISE EXCEPTION 'audit entries are append-only'; END $$",
    "CREATE OR REPLACE FUNCTION audit_seq_unique() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN {_SEQ_TAKEN}RETURN NEW; END $$",
    POSTGRES[1],
    POSTGRES[2],
    "DROP TRIGGER IF EXISTS audit_seq_unique ON audit_auditentry",
    "CREATE TRIGGER audit_seq_unique BEFORE INSERT ON audit_auditentry "
    "FOR EACH ROW WHEN (NEW.seq IS NOT NULL) EXECUTE FUNCTION audit_seq_unique()",
]
POSTGRES_STRICT = [
    "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit entries are append-only'; END $$",
    "DROP TRIGGER IF EXISTS audit_append_only ON audit_auditentry",
    "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_auditentry "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS audit_append_only ON audit_auditentry",
    "DROP TRIGGER IF EXISTS audit_seq_unique ON audit_auditentry",
]


def _run(connection, by_vendor: dict[str, list[str]]) -> None:
    with connection.cursor() as cursor:
        for sql in by_vendor.get(connection.vendor, []):
            cursor.execute(sql)


def is_partitioned(connection=default_connection) -> bool:
    """Whether the audit table is a partitioned table (PostgreSQL after ``audit.0005``: its triggers differ)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        row = cursor.fetchone()
    return bool(row) and row[0] == "p"


def install(connection) -> None:
    """Create the triggers (append-only but for sealing) on this connection's database."""
    _run(connection, {"sqlite": SQLITE, "postgresql": POSTGRES_PARTITIONED if is_partitioned(connection) else POSTGRES})


def install_strict(connection) -> None:
    """The earlier triggers (no update at all), for the migrations that predate sealing."""
    _run(connection, {"sqlite": SQLITE_STRICT, "postgresql": POSTGRES_STRICT})


def remove(connection) -> None:
    """Drop the triggers (restore only; callers re-install them in the same transaction)."""
    _run(connection, {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP})
