"""``nrm worker [--once]``: run the job queue (reminders, early warning, retention, audit seal).

Creates the schedules if they are missing (idempotent), then runs django-q2's cluster until
Ctrl+C or SIGTERM. ``--once`` runs every scheduled job now, in this process, and exits: for a
cron line where no worker runs, and for checking a set-up.
"""

from __future__ import annotations

import signal

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the job queue: reminders, early-warning re-evaluation, retention and the audit seal."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every scheduled job now, here, and exit")

    def handle(self, *args, once: bool, **options):
        from nrm.tasks import jobs

        created = jobs.schedules_ensure()
        if created:
            self.stdout.write("schedules created: " + ", ".join(created))
        if once:
            for name, (func, _type, _minutes) in jobs.SCHEDULES.items():
                module, _dot, attr = func.rpartition(".")
                result = getattr(__import__(module, fromlist=[attr]), attr)()
                self.stdout.write(f"{name}: {result}")
            return
        self.stdout.write("NRM worker running the job queue; Ctrl+C stops.")
        self.stdout.flush()
        cluster = jobs.start_cluster()
        # The cluster stops on SIGINT/SIGTERM (its own handlers); wait for its sentinel to end.
        try:
            cluster.sentinel.join()
        except KeyboardInterrupt:
            cluster.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)
