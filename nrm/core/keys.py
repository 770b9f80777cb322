"""Encryption key rotation: re-encrypt every stored identity value under the current key, bound to its row."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.apps import apps
from django.db import transaction

from nrm.accounts.access import unrestricted
from nrm.core import crypto
from nrm.core.fields import EncryptedTextField, Sealed

log = logging.getLogger("nrm.security")


def encrypted_fields() -> list[tuple[type, list[str]]]:
    """Return every model with encrypted fields, and those fields' attribute names."""
    found = []
    for model in apps.get_models():
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
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
    return changed
