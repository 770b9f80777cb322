"""``nrm retention apply [--dry-run]``: erase identity of closed cases past their retention period."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from nrm.cases.retention import retention_apply, retention_years


class Command(BaseCommand):
    help = "Erase the identity of closed cases whose retention period has ended (statistics fields stay)."

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["apply"])
        parser.add_argument("--dry-run", action="store_true", help="list the cases, change nothing")

    def handle(self, *args, operation: str, dry_run: bool, **options):
        refs = retention_apply(dry_run=dry_run)
        verb = "would erase" if dry_run else "erased"
        self.stdout.write(
            f"{verb} the identity of {len(refs)} cases (retention {retention_years()} years after "
            f"closure){': ' + ', '.join(refs[:20]) if refs else ''}{' ...' if len(refs) > 20 else ''}"
        )
