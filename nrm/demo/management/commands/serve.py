"""``nrm serve [--port N]``: serve an existing data directory with waitress."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve NRM on 127.0.0.1 (production-grade WSGI server, static files included)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, port: int, host: str, threads: int, **options):
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor
        from waitress import serve

        from nrm.core.server import server_options
        from nrm.wsgi import application

        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("the database is not migrated; run 'nrm demo' or 'nrm migrate' first")
        self.stdout.write(f"NRM serving on http://{host}:{port}/ (data in {settings.DATA_DIR}); Ctrl+C stops.")
        self.stdout.flush()
        serve(application, host=host, port=port, **server_options(threads=threads))
