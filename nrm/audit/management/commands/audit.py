"""``nrm audit verify``: check the audit chain; exit 1 on any edit or deletion."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from nrm.audit.services import audit_verify


class Command(BaseCommand):
    help = "Audit log operations. 'verify' recomputes the hash chain and fails on any edit or deletion."

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["verify"])

    def handle(self, *args, operation: str, **options):
        started = time.perf_counter()
        result = audit_verify()
        elapsed = time.perf_counter() - started
        if not result.ok:
            raise CommandError(f"audit chain broken after {result.checked} good entries: {result.problem}")
        rate = result.checked / elapsed if elapsed else 0
        self.stdout.write(
            f"audit chain intact: {result.checked} entries verified in {elapsed:.2f} s ({rate:,.0f} entries/s)"
        )
