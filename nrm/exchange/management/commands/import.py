"""``nrm import ctdc FILE --dataset NAME`` and ``nrm import htcds FILE --user U [--organisation CODE]``.

CTDC files become an external data set (re-importing a name replaces it, atomically); HTCDS
files become cases of the user's organisation, through the same services as the pages. Both
are all or nothing: on any error the row-by-row report goes to stderr and nothing is stored.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from nrm.exchange import ctdc, htcds
from nrm.exchange.ctdc import ImportFailed
from nrm.exchange.management.commands._common import acting_user, import_account, report


class Command(BaseCommand):
    help = "Import a CTDC data set (as an external data set) or an HTCDS v2.0 file (as cases)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["ctdc", "htcds"])
        parser.add_argument("file", type=Path, help=".csv or .xlsx")
        parser.add_argument("--dataset", help="ctdc: name of the external data set (replaced if it exists)")
        parser.add_argument("--check", type=Path, metavar="DICT.xlsx", help="ctdc: compare with the TabStat sheet")
        parser.add_argument("--user", help="htcds: the user importing (their access rule applies)")
        parser.add_argument("--organisation", metavar="CODE", help="htcds: the organisation the cases belong to")

    def handle(self, *args, kind: str, file: Path, **options):
        if kind == "ctdc":
            result = self._ctdc(file, options)
            if options["check"]:
                from nrm.exchange.management.commands.ctdc import run_conformance

                run_conformance(self, result.dataset, options["check"])
        else:
            self._htcds(file, options)

    def _progress(self, stage: str, done: int, total: int) -> None:
        self.stderr.write(f"{stage}: {done:,}" + (f" of {total:,}" if total else "") + " rows")

    def _ctdc(self, file: Path, options) -> ctdc.ImportResult:
        if not options["dataset"]:
            raise CommandError("give the data set's name with --dataset NAME")
        try:
            result = ctdc.ctdc_import(
                path=file,
                name=options["dataset"],
                actor=options["user"] or "nrm import (command line)",
                progress=self._progress,
            )
        except ImportFailed as exc:
            raise report(self, exc) from None
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(
            f"imported {result.rows:,} rows of {file.name} into data set {result.dataset.name} "
            f"({len(result.dataset.columns)} known columns) in {result.seconds:.2f} s "
            f"({result.rows_per_second:,.0f} rows/s)"
        )
        return result

    def _htcds(self, file: Path, options) -> None:
        user = (
            acting_user(options["user"], "an HTCDS import")
            if options["user"]
            else import_account(options["organisation"])
        )
        try:
            organisation = htcds.import_organisation(user, options["organisation"])
            result = htcds.htcds_import(
                actor=user,
                path=file,
                organisation=organisation,
                progress=lambda done, total: self._progress("imported", done, total),
            )
        except ImportFailed as exc:
            raise report(self, exc) from None
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(f"imported {len(result.cases):,} cases of {file.name} into {organisation.code}")
