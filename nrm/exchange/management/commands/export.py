"""``nrm export htcds FILE [--user U]``: cases as HTCDS v2.0 (.csv or .xlsx).

With ``--user`` the export holds what that user may see, identity where they may see it.
Without it (the server's command line) it holds every case, with the identity columns empty.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from nrm.exchange import htcds
from nrm.exchange.management.commands._common import acting_user
from nrm.exchange.tabular import TableError, file_format


class Command(BaseCommand):
    help = "Export the cases a user may see as an HTCDS v2.0 file; the format follows the extension."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["htcds"])
        parser.add_argument("file", type=Path, help=".csv or .xlsx")
        parser.add_argument(
            "--user", help="export as this user (their access rule applies); without it: all cases, no identity"
        )

    def handle(self, *args, kind: str, file: Path, **options):
        try:
            file_format(file)
        except TableError as exc:
            raise CommandError(str(exc)) from None
        user = acting_user(options["user"], "an HTCDS export") if options["user"] else None
        try:
            result = htcds.htcds_export(
                actor=user,
                path=file,
                progress=lambda done, total: self.stderr.write(f"exported {done:,} of {total:,} cases"),
            )
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from None
        self.stdout.write(
            f"exported {result.rows:,} cases to {file} ({result.with_identity:,} with identity) as "
            + (user.username if user else "the command line (all cases, no identity)")
        )
