"""``nrm ctdc conformance FILE DICT.xlsx``: import a CTDC file and compare every column's
frequencies with the publisher's TabStat sheet; exit non-zero on any mismatch."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from nrm.exchange import ctdc
from nrm.exchange.ctdc import ImportFailed
from nrm.exchange.management.commands._common import report
from nrm.exchange.models import ExternalDataset


def run_conformance(command: BaseCommand, dataset: ExternalDataset, dictionary: Path) -> None:
    """Print each column's result; raise CommandError if any column does not match."""
    try:
        checks = ctdc.conformance(dataset, dictionary)
    except ImportFailed as exc:
        raise CommandError(str(exc)) from None
    for check in checks:
        if check.ok:
            command.stdout.write(f"{check.column}: matched ({check.values} values, counts and percentages)")
        else:
            command.stdout.write(f"{check.column}: MISMATCH")
            for problem in check.problems:
                command.stdout.write(f"    {problem}")
    matched = sum(c.ok for c in checks)
    command.stdout.write(f"{matched}/{len(checks)} columns matched the publisher's tables")
    if matched != len(checks):
        raise CommandError(f"{len(checks) - matched} of {len(checks)} columns do not match {dictionary.name}")


class Command(BaseCommand):
    help = "CTDC tools. 'conformance FILE DICT.xlsx' checks the importer and the frequencies against TabStat."

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["conformance"])
        parser.add_argument("file", type=Path, help="the CTDC data file (.csv or .xlsx)")
        parser.add_argument("dictionary", type=Path, help="the publisher's data dictionary with a TabStat sheet")
        parser.add_argument("--dataset", default="ctdc-conformance", help="data set to import into (replaced)")

    def handle(self, *args, operation: str, file: Path, dictionary: Path, dataset: str, **options):
        try:
            result = ctdc.ctdc_import(
                path=file,
                name=dataset,
                actor="nrm ctdc conformance (command line)",
                progress=lambda stage, done, total: self.stderr.write(
                    f"{stage}: {done:,}" + (f" of {total:,}" if total else "") + " rows"
                ),
            )
        except ImportFailed as exc:
            raise report(self, exc) from None
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(
            f"imported {result.rows:,} rows into data set {dataset} ({result.rows_per_second:,.0f} rows/s)"
        )
        run_conformance(self, result.dataset, dictionary)
