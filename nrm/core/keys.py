"""Encryption key rotation: re-encrypt every stored identity value under the current key, bound to its row."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Substr

from nrm.core import crypto
from nrm.core.bypass import unrestricted
from nrm.core.fields import EncryptedBinaryField, EncryptedTextField, Sealed

log = logging.getLogger("nrm.security")


def encrypted_fields() -> list[tuple[type, list[str]]]:
    """Return every model with encrypted fields, and those fields' attribute names."""
    found = []
    for model in apps.get_models():
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def encrypted_binary_fields() -> list[tuple[type, list[str]]]:
    """Return every model with encrypted files (:class:`EncryptedBinaryField`), and those fields' attribute names."""
    found = []
    for model in apps.get_models():
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedBinaryField)]
        if names:
            found.append((model, names))
    return found


def is_current(token: str) -> bool:
    """Whether a stored ciphertext is already in the bound form under the current key."""
    return crypto.version_of(token) == crypto.PREFIX and crypto.key_id_of(token) == crypto.current_key_id()


def rotate_keys(*, batch: int = 2000, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Re-encrypt every value sealed with an older key or in the unbound v1 form; return rows changed per model.

    Afterwards every readable value is v2 under the current key, so older keys can be removed.
    The stored ciphertexts are read as they are (``values_list`` does not decrypt), decrypted
    with the key ring for their row and field, and written back bound to that row. A value that
    does not decrypt for its row (copied or altered) is left as it is and logged. Each batch is
    one transaction, so an interrupted rotation can simply be run again.
    """
    changed: dict[str, int] = {}
    for model, names in encrypted_fields():
        label = model._meta.concrete_model._meta.label
        fields = [model._meta.get_field(n) for n in names]
        count = 0
        last_pk = 0
        while True:
            rows = list(
                unrestricted(model._base_manager.all(), "key rotation")
                .filter(pk__gt=last_pk)
                .order_by("pk")
                .values_list("pk", "binding", *names)[:batch]
            )
            if not rows:
                break
            with transaction.atomic():
                for pk, binding, *tokens in rows:
                    fresh = {}
                    for field, token in zip(fields, tokens, strict=True):
                        if not token or is_current(token):
                            continue
                        aad = crypto.bound_aad(label, field.name, binding)
                        try:
                            plaintext = crypto.decrypt(token, aad=aad)
                        except crypto.DecryptionError:
                            log.warning("key rotation: unreadable %s.%s of row %s left as it is", label, field.name, pk)
                            continue
                        fresh[field.attname] = Sealed(crypto.encrypt(plaintext, aad=aad))
                    if fresh:
                        model._base_manager.filter(pk=pk).update(**fresh)
                        count += 1
            last_pk = rows[-1][0]
            if progress:
                progress(label, count)
        changed[label] = count
    for model, names in encrypted_binary_fields():
        label = model._meta.concrete_model._meta.label
        changed[label] = changed.get(label, 0) + _rotate_binary(model, names, batch=batch, progress=progress)
    return changed


def _rotate_binary(model, names: list[str], *, batch: int, progress: Callable[[str, int], None] | None) -> int:
    """Re-encrypt the files of ``model`` not under the current key; return the rows changed.

    Files can be large: each batch reads only the first bytes of each (the header names the
    key), and each stale file is then read, re-encrypted and written back alone, in its own
    transaction, so memory holds one file at a time and a rerun carries on where it stopped.
    """
    label = model._meta.concrete_model._meta.label
    current = crypto.bytes_header()
    width = len(current)
    heads = {n: Substr(n, 1, width, output_field=models.BinaryField()) for n in names}
    count, last_pk = 0, 0
    while True:
        rows = list(
            unrestricted(model._base_manager.all(), "key rotation")
            .filter(pk__gt=last_pk)
            .order_by("pk")
            .annotate(**{f"_head_{n}": h for n, h in heads.items()})
            .values_list("pk", "binding", *(f"_head_{n}" for n in names))[:batch]
        )
        if not rows:
            break
        for pk, binding, *tops in rows:
            stale = [n for n, top in zip(names, tops, strict=True) if top is not None and bytes(top) != current]
            fresh = {}
            with transaction.atomic():
                for name in stale:
                    field = model._meta.get_field(name)
                    token = model._base_manager.filter(pk=pk).values_list(name, flat=True).first()
                    if not token:
                        continue
                    aad = field.aad(binding)
                    try:
                        data = crypto.decrypt_bytes(token, aad=aad)
                    except crypto.DecryptionError:
                        log.warning("key rotation: unreadable %s.%s of row %s left as it is", label, name, pk)
                        continue
                    fresh[name] = crypto.encrypt_bytes(data, aad=aad)
                if fresh:
                    model._base_manager.filter(pk=pk).update(**fresh)
                    count += 1
        last_pk = rows[-1][0]
        if progress:
            progress(label, count)
    return count
