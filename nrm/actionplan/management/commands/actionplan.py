"""``nrm actionplan``: due dates, loading and exporting plans, reporting rates, overdue lists, reminders.

nrm actionplan due-date 2024-04            ISO due date of the monthly report on April 2024
nrm actionplan due-date 2017 --annual      ISO due date of the annual report for 2017
nrm actionplan load [FILE]                 load a strategy and action plan (default: Serbia's)
nrm actionplan export --format json        the plan as JSON: objectives, activities, tasks...
nrm actionplan rates --year 2018           completeness and timeliness per institution
nrm actionplan overdue                     expected reports past due and not received
nrm actionplan remind                      e-mail reminders of due and overdue reports
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from nrm.actionplan import metrics, selectors, services
from nrm.actionplan.choices import ReportKind
from nrm.actionplan.due import Period
from nrm.core.errors import NotFound
from nrm.core.spreadsheet import csv_lines


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date: use YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Strategy and Action Plan monitoring: due-date, load, export, rates, overdue, remind."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="operation", required=True, metavar="{due-date,load,export,rates,overdue,remind}"
        )
        due = sub.add_parser("due-date", help="print the ISO due date of a report")
        due.add_argument("period", help="YYYY-MM for the monthly report on that month; YYYY with --annual")
        due.add_argument("--annual", action="store_true", help="the annual report for the year YYYY")
        due.add_argument("--plan", help="use this plan's reporting calendar (code); default: the country's rules")
        load = sub.add_parser("load", help="load a strategy and action plan from JSON (idempotent)")
        load.add_argument("file", nargs="?", help="default: Serbia's Strategy 2017-2022 and Action Plan 2017-2018")
        load.add_argument("--institutions", help="institution-to-organisation map (default: FILE.institutions.json)")
        export = sub.add_parser("export", help="print a plan")
        export.add_argument("--format", choices=["json"], default="json")
        export.add_argument("--plan", help="plan code (default: the newest plan)")
        rates = sub.add_parser("rates", help="print completeness and timeliness")
        rates.add_argument("--plan", help="plan code (default: the newest plan)")
        rates.add_argument("--year", type=int, help="default: the plan's first year")
        rates.add_argument("--month", type=int)
        rates.add_argument("--kind", choices=ReportKind.values, default=ReportKind.MONTHLY)
        rates.add_argument("--by", choices=["institution", "period"], default="institution")
        rates.add_argument("--format", choices=["text", "csv", "json"], default="text")
        overdue = sub.add_parser("overdue", help="print expected reports past due and not received")
        overdue.add_argument("--plan", help="plan code (default: the newest plan)")
        overdue.add_argument("--date", help="as of this date (default: today)")
        remind = sub.add_parser("remind", help="e-mail reminders of due and overdue reports and briefings")
        remind.add_argument("--date", help="as of this date (default: today)")
        remind.add_argument("--days-ahead", type=int, default=3)

    def handle(self, *args, operation: str, **options):
        handler = getattr(self, "do_" + operation.replace("-", "_"))
        try:
            handler(**options)
        except NotFound:
            raise CommandError("no such action plan is loaded; run `nrm actionplan load`") from None
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"error": exc.messages}
            field = next(iter(errors))
            raise CommandError(f"{field}: {errors[field][0]}") from None

    def _plan(self, code: str | None):
        return selectors.plan_get(code=code)

    def do_due_date(self, *, period: str, annual: bool, plan: str | None, **_options) -> None:
        try:
            p = Period.parse(period)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if annual and p.month:
            raise CommandError("with --annual give a year: YYYY")
        if not annual and not p.month:
            raise CommandError("give a month as YYYY-MM, or a year with --annual")
        self.stdout.write(p.due(self._plan(plan) if plan else None).isoformat())

    def do_load(self, *, file: str | None, institutions: str | None, **_options) -> None:
        counts = services.load_plan(file, institutions_path=institutions)
        self.stdout.write("loaded: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))

    def do_export(self, *, plan: str | None, **_options) -> None:
        data = selectors.plan_export(self._plan(plan))
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))

    def do_rates(self, *, plan, year, month, kind, by, format, **_options) -> None:
        p = self._plan(plan)
        periods = metrics.periods_of(p, kind, year or p.period_start, month)
        rows, total = metrics.rates(metrics.reporting_cells(p, periods), by=by)
        data = [r.as_dict() for r in [*rows, total]]
        if format == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        if format == "csv":
            columns = ["key", "label", "expected", "received", "on_time", "completeness", "timeliness"]
            for line in csv_lines([columns, *([d[k] for k in columns] for d in data)]):
                self.stdout.write(line, ending="")
            return
        for d in data:
            pct = lambda v: "-" if v is None else f"{v:.1f}%"  # noqa: E731
            self.stdout.write(
                f"{d['label'][:60]:<60} {d['received']:>3}/{d['expected']:<3} {pct(d['completeness']):>7} "
                f"on time {d['on_time']:>3} {pct(d['timeliness']):>7}"
            )

    def do_overdue(self, *, plan, date, **_options) -> None:
        today = _date(date) if date else timezone.localdate()
        for c in metrics.overdue(self._plan(plan), today=today):
            status = c.status or "missing"
            self.stdout.write(f"{c.period.label:<8} due {c.due_on.isoformat()}  {status:<9} {c.institution}")

    def do_remind(self, *, date, days_ahead, **_options) -> None:
        counts = services.reminders_send(today=_date(date) if date else None, days_ahead=days_ahead)
        self.stdout.write("reminders: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
