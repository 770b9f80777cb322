"""``nrm earlywarning``: re-evaluate the early-warning cells.

nrm earlywarning evaluate [--as-of YYYY-MM-DD]   re-evaluate every (group, region); print what was raised
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from nrm.earlywarning import services


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date: use YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Early warning: evaluate (re-evaluate every group and region; windows slide with time)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="operation", required=True, metavar="{evaluate}")
        evaluate = sub.add_parser("evaluate", help="re-evaluate every cell and print the alerts raised or escalated")
        evaluate.add_argument("--as-of", type=_date, help="the day the windows end (default: today)")

    def handle(self, *args, operation: str, as_of: dt.date | None = None, **options):
        done = services.alerts_evaluate(as_of=as_of)
        for kind, alert in done:
            self.stdout.write(
                f"{kind}: alert {alert.pk} {alert.group.code} / {alert.region} score {alert.score} "
                f"({alert.observations} observations)"
            )
        raised = sum(1 for kind, _a in done if kind == "raised")
        self.stdout.write(f"evaluated: {raised} raised, {len(done) - raised} escalated")
