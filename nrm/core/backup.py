"""Encrypted, database-independent backups that restore every value exactly.

A backup holds every row of every table as stored: the columns are read as Django converts
them from the database and written back through the same fields' database preparation, with
no ``save()``, so nothing is recomputed on restore (``auto_now`` timestamps, ciphertexts and
their bindings, the audit chain, ids, the content types). Encrypted fields stay ciphertext
inside the backup, and the whole file is gzip-compressed and sealed with AES-256-GCM under the
current encryption key. Restore works across databases (SQLite to PostgreSQL and back), but
only into the schema (migrations) that wrote the backup.

File: ``NRMBACKUP2\\n`` + a JSON header line + the sealed payload. The header (key id, nonce, a
fingerprint of the key) is authenticated as the associated data of the seal.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import gzip
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils.duration import duration_iso_string

from nrm.core.fields import EncryptedTextField

MAGIC = b"NRMBACKUP2\n"
LEGACY_MAGIC = b"NRMBACKUP1\n"
# Sessions are sign-in credentials, not records: a restored database starts with everyone signed out.
SKIPPED_APPS = {"sessions"}
# Filled by ``migrate`` itself, so a freshly migrated database still counts as empty.
MIGRATE_FILLED = {"contenttypes.ContentType", "auth.Permission"}


@dataclass(frozen=True)
class RestoreSteps:
    """What an app does around a restore: ``before(connection)`` before its tables are emptied and
    reloaded (drop the triggers a row at a time would fire), ``after(connection)`` once every row is
    back (partitions, triggers, recounts); ``derived``: labels of its models recounted by ``after``,
    never backed up."""

    before: Callable[[Any], None]
    after: Callable[[Any], None]
    derived: frozenset[str] = frozenset()


# The apps that keep tables by triggers (the audit log, the statistics' analytics tables) register
# their steps from their ready(): core, below them, imports none of them.
_RESTORE_STEPS: list[RestoreSteps] = []


def register_restore_steps(steps: RestoreSteps) -> None:
    """Have :func:`backup_restore` run ``steps`` around a restore, in the order registered."""
    if steps not in _RESTORE_STEPS:
        _RESTORE_STEPS.append(steps)


class BackupError(Exception):
    """A backup cannot be read or restored; the message says what is wrong and what to do."""


def backup_models() -> list[type[models.Model]]:
    """Every model whose table a backup holds, many-to-many tables included."""
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_label not in SKIPPED_APPS
        and m._meta.label not in {label for steps in _RESTORE_STEPS for label in steps.derived}
        and m._meta.managed
        and not m._meta.proxy
        and not m._meta.swapped
    ]


def _schema() -> list[list[str]]:
    return sorted([app, name] for app, name in MigrationRecorder(connection).applied_migrations())


def _key_fingerprint(key: bytes) -> str:
    """Tell keys that share an id apart, revealing nothing about them."""
    return hmac.new(key, b"nrm backup key fingerprint", hashlib.sha256).hexdigest()[:16]


def _encode(value):
    """A JSON value from what Django read from the database; :func:`_decode` turns it back."""
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()  # full microseconds, and the offset of aware datetimes
    if isinstance(value, dt.timedelta):
        return duration_iso_string(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


def _decode(field: models.Field, value):
    """The value to give the database for ``field``, through the field's own preparation (not pre_save)."""
    if value is None:
        return None
    if isinstance(field, EncryptedTextField):
        return value  # the ciphertext exactly as it was stored
    if not isinstance(field, models.JSONField):
        value = field.to_python(value)
    return field.get_db_prep_save(value, connection)


def _dump_table(model: type[models.Model]) -> dict:
    fields = list(model._meta.concrete_fields)
    names = [f.attname for f in fields]
    # values_list applies the database converters (types) but never decrypts an encrypted field.
    rows = model._base_manager.using(connection.alias).order_by("pk").values_list(*names).iterator(chunk_size=2000)
    return {
        "model": model._meta.label,
        "table": model._meta.db_table,
        "fields": names,
        "rows": [[_encode(v) for v in row] for row in rows],
    }


def backup_write(path: Path) -> dict[str, int]:
    """Write an encrypted backup of the whole database to ``path``; return row counts per model."""
    with transaction.atomic():  # one consistent snapshot (PostgreSQL: repeatable within the transaction)
        tables = [_dump_table(m) for m in backup_models()]
        schema = _schema()
    payload = json.dumps({"schema": schema, "tables": tables}, ensure_ascii=False, separators=(",", ":"))
    kid, key = settings.NRM_ENCRYPTION_KEYS[0]
    nonce = os.urandom(12)
    header = json.dumps(
        {
            "key": kid,
            "key_fingerprint": _key_fingerprint(key),
            "nonce": base64.b64encode(nonce).decode(),
            "vendor": connection.vendor,
        }
    ).encode()
    sealed = AESGCM(key).encrypt(nonce, gzip.compress(payload.encode("utf-8")), MAGIC + header)
    tmp = path.with_suffix(path.suffix + ".part")
    with open(tmp, "wb") as fh:
        fh.write(MAGIC + header + b"\n" + sealed)
    os.replace(tmp, path)  # a crash mid-write never leaves a truncated file under the real name
    return {t["model"]: len(t["rows"]) for t in tables}


