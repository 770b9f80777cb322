"""``nrm report budget --format csv``: the budget tables of the Strategy and the Action Plan.

Prints ``section,institution,year,amount,currency``, one row per institution and year, the
section being ``strategy`` or ``action_plan``; amounts to the cent, as the source prints them.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from nrm.actionplan import selectors
from nrm.core.errors import NotFound
from nrm.core.spreadsheet import csv_lines

FIELDS = ["section", "institution", "year", "amount", "currency"]


class Command(BaseCommand):
    help = "Reports from NRM data. 'budget' prints the budget tables of the strategy and its action plan."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="operation", required=True, metavar="{budget}")
        budget = sub.add_parser("budget", help="planned budget per section, institution and year")
        budget.add_argument("--format", choices=["csv", "json"], default="csv")
        budget.add_argument("--strategy", help="strategy code (default: the newest strategy)")
        budget.add_argument("--section", choices=["strategy", "action_plan"], help="only this section")

    def handle(self, *args, operation: str, **options):
        if operation == "budget":
            self.budget(**options)

    def budget(self, *, format: str, strategy: str | None, section: str | None, **_options) -> None:
        try:
            found = selectors.strategy_get(strategy)
        except NotFound:
            raise CommandError("no such strategy is loaded; run `nrm actionplan load`") from None
        rows = [r for r in selectors.budget_rows(found) if section is None or r["section"] == section]
        if format == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for line in csv_lines([FIELDS, *([r.get(k) for k in FIELDS] for r in rows)]):
            self.stdout.write(line, ending="")
