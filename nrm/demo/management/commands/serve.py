"""``nrm serve [--port N] [--workers N]``: serve an existing data directory.

One worker (the default) is waitress with threads, as the demo runs. More workers is gunicorn
with that many processes, each with ``--threads`` threads (one by default, gunicorn's sync
worker: each request goes to a free process, see ``nrm.core.server.gunicorn_options``): Python
runs one thread at a time per process, so a server using several cores needs several processes,
and a process's threads only contend for it (two processes of four threads served 135-162
audited reads/s at p95 78-101 ms where two of one thread served 200 at 74 ms: docs/scaling.md).
Behind the TLS proxy, which buffers slow clients, one thread per process loses nothing. Both believe proxy headers
from ``NRM_TRUSTED_PROXY`` only (nrm.core.server). ``--worker`` runs the job queue beside the
server (as ``nrm worker`` would), for the demo; in production run ``nrm worker`` as its own service.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from nrm.core import dbstats

# Waitress (one process, the demo) serves several users with threads; gunicorn's processes one
# request at a time each (see above).
WAITRESS_THREADS = 8
GUNICORN_THREADS = 1


class Command(BaseCommand):
    help = "Serve NRM (production-grade WSGI server, static files included); --workers N for N processes."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--threads", type=int, default=None, help="threads per worker process (default 8 for one worker, else 1)"
        )
        parser.add_argument(
            "--workers", type=int, default=1, help="worker processes; above 1, gunicorn runs them (one per core)"
        )
        parser.add_argument(
            "--worker", action="store_true", help="also run the job queue (nrm worker) beside the server"
        )

    def handle(self, *args, port: int, host: str, threads: int | None, workers: int, worker: bool = False, **options):
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        from nrm.core.server import serve_gunicorn, server_options, settle
        from nrm.wsgi import application

        if threads is None:
            threads = GUNICORN_THREADS if workers > 1 else WAITRESS_THREADS
        if workers < 1 or threads < 1:
            raise CommandError("--workers and --threads must be at least 1")
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("the database is not migrated; run 'nrm demo' or 'nrm migrate' first")
        how = f"{workers} worker processes x {threads} threads" if workers > 1 else f"{threads} threads"
        cluster = _start_jobs() if worker else None
        how += "; job queue running" if cluster else ""
        dbstats.refresh()  # SQLite: the planner's statistics of tables that grew since (nrm.core.dbstats)
        self.stdout.write(f"NRM serving on http://{host}:{port}/ ({how}; data in {settings.DATA_DIR}); Ctrl+C stops.")
        self.stdout.flush()
        try:
            if workers > 1:
                serve_gunicorn(application, host=host, port=port, workers=workers, threads=threads)
                return
            from waitress import serve

            settle()
            serve(application, host=host, port=port, **server_options(threads=threads))
        finally:
            if cluster is not None:
                cluster.stop()


def _start_jobs():
    """Start the job queue's processes; give Ctrl+C and SIGTERM back to the server, which stops it after."""
    import signal

    from nrm.tasks.jobs import start_cluster

    cluster = start_cluster()

    def leave(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, leave)
    signal.signal(signal.SIGTERM, leave)
    return cluster
