"""``nrm serve [--port N] [--workers N]``: serve an existing data directory.

One worker (the default) is waitress with threads, as the demo runs. More workers is gunicorn
with that many processes, each with ``--threads`` threads: Python runs one thread at a time per
process, so a server using several cores needs several processes. Both believe proxy headers
from ``NRM_TRUSTED_PROXY`` only (nrm.core.server).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve NRM (production-grade WSGI server, static files included); --workers N for N processes."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--threads", type=int, default=8, help="threads per worker process")
        parser.add_argument(
            "--workers", type=int, default=1, help="worker processes; above 1, gunicorn runs them (one per core)"
        )

    def handle(self, *args, port: int, host: str, threads: int, workers: int, **options):
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        from nrm.core.server import serve_gunicorn, server_options
        from nrm.wsgi import application

        if workers < 1 or threads < 1:
            raise CommandError("--workers and --threads must be at least 1")
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("the database is not migrated; run 'nrm demo' or 'nrm migrate' first")
        how = f"{workers} worker processes x {threads} threads" if workers > 1 else f"{threads} threads"
        self.stdout.write(f"NRM serving on http://{host}:{port}/ ({how}; data in {settings.DATA_DIR}); Ctrl+C stops.")
        self.stdout.flush()
        if workers > 1:
            serve_gunicorn(application, host=host, port=port, workers=workers, threads=threads)
            return
        from waitress import serve

        serve(application, host=host, port=port, **server_options(threads=threads))
