"""``nrm stats``: statistics tables on the command line, with disclosure control.

    nrm stats --by year,sex [--population registered] [--dataset NAME] [--filter year=2023]
              [--threshold N] [--rounding 5|10] [--raw] [--totals] [--format csv|json|xlsx] [--output FILE]
    nrm stats --table NAME [same options, without --by]
    nrm stats --list
    nrm stats --publish NAME[,NAME...] --years YYYY[-YYYY] [--note TEXT]
    nrm stats --rebuild
    nrm stats --check

``--rebuild`` recounts the screenings' analytics table (``nrm.reporting.aggregates``) and says how
many of its counts were wrong (none, unless something wrote around the database's triggers); it
also sets every case's ``identified_on`` from its decisions and says how many disagreed.
``--check`` changes nothing: it lists the cases whose ``identified_on`` disagrees with their
decisions (``cases.selectors.identified_on_disagreements``) and exits non-zero if there is one.

``--publish`` publishes standard tables for a period, as readers get them, and records the
publication (who: ``cli:<user>``), which the analyst's "new data since the last publication" starts from.

CSV (the default) prints one row per cell: the dimension columns, ``count`` and ``suppressed``.
A suppressed cell prints an empty ``count`` and ``suppressed`` = ``true``, never a number.
``--totals`` adds the margins, whose summed dimensions read ``total``. ``--raw`` prints the
counts without disclosure control (local use only) and writes an audit row ``stats.raw``.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import sys
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from nrm.audit.services import audit_record
from nrm.reporting import engine, exports, selectors
from nrm.reporting.tables import REPORTS, get_report


class Command(BaseCommand):
    help = "Print a statistics table (disclosure control applied unless --raw): --by DIMS, --table NAME or --list."

    def add_arguments(self, parser):
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--by", help="dimensions, comma-separated: " + ", ".join(engine.DIMENSIONS))
        what.add_argument("--table", help="a standard table's name (see --list)")
        what.add_argument("--list", action="store_true", help="list the standard tables, populations and data sets")
        what.add_argument("--publish", metavar="NAMES", help="publish these standard tables and record it (--years)")
        what.add_argument(
            "--rebuild", action="store_true", help="recount the screenings' analytics table and identified_on"
        )
        what.add_argument(
            "--check", action="store_true", help="list cases whose identified_on disagrees with their decisions"
        )
        parser.add_argument("--years", help="with --publish: the year or years published, YYYY or YYYY-YYYY")
        parser.add_argument("--note", default="", help="with --publish: a note kept with the publication")
        parser.add_argument("--population", default="registered", choices=list(engine.POPULATIONS))
        parser.add_argument("--dataset", default="", help="an external data set's name (default: national records)")
        parser.add_argument(
            "--filter", action="append", default=[], metavar="DIM=VALUES", help="e.g. year=2023 or sex=F,M"
        )
        parser.add_argument("--threshold", type=int, help="suppression threshold (default NRM_DISCLOSURE_THRESHOLD, 5)")
        parser.add_argument("--rounding", type=int, choices=[5, 10], help="round published counts to 5 or 10")
        parser.add_argument("--raw", action="store_true", help="raw counts, no disclosure control (audited)")
        parser.add_argument("--totals", action="store_true", help="also print the margins")
        parser.add_argument("--format", default="csv", choices=["csv", "json", "xlsx"])
        parser.add_argument("--output", help="write to this file (required for xlsx)")

    def handle(self, *args, **o):
        if o["list"]:
            self._list()
            return
        if o["publish"]:
            self._publish(o)
            return
        if o["rebuild"]:
            self._rebuild()
            return
        if o["check"]:
            self._check()
            return
        if o["format"] == "xlsx" and not o["output"]:
            raise CommandError("--format xlsx needs --output FILE")
        filters: dict[str, str] = {}
        for item in o["filter"]:
            name, sep, values = item.partition("=")
            if not sep or not values.strip():
                raise CommandError(f"--filter {item!r}: write it as DIM=VALUE[,VALUE...]")
            filters[name.strip()] = values
        source = o["dataset"] or engine.NATIONAL
        started = time.perf_counter()
        captured = CaptureQueriesContext(connection) if o["verbosity"] >= 2 else contextlib.nullcontext()
        try:
            with captured:
                table = self._table(o, source, filters)
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items())) if hasattr(exc, "error_dict") else ("", exc.messages)
            raise CommandError(f"{field}: {messages[0]}" if field else messages[0]) from None
        elapsed = (time.perf_counter() - started) * 1000
        self._write(table, o)
        if isinstance(captured, CaptureQueriesContext):
            sys.stderr.write(
                f"{len(table.cells)} cells, {len(table.totals)} totals, {table.suppressed_count} suppressed; "
                f"computed in {elapsed:.0f} ms ({len(captured)} queries, {connection.vendor})\n"
            )

    def _rebuild(self) -> None:
        from nrm.reporting import aggregates

        started = time.perf_counter()
        wrong = aggregates.rebuild()
        self.stdout.write(
            f"screening counts rebuilt: {aggregates.total():,} screenings in "
            f"{len(aggregates.stored()):,} combinations, {time.perf_counter() - started:.1f} s; "
            f"{wrong} {'count was' if wrong == 1 else 'counts were'} wrong"
        )
        from nrm.cases.selectors import identified_on_disagreements
        from nrm.cases.services import identified_on_follow

        with transaction.atomic():
            wrong_ids = list(identified_on_disagreements().values_list("pk", flat=True))
            for start in range(0, len(wrong_ids), 1000):
                identified_on_follow(wrong_ids[start : start + 1000])
        self.stdout.write(
            f"identified_on: {len(wrong_ids)} {'case' if len(wrong_ids) == 1 else 'cases'} disagreed with "
            "the decisions, now set from them"
        )

    def _check(self) -> None:
        from nrm.cases.selectors import identified_on_disagreements

        wrong = list(identified_on_disagreements().values_list("reference", "identified_on", "expected"))
        for reference, stored, expected in wrong:
            self.stdout.write(f"{reference}: identified_on {stored or 'empty'}, decisions give {expected or 'empty'}")
        if wrong:
            raise CommandError(
                f"{len(wrong)} case(s) whose identified_on disagrees with their decisions (nrm stats --rebuild)"
            )
        self.stdout.write("identified_on: every case agrees with its decisions")

    def _publish(self, o: dict) -> None:
        from nrm.reporting.services import publication_record

        first, _sep, last = (o["years"] or "").partition("-")
        try:
            year_from = int(first) if first.strip() else None
            year_to = int(last) if last.strip() else None
        except ValueError:
            raise CommandError("--years: write YYYY or YYYY-YYYY") from None
        try:
            publication = publication_record(
                actor=None,
                tables=o["publish"].split(","),
                year_from=year_from,
                year_to=year_to,
                note=o["note"],
                via=f"cli:{getpass.getuser()}",
            )
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise CommandError(f"{field}: {messages[0]}") from None
        self.stdout.write(f"published {publication}, threshold {publication.threshold}")
        for t in publication.tables:
            self.stdout.write(f"  {t['name']:36} total {t['total']:>8}  {t['suppressed']} suppressed")

    def _table(self, o: dict, source: str, filters: dict) -> engine.StatTable:
        if o["raw"]:
            self._audit_raw(o, source, filters)
        options = {
            "source": source,
            "filters": filters,
            "threshold": o["threshold"],
            "rounding": o["rounding"],
            "raw": o["raw"],
        }
        if o["table"]:
            return selectors.run_report(get_report(o["table"]), **options)
        return engine.count_table(by=engine.parse_dims(o["by"]), population=o["population"], **options)

    def _audit_raw(self, o: dict, source: str, filters: dict) -> None:
        what = o["table"] or selectors.AD_HOC
        audit_record(
            actor=f"cli:{getpass.getuser()}",
            action="stats.raw",
            object_type="stats",
            object_id=what,
            reason="command line",
            detail={"source": source, "population": o["population"], "by": o["by"] or "", "filters": filters},
        )

    def _write(self, table: engine.StatTable, o: dict) -> None:
        if o["format"] == "xlsx":
            with open(o["output"], "wb") as fh:
                fh.write(exports.table_xlsx(table))
            self.stdout.write(f"wrote {o['output']}")
            return
        if o["format"] == "json":
            text = json.dumps(table.as_dict(), ensure_ascii=False, indent=2, default=str) + "\n"
        else:
            text = exports.table_csv(table, totals=o["totals"])
        if o["output"]:
            with open(o["output"], "w", encoding="utf-8") as fh:
                fh.write(text)
            self.stdout.write(f"wrote {o['output']}")
        else:
            self.stdout.write(text, ending="")

    def _list(self) -> None:
        self.stdout.write("Standard tables (nrm stats --table NAME):")
        for report in REPORTS.values():
            self.stdout.write(f"  {report.name:36} {report.population:11} {','.join(report.dims):36} {report.title}")
        self.stdout.write("Populations (--population):")
        for p in engine.POPULATIONS.values():
            self.stdout.write(f"  {p.name:12} {p.title}")
        self.stdout.write("Dimensions (--by, --filter): " + ", ".join(engine.DIMENSIONS))
        from nrm.exchange.models import ExternalDataset

        names = list(ExternalDataset.objects.order_by("name").values_list("name", "row_count"))
        self.stdout.write(
            "External data sets (--dataset): " + (", ".join(f"{n} ({c} rows)" for n, c in names) or "none")
        )
