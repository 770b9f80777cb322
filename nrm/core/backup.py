"""Encrypted, database-independent backups.

A backup is Django's JSON serialisation of every table, gzip-compressed and sealed with
AES-256-GCM under the current encryption key. Identity fields are plaintext inside the
serialisation, so the file itself is encrypted: without the key it reveals nothing. Restore
works across databases (SQLite to PostgreSQL and back) and keeps the audit chain verifiable.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.db import connection, transaction

MAGIC = b"NRMBACKUP1\n"
EXCLUDE = ["contenttypes", "auth.permission", "sessions.session"]


def _models():
    skip = {"contenttypes", "sessions", "admin"}
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_label not in skip and m._meta.label != "auth.Permission"
    ]


def backup_write(path: Path) -> dict[str, int]:
    """Write an encrypted backup of the whole database to ``path``; return row counts."""
    buffer = io.StringIO()
    call_command("dumpdata", *[], exclude=EXCLUDE, natural_foreign=False, stdout=buffer, verbosity=0)
    payload = buffer.getvalue().encode("utf-8")
    counts: dict[str, int] = {}
    for row in json.loads(payload):
        counts[row["model"]] = counts.get(row["model"], 0) + 1
    kid, key = settings.NRM_ENCRYPTION_KEYS[0]
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, gzip.compress(payload), MAGIC + kid.encode())
    header = json.dumps({"key": kid, "nonce": base64.b64encode(nonce).decode(), "vendor": connection.vendor})
    tmp = path.with_suffix(path.suffix + ".part")
    with open(tmp, "wb") as fh:
        fh.write(MAGIC + header.encode() + b"\n" + sealed)
    os.replace(tmp, path)  # a crash mid-write never leaves a truncated file under the real name
    return counts


class BackupError(Exception):
    pass


def backup_read(path: Path) -> bytes:
    """Return the decrypted JSON of a backup file."""
    raw = path.read_bytes()
    if not raw.startswith(MAGIC):
        raise BackupError(f"{path} is not an NRM backup")
    header_line, _, sealed = raw[len(MAGIC) :].partition(b"\n")
    header = json.loads(header_line)
    keys = dict(settings.NRM_ENCRYPTION_KEYS)
    if header["key"] not in keys:
        raise BackupError(f"the backup was sealed with key {header['key']!r}, which is not configured")
    try:
        data = AESGCM(keys[header["key"]]).decrypt(
            base64.b64decode(header["nonce"]), sealed, MAGIC + header["key"].encode()
        )
    except Exception:  # noqa: BLE001
        raise BackupError("the backup is damaged or was altered") from None
    return gzip.decompress(data)


@transaction.atomic
def backup_restore(path: Path, *, force: bool = False) -> int:
    """Replace the database's content with a backup's; all or nothing. Return the rows loaded."""
    payload = backup_read(path)
    has_data = any(m.objects.exists() for m in _models())
    if has_data and not force:
        raise BackupError("the database is not empty; use --force to replace its content")
    from nrm.audit import triggers

    triggers.remove(connection)
    if has_data:
        for model in reversed(_models()):
            model._base_manager.all()._raw_delete(model._base_manager.db)
    count = 0
    pending: list = []
    m2m: list = []

    def flush() -> None:
        if pending:
            type(pending[0]).objects.bulk_create(pending, batch_size=2000)
            pending.clear()

    # Rows arrive grouped by model in dependency order; insert each group in bulk.
    for obj in serializers.deserialize("json", payload.decode("utf-8")):
        if pending and type(pending[0]) is not type(obj.object):
            flush()
        pending.append(obj.object)
        if obj.m2m_data:
            m2m.append((obj.object, obj.m2m_data))
        count += 1
    flush()
    links: dict = {}
    for instance, relations in m2m:
        for name, ids in relations.items():
            field = instance._meta.get_field(name)
            through = field.remote_field.through
            src, dst = field.m2m_field_name() + "_id", field.m2m_reverse_field_name() + "_id"
            links.setdefault(through, []).extend(through(**{src: instance.pk, dst: pk}) for pk in ids)
    for through, rows in links.items():
        through.objects.bulk_create(rows, batch_size=5000)
    triggers.install(connection)
    # Sequences must continue after the restored ids (PostgreSQL); SQLite needs nothing.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(_no_style(), _models()):
            cursor.execute(sql)
    return count


def _no_style():
    from django.core.management.color import no_style

    return no_style()