def backup_read(path: Path) -> dict:
    """Return the decrypted content of a backup file; raise :class:`BackupError` saying what is wrong."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BackupError(f"{path} cannot be read ({exc.strerror}); check the path and its permissions") from None
    if raw.startswith(LEGACY_MAGIC):
        raise BackupError(
            f"{path} is a backup in the previous format (NRMBACKUP1), which this version does not restore: "
            "restore it with the NRM version that wrote it, then upgrade (nrm migrate) and take a new backup"
        )
    if not raw.startswith(MAGIC):
        raise BackupError(
            f"{path} is not an NRM backup (it does not start with {MAGIC.strip().decode()}); give a file written by "
            "'nrm backup'"
        )
    header_line, newline, sealed = raw[len(MAGIC) :].partition(b"\n")
    try:
        header = json.loads(header_line)
        kid, fingerprint, nonce = header["key"], header["key_fingerprint"], base64.b64decode(header["nonce"])
    except (ValueError, KeyError, TypeError):
        header = None
    if header is None or not newline:
        raise BackupError(f"{path} is damaged: its header cannot be read; use another copy of the backup")
    keys = dict(settings.NRM_ENCRYPTION_KEYS)
    if kid not in keys:
        raise BackupError(
            f"{path} was sealed with encryption key {kid!r}, which is not in NRM_ENCRYPTION_KEYS "
            f"(configured: {', '.join(keys)}); add that key to NRM_ENCRYPTION_KEYS and run restore again"
        )
    if not hmac.compare_digest(str(fingerprint), _key_fingerprint(keys[kid])):
        raise BackupError(
            f"{path} was sealed with a different key that is also named {kid!r} (from another installation?); "
            "configure the key of the installation that wrote it in NRM_ENCRYPTION_KEYS and run restore again"
        )
    try:
        data = AESGCM(keys[kid]).decrypt(nonce, sealed, MAGIC + header_line)
        return json.loads(gzip.decompress(data))
    except Exception:  # noqa: BLE001 - any failure here means the content is not what was sealed
        raise BackupError(
            f"{path} is damaged or was altered (it does not match its seal); use another copy of the backup"
        ) from None


def _occupied() -> list[str]:
    """The models that already hold rows (beyond what ``migrate`` fills)."""
    return [
        m._meta.label
        for m in backup_models()
        if m._meta.label not in MIGRATE_FILLED and not m._meta.auto_created and m._base_manager.exists()
    ]


def _check_schema(backup_schema: list[list[str]]) -> None:
    here = {tuple(m) for m in _schema()}
    there = {tuple(m) for m in backup_schema}
    if here == there:
        return
    missing = sorted(there - here)
    if missing:
        raise BackupError(
            "the backup was written by a newer schema: this database lacks migrations "
            + ", ".join(f"{a}.{n}" for a, n in missing[:5])
            + "; restore it with the NRM version that wrote it"
        )
    extra = sorted(here - there)
    raise BackupError(
        "the backup was written by an older schema: it lacks migrations "
        + ", ".join(f"{a}.{n}" for a, n in extra[:5])
        + "; restore it with the NRM version that wrote it, then upgrade (nrm migrate)"
    )


def backup_check(path: Path, *, force: bool = False) -> dict:
    """Read a backup and check it can be restored here; change nothing. Return its content."""
    content = backup_read(path)
    _check_schema(content["schema"])
    occupied = _occupied()
    if occupied and not force:
        raise BackupError(
            f"the database is not empty (it holds {', '.join(occupied[:5])}{', …' if len(occupied) > 5 else ''}); "
            "restore replaces everything in it: run it again with --force to do so, or restore into an empty database"
        )
    by_label = {m._meta.label for m in backup_models()}
    unknown = [t["model"] for t in content["tables"] if t["model"] not in by_label]
    if unknown:
        raise BackupError(f"the backup holds tables this version does not know ({', '.join(unknown[:5])})")
    return content


@transaction.atomic
def backup_restore(path: Path, *, force: bool = False) -> int:
    """Replace the database's content with a backup's, exactly; all or nothing. Return the rows loaded.

    Everything is checked before anything changes; a failure leaves the database as it was.
    """
    content = backup_check(path, force=force)
    for steps in _RESTORE_STEPS:  # triggers off: a row at a time would be slow, recounted once at the end
        steps.before(connection)
    # Every table the backup covers is emptied, including what migrate filled (content types,
    # permissions): the backup's own rows come back with their own ids.
    for model in reversed(backup_models()):
        model._base_manager.all()._raw_delete(connection.alias)
    count = 0
    quote = connection.ops.quote_name
    for table in content["tables"]:
        model = apps.get_model(table["model"])
        fields = [model._meta.get_field(name) for name in _field_names(model, table["fields"])]
        columns = ", ".join(quote(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        rows = [[_decode(f, v) for f, v in zip(fields, row, strict=True)] for row in table["rows"]]
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 1000):
                cursor.executemany(sql, rows[start : start + 1000])
        count += len(rows)
    for steps in _RESTORE_STEPS:  # partitions for the rows' years, triggers back, counts made afresh
        steps.after(connection)
    # Sequences must continue after the restored ids (PostgreSQL); SQLite needs nothing.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(_no_style(), backup_models()):
            cursor.execute(sql)
    return count


def _field_names(model: type[models.Model], names: list[str]) -> list[str]:
    """The backup's columns, which must be the model's own (the schema check makes them so)."""
    by_attname = {f.attname: f.name for f in model._meta.concrete_fields}
    if set(names) != set(by_attname):
        raise BackupError(f"the backup's columns of {model._meta.label} do not match this database's")
    return [by_attname[n] for n in names]


def _no_style():
    from django.core.management.color import no_style

    return no_style()
