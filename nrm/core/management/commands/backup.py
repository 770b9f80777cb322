"""``nrm backup FILE``: write an encrypted backup of the whole database."""

from pathlib import Path

from django.core.management.base import BaseCommand

from nrm.core.backup import backup_write


class Command(BaseCommand):
    help = "Write an encrypted backup (AES-GCM under the current key) of the whole database to FILE."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        counts = backup_write(file)
        self.stdout.write(f"backup written to {file}: {sum(counts.values()):,} rows in {len(counts)} tables")
