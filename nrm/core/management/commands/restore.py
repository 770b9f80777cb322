"""``nrm restore FILE [--force]``: restore a backup into a migrated database."""

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from nrm.core.backup import BackupError, backup_read, backup_restore


class Command(BaseCommand):
    help = "Restore a backup written by 'nrm backup'; all or nothing. --force replaces existing content."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--force", action="store_true")

    def handle(self, *args, file: Path, force: bool, **options):
        if not file.exists():
            raise CommandError(f"{file} does not exist; give the path of a file written by 'nrm backup'")
        try:
            backup_read(file)  # a file that cannot be restored changes nothing, not even the schema
            call_command("migrate", verbosity=0, interactive=False)
            count = backup_restore(file, force=force)
        except BackupError as exc:
            raise CommandError(f"restore failed, no data was changed: {exc}") from None
        self.stdout.write(f"restored {count:,} rows from {file}")
