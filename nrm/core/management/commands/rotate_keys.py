"""``nrm rotate_keys``: re-encrypt identity fields under the first key of NRM_ENCRYPTION_KEYS."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from nrm.audit.services import audit_record
from nrm.core import crypto
from nrm.core.keys import rotate_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value still sealed with an older key under the current (first) key of "
        "NRM_ENCRYPTION_KEYS. Put the new key first, keep the old ones until this has run, then drop them."
    )

    def handle(self, *args, **options):
        changed = rotate_keys(
            progress=lambda label, n: self.stderr.write(f"\r{label}: {n} rows re-encrypted", ending="")
        )
        self.stderr.write("")
        audit_record(
            actor=None, action="keys.rotate", object_type="keyring", object_id=crypto.current_key_id(), detail=changed
        )
        total = sum(changed.values())
        self.stdout.write(
            f"re-encrypted {total} rows under key {crypto.current_key_id()}: "
            + ", ".join(f"{k} {v}" for k, v in changed.items() if v)
        )
