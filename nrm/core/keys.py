"""Encryption key rotation: re-encrypt every stored identity value under the current key."""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.db import transaction

from nrm.accounts.access import unrestricted
from nrm.core import crypto
from nrm.core.fields import EncryptedTextField


def encrypted_fields() -> list[tuple[type, list[str]]]:
    """Return every model with encrypted fields, and those fields' attribute names."""
    found = []
    for model in apps.get_models():
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def rotate_keys(*, batch: int = 2000, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Re-encrypt values sealed with an older key under the current one; return rows changed per model.

    Values are read raw (no decryption needed to find the old ones), decrypted with the key ring
    and written back through the field, which encrypts with the current key. Each batch is one
    transaction, so an interrupted rotation can simply be run again.
    """
    current = crypto.current_key_id()
    changed: dict[str, int] = {}
    for model, names in encrypted_fields():
        count = 0
        last_pk = 0
        while True:
            rows = list(
                unrestricted(model._base_manager.all(), "key rotation")
                .filter(pk__gt=last_pk)
                .order_by("pk")
                .values_list("pk", *names)[:batch]
                .using("default")
            )
            # values_list goes through from_db_value, which decrypts: read the raw tokens instead.
            raw = _raw_tokens(model, names, [r[0] for r in rows])
            if not rows:
                break
            with transaction.atomic():
                for pk, *values in rows:
                    stale = {
                        n: v
                        for n, v in zip(names, values, strict=True)
                        if raw[pk].get(n) and crypto.key_id_of(raw[pk][n]) != current
                    }
                    if stale:
                        model._base_manager.filter(pk=pk).update(**stale)
                        count += 1
            last_pk = rows[-1][0]
            if progress:
                progress(model._meta.label, count)
        changed[model._meta.label] = count
    return changed


def _raw_tokens(model, names: list[str], pks: list) -> dict:
    """Return {pk: {field: stored ciphertext}} without decrypting."""
    if not pks:
        return {}
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    pk_col = connection.ops.quote_name(model._meta.pk.column)
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(n).column) for n in names)
    placeholders = ", ".join(["%s"] * len(pks))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk_col}, {columns} FROM {table} WHERE {pk_col} IN ({placeholders})", pks)  # noqa: S608
        return {row[0]: dict(zip(names, row[1:], strict=True)) for row in cursor.fetchall()}
