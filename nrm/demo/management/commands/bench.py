"""``nrm bench [--screenings N] [--reads N] [--demo] [--json]``: issue E's figures, each beside its baseline.

Figures only, never pass/fail. In one run, on the configured database:

- audited API case reads through the production server (``nrm serve --workers 2``, started here
  as a subprocess with ``NRM_BENCH=1``), 8 client connections, beside a bare primary-key read
  view of the same server (``/_bench/read/<id>``, nrm.demo.views), in three turns of each
  (audited, bare, audited...), each figure the median turn's; and beside the rates, the CPU time
  per read of the server, the database and the client (Linux), where the audited read's time goes;
- the statistics engine's 3- and 4-dimension tables over all screenings (read from their analytics
  tables, checked exact here), beside DuckDB over the same rows exported to Parquet (duckdb and
  pyarrow are the test extra: null when missing);
- CTDC and HTCDS imports of synthetic files written here (never real data), beside the csv
  module plus one executemany into a scratch table; both imports are rolled back afterwards;
- audit chain verification beside one HMAC per row of the same rows;
- ``nrm demo --no-serve`` in a fresh SQLite data directory (``--demo``);
- the SQL statements of one API case read.

With ``--json`` the last line of standard output is one JSON object of :data:`KEYS`.

``--against DIR`` measures a change instead: only the served reads, from this checkout's server
and from one started in ``DIR`` (another checkout, such as a worktree of the commit before), on
the same database, in short blocks alternated between the two, so that the machine's drift
weighs on both alike.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import http.client
import json
import os
import random
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrm.accounts.access import Action, restrict
from nrm.accounts.models import Organisation
from nrm.audit.models import AuditEntry
from nrm.audit.services import audit_verify
from nrm.cases.models import Case, Screening
from nrm.demo.bulk import ensure_staff_user, generate_bulk
from nrm.demo.management.commands.serve import GUNICORN_THREADS
from nrm.reporting.engine import compute

# The figures of ``--json``, each measured in the same run as its baseline.
KEYS = (
    "audited_read_rps",
    "p95_ms",
    "bare_read_rps",
    "stats_3dim_ms",
    "stats_4dim_ms",
    "duckdb_3dim_ms",
    "duckdb_4dim_ms",
    "import_rows_per_s",
    "htcds_import_rows_per_s",
    "csv_executemany_rows_per_s",
    "audit_verify_per_s",
    "hash_rows_per_s",
    "demo_seconds",
    "queries_per_read",
)
DIMS_3 = ["year", "sex", "age_band"]
DIMS_4 = [*DIMS_3, "region"]
SERVER_WORKERS = 2
SERVER_THREADS = GUNICORN_THREADS  # nrm serve's default with several workers
CONNECTIONS = 8
ROUNDS = 3  # turns of audited then bare reads
AGAINST_BLOCK = 300  # reads of each kind per block of --against
# Runs of each import (each rolled back); its figure is their median. One run alone moved by a
# third with what the machine was doing (a checkpoint after the previous import's rollback).
IMPORT_RUNS = 3
# The served read is a mix of readers whose access differs (the rule's cost depends on it): one
# that opens cases, the identification centre every case is referred to, an NGO that receives
# some, a centre for social work that owns and refers. Cases each may see, in turn.
READER_TYPES = ("police", "identification_centre", "ngo", "social_work")
CASES_PER_READER = 125
DATASET = "nrm-bench-synthetic"


class _Rollback(Exception):
    """Raised to undo what a measured import wrote."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _best_ms(func: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        func()
        times.append((time.perf_counter() - t0) * 1000)
    return min(times)


Request = tuple[str, dict[str, str]]  # a path and its headers


def load(port: int, requests: list[Request], total: int, *, connections: int) -> tuple[float, float]:
    """Send ``total`` GETs over ``connections`` kept-alive connections; return requests/s and p95 ms.

    Any answer but 200 stops the run: a figure made of errors would mean nothing.
    """
    clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=120) for _ in range(connections)]

    def get(client: http.client.HTTPConnection, request: Request) -> float:
        path, headers = request
        t0 = time.perf_counter()
        client.request("GET", path, headers={"Host": "127.0.0.1", **headers})
        response = client.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status}")
        return (time.perf_counter() - t0) * 1000

    lock = threading.Lock()
    todo = iter(range(total))
    timings: list[float] = []
    failures: list[BaseException] = []

    def run(client: http.client.HTTPConnection) -> None:
        mine = []
        try:
            while True:
                with lock:
                    i = next(todo, None)
                if i is None:
                    break
                mine.append(get(client, requests[i % len(requests)]))
        except Exception as exc:  # noqa: BLE001 - reported below, in the main thread
            failures.append(exc)
        with lock:
            timings.extend(mine)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    for client in clients:
        client.close()
    if failures:
        raise failures[0]
    p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]
    return len(timings) / elapsed, p95


class CpuMeter:
    """CPU seconds spent so far by the server (its process and workers), the database's processes and this one.

    Linux only (``/proc``); elsewhere, or for a database on another machine, those parts read 0. Beside
    the rates, where the time of a read goes: what the audited read costs beyond the bare one.
    """

    def __init__(self, server_pid: int, database: str) -> None:
        self.server_pid = server_pid
        self.database = database
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def _stat(self, pid: str) -> tuple[str, int, float] | None:
        try:
            with open(f"/proc/{pid}/stat") as f:
                text = f.read()
        except OSError:  # gone, or no /proc
            return None
        name, fields = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()
        return name, int(fields[1]), (int(fields[11]) + int(fields[12])) / self.tick  # ppid; utime + stime

    def read(self) -> tuple[float, float, float]:
        """Return (server, database, client) CPU seconds until now."""
        server = database = 0.0
        pids = [p for p in os.listdir("/proc") if p.isdigit()] if os.path.isdir("/proc") else []
        for pid in pids:
            found = self._stat(pid)
            if found is None:
                continue
            name, ppid, seconds = found
            if int(pid) == self.server_pid or ppid == self.server_pid:
                server += seconds
            elif self.database == "postgresql" and name == "postgres":
                database += seconds
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return server, database, usage.ru_utime + usage.ru_stime


def _reader_token(user) -> str:
    """Return a new API token's secret for a benchmark reader, who holds an authenticator.

    Token authentication, as API clients use it: no session row to save per request. Production
    asks these roles for a second factor, and the served reads run with it required
    (``NRM_REQUIRE_2FA``): every read checks for the reader's device, as a real client's does.
    """
    from nrm.accounts.services import token_issue

    TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "nrm bench"})
    return token_issue(user=user, label="nrm bench")[1]


class Command(BaseCommand):
    help = "Measure issue E's figures (served reads, statistics, imports, audit, demo), each beside its baseline."

    def add_arguments(self, parser):
        parser.add_argument(
            "--screenings", type=int, default=2000, help="top the data up to this many screenings first"
        )
        parser.add_argument(
            "--reads",
            type=int,
            default=1000,
            help="requests per served figure (audited, bare), sent in three turns of each",
        )
        parser.add_argument("--import-rows", type=int, default=20000, help="rows of the synthetic CTDC file")
        parser.add_argument("--htcds-rows", type=int, default=200, help="rows of the synthetic HTCDS file")
        parser.add_argument(
            "--demo",
            action="store_true",
            help="also time 'nrm demo --no-serve' from nothing (on PostgreSQL, in a scratch database)",
        )
        parser.add_argument("--json", action="store_true", help="end with one line of JSON holding every figure")
        parser.add_argument(
            "--against",
            metavar="DIR",
            help="only the served reads, in blocks alternated between this checkout's server and one started "
            "in DIR (another checkout of NRM, such as a worktree of the commit before), on the same database",
        )

    def handle(self, *args, screenings: int, reads: int, import_rows: int, htcds_rows: int, demo: bool, **options):
        if min(reads, import_rows, htcds_rows) < 1:
            raise CommandError("--reads, --import-rows and --htcds-rows must be at least 1")
        against = options.get("against")
        if against and not (Path(against) / "nrm" / "cli.py").is_file():
            raise CommandError(f"--against: {against} is not a checkout of NRM (no nrm/cli.py in it)")
        self._prepare(screenings)
        figures: dict[str, float | int | None] = dict.fromkeys(KEYS)
        self.notes: list[str] = []
        if against:
            self._against(Path(against).resolve(), reads)
            return
        figures |= self._served(reads)
        figures["queries_per_read"] = self._queries_per_read()
        figures |= self._statistics()
        figures |= self._imports(import_rows, htcds_rows)
        figures |= self._verify()
        figures["demo_seconds"] = self._demo() if demo else None
        scale = {
            "screenings": Screening.objects.count(),
            "cases": Case.objects.count(),
            "database": connection.vendor,
        }
        self._print(figures, scale)
        if options["json"]:
            self.stdout.write(json.dumps({k: _rounded(v) for k, v in figures.items()} | scale))

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    # --- data -------------------------------------------------------------------------------

    def _prepare(self, screenings: int) -> None:
        """Migrate and load the reference data if needed (a fresh clone), then top the screenings up."""
        from nrm.demo.reference import load_reference

        call_command("migrate", verbosity=0, interactive=False)
        if not Organisation.objects.exists():
            self.say("loading reference data ...")
            load_reference()
        have = Screening.objects.count()
        if screenings > have:
            started = time.perf_counter()

            def progress(what: str, done: int, total: int) -> None:
                if what != "screenings":  # the rows sealed at the end: a count, a rate since the start would mislead
                    self.say(f"generating {what}: {done:,}")
                    return
                self.say(f"generating {what}: {done:,}/{total:,} ({done / (time.perf_counter() - started):,.0f}/s)")

            generate_bulk(screenings=screenings - have, seed=have + 1, progress=progress)
        self.say(
            f"database: {connection.vendor}; {Screening.objects.count():,} screenings, {Case.objects.count():,} cases"
        )

    # --- served reads -----------------------------------------------------------------------

    def _requests(self) -> tuple[list[str], list[Request], list[Request]] | None:
        """The readers' kinds, their audited API case reads and the bare reads of the same cases; None if none."""
        readers = []
        for type_code in READER_TYPES:
            user = ensure_staff_user(type_code)
            visible = list(restrict(Case.objects.all(), user, Action.VIEW).order_by("pk").values_list("pk", flat=True))
            if visible:
                secret = _reader_token(user)
                step = max(1, len(visible) // CASES_PER_READER)
                readers.append((type_code, visible[::step][:CASES_PER_READER], secret))
        if not readers:
            self.say("served reads: no case visible to the benchmark users")
            return None
        # In turn: reader 1's first case, reader 2's first case, ...
        turns = [
            (pks[i], secret)
            for i in range(max(len(pks) for _type, pks, _secret in readers))
            for _type, pks, secret in readers
            if i < len(pks)
        ]
        audited_requests = [(f"/api/v1/cases/{pk}/", {"Authorization": f"Token {secret}"}) for pk, secret in turns]
        bare_requests = [(f"/_bench/read/{pk}", {}) for pk, _secret in turns]
        return [type_code for type_code, _pks, _secret in readers], audited_requests, bare_requests

    @contextlib.contextmanager
    def _server(self, tree: Path | None = None) -> Iterator[tuple[subprocess.Popen, int]]:
        """The production server of this checkout, or of the checkout in ``tree``, started and stopped: (process, port).

        Started in ``tree`` (``python -m`` puts the working directory first on the path, before
        ``PYTHONPATH``): a server started elsewhere would run whichever ``nrm`` it found first.
        """
        port = _free_port()
        # The second factor required as in production: a token call checks its user's authenticator.
        env = {**os.environ, "NRM_BENCH": "1", "NRM_DATA_DIR": str(settings.DATA_DIR), "NRM_REQUIRE_2FA": "1"}
        if tree is not None:
            env["PYTHONPATH"] = os.pathsep.join([str(tree), *filter(None, [env.get("PYTHONPATH")])])
        command = [sys.executable, "-m", "nrm.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--workers", str(SERVER_WORKERS), "--threads", str(SERVER_THREADS)]
        where = f" from {tree}" if tree else ""
        self.say(
            f"starting the server{where}: {SERVER_WORKERS} worker processes x {SERVER_THREADS} threads on port {port}"
        )
        with tempfile.TemporaryFile() as log:
            server = subprocess.Popen(command, env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=log)  # noqa: S603
            try:
                self._wait_for(server, port, log)
                yield server, port
            except RuntimeError as exc:
                log.seek(0)
                raise CommandError(f"{exc}; server said: {log.read().decode(errors='replace')[-2000:]}") from exc
            finally:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()

    def _served(self, reads: int) -> dict:
        found = self._requests()
        if found is None:
            return {}
        readers, audited_requests, bare_requests = found
        with self._server() as (server, port):
            before = AuditEntry.objects.filter(action="case.view").count()
            kinds = ", ".join(readers)
            # ``reads`` in turns of audited then bare reads, so that a drift of the machine
            # (another process, the database's checkpoint) weighs on both alike; each figure
            # is the median turn's.
            sizes = [n for t in range(ROUNDS) if (n := reads // ROUNDS + (t < reads % ROUNDS)) > 0]
            runs: dict[str, list[tuple[float, float]]] = {"audited": [], "bare": []}
            meter = CpuMeter(server.pid, connection.vendor)
            cpu = {"audited": [0.0, 0.0, 0.0], "bare": [0.0, 0.0, 0.0]}
            for turn, per in enumerate(sizes):
                self.say(
                    f"served reads, turn {turn + 1}/{len(sizes)}: {per:,} audited API case reads by {kinds}, "
                    f"then {per:,} bare primary-key reads, {CONNECTIONS} connections ..."
                )
                for name, requests in (("audited", audited_requests), ("bare", bare_requests)):
                    if turn == 0:
                        # Each request once, unmeasured: each worker prepares its statements and
                        # warms its caches, as a server that has been up a while has.
                        load(port, requests, len(requests), connections=CONNECTIONS)
                    started = meter.read()
                    runs[name].append(load(port, requests, per, connections=CONNECTIONS))
                    cpu[name] = [t + b - a for t, a, b in zip(cpu[name], started, meter.read(), strict=True)]
            written = AuditEntry.objects.filter(action="case.view").count() - before
            if written != sum(sizes) + len(audited_requests):
                raise CommandError(f"{sum(sizes)} served reads wrote {written} audit rows")
            audited, p95 = (statistics.median(x) for x in zip(*runs["audited"], strict=True))
            bare, bare_p95 = (statistics.median(x) for x in zip(*runs["bare"], strict=True))
        turns = "; ".join(f"{name} " + ", ".join(f"{rps:,.0f}" for rps, _p95 in made) for name, made in runs.items())
        # Each turn's audited reads ran just before its bare ones: their ratio leaves out the drift between turns.
        paired = ", ".join(f"{a / b:.2f}x" for (a, _), (b, _) in zip(runs["audited"], runs["bare"], strict=True) if b)
        self.notes.append(f"served reads/s by turn: {turns}; audited / bare by turn: {paired}")
        if any(cpu["bare"]):
            where = "database" if connection.vendor == "postgresql" else "database (in the server)"
            per_read = "; ".join(
                f"{name} " + " / ".join(f"{seconds / sum(sizes) * 1000:.2f}" for seconds in cpu[name]) for name in cpu
            )
            self.notes.append(f"CPU ms per read, server / {where} / client: {per_read}")
        self.notes.append(f"bare read p95 {bare_p95:.1f} ms; every audited read wrote its audit row ({written:,})")
        if connection.vendor == "postgresql":
            # The figure depends on it (a fifth of the rate): say which was measured.
            waits = "waited" if settings.NRM_AUDIT_READS_WAIT_FOR_DISK else "did not wait"
            self.notes.append(f"each read's audit row {waits} for the disk (NRM_AUDIT_READS_WAIT_FOR_DISK)")
        self.notes.append("the second factor required of the readers, as in production (NRM_REQUIRE_2FA=1)")
        return {"audited_read_rps": audited, "p95_ms": p95, "bare_read_rps": bare}

    def _against(self, tree: Path, reads: int) -> None:
        """Print the served reads of this checkout and of ``tree``'s, in blocks alternated between the two.

        Each build's servers run side by side on the same database; one is loaded at a time, in
        blocks of about :data:`AGAINST_BLOCK` reads (audited, then bare), the order of the two
        builds swapped each round. Each figure is the median block's; CPU per read in all, and by
        server / database / client as in the run's notes (the database's is the whole server's
        while one build is loaded).
        """
        found = self._requests()
        if found is None:
            return
        _readers, audited_requests, bare_requests = found
        rounds = max(2, -(-reads // AGAINST_BLOCK))
        per = max(1, reads // rounds)
        builds = {"this checkout": None, str(tree): tree}
        figures = {name: {"audited": [], "bare": [], "audited_cpu": [], "bare_cpu": []} for name in builds}
        with contextlib.ExitStack() as stack:
            servers = {name: stack.enter_context(self._server(where)) for name, where in builds.items()}
            for _server, port in servers.values():  # each statement prepared and each cache warm, as a while up
                load(port, audited_requests, len(audited_requests), connections=CONNECTIONS)
                load(port, bare_requests, len(bare_requests), connections=CONNECTIONS)
            self.say(f"served reads against {tree}: {rounds} rounds of {per:,} audited and {per:,} bare reads each")
            for turn in range(rounds):
                for name in list(builds)[:: 1 if turn % 2 == 0 else -1]:
                    server, port = servers[name]
                    meter = CpuMeter(server.pid, connection.vendor)
                    for kind, requests in (("audited", audited_requests), ("bare", bare_requests)):
                        started = meter.read()
                        figures[name][kind].append(load(port, requests, per, connections=CONNECTIONS)[0])
                        parts = [(b - a) / per * 1000 for a, b in zip(started, meter.read(), strict=True)]
                        figures[name][f"{kind}_cpu"].append(parts)
        self.say("")
        for name, found_figures in figures.items():
            audited, bare = (statistics.median(found_figures[k]) for k in ("audited", "bare"))
            # The blocks' total CPU, and each part's median (server / database / client).
            audited_cpu, bare_cpu = (statistics.median(map(sum, found_figures[k])) for k in ("audited_cpu", "bare_cpu"))
            audited_parts, bare_parts = (
                " / ".join(f"{statistics.median(part):.2f}" for part in zip(*found_figures[k], strict=True))
                for k in ("audited_cpu", "bare_cpu")
            )
            by_cpu = f"{bare_cpu / audited_cpu:.2f}x" if audited_cpu and bare_cpu else "n/a"
            self.say(
                f"{name}: audited {audited:,.0f} req/s, bare {bare:,.0f}: {audited / bare:.2f}x; CPU ms per read "
                f"audited {audited_cpu:.2f} ({audited_parts}), bare {bare_cpu:.2f} ({bare_parts}): {by_cpu}"
            )

    def _wait_for(self, server: subprocess.Popen, port: int, log) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with {server.returncode}")
            try:
                client = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                client.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
                if client.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not answer /healthz within 120 s")

    def _queries_per_read(self) -> int | None:
        user = ensure_staff_user()
        pk = restrict(Case.objects.all(), user, Action.VIEW).order_by("pk").values_list("pk", flat=True).first()
        if pk is None:
            return None
        client = Client(HTTP_AUTHORIZATION=f"Token {_reader_token(user)}")
        with override_settings(NRM_REQUIRE_2FA=True):  # as in production and in the served reads
            # The first request fills caches (content types, ...) and writes the token's last use;
            # the second reads the token anew and keeps it (nrm.core.listened), as later calls find it.
            for _warm in range(2):
                client.get(f"/api/v1/cases/{pk}/")
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"/api/v1/cases/{pk}/")
        if response.status_code != 200:
            raise CommandError(f"case read failed: HTTP {response.status_code}")
        if settings.NRM_LISTENED_ROWS and connection.vendor == "postgresql":
            self.notes.append("SQL per API case read: a token's first call on a connection reads the token too (+1)")
        return len(queries.captured_queries)

    # --- statistics -------------------------------------------------------------------------

    def _statistics(self) -> dict:
        from nrm.reporting import aggregates

        figures: dict = {}
        # The engine counts screenings from their analytics tables: say how big, and that they are exact.
        sizes = ", ".join(f"{level.table} {len(aggregates.stored(level)):,} rows" for level in aggregates.LEVELS)
        wrong = len(aggregates.differences())
        self.notes.append(f"analytics tables: {sizes}; {'exact' if not wrong else f'{wrong} counts WRONG'}")
        for n, dims in ((3, DIMS_3), (4, DIMS_4)):
            self.say(f"statistics: engine, {n} dimensions ({' x '.join(dims)}) over all screenings ...")
            figures[f"stats_{n}dim_ms"] = _best_ms(lambda dims=dims: compute(by=dims, population="screenings"))
        try:
            import duckdb
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            self.notes.append("DuckDB baseline unavailable: pip install duckdb pyarrow (the test extra)")
            return figures
        with tempfile.TemporaryDirectory() as tmp:
            path = str(Path(tmp) / "screenings.parquet")
            self.say("statistics: exporting the screenings to Parquet for DuckDB ...")
            t0 = time.perf_counter()
            columns: dict[str, list] = {"screened_on": [], "sex": [], "age_band": [], "region": []}
            for row in Screening.objects.values_list(*columns).order_by().iterator(chunk_size=20000):
                for values, value in zip(columns.values(), row, strict=True):
                    values.append(value)
            # Typed: with no screenings the columns would be of type null, which year() refuses.
            schema = pa.schema([("screened_on", pa.date32())] + [(c, pa.string()) for c in list(columns)[1:]])
            pq.write_table(pa.table(columns, schema=schema), path)
            self.notes.append(f"Parquet export for DuckDB: {time.perf_counter() - t0:.1f} s (not in its figures)")
            db = duckdb.connect()
            for n, dims in ((3, DIMS_3), (4, DIMS_4)):
                select = ", ".join("year(screened_on)" if d == "year" else d for d in dims)
                # Cells only: for screenings the engine's margins are sums of its cells.
                sql = f"SELECT {select}, count(*) FROM read_parquet(?) GROUP BY ALL"  # noqa: S608 - fixed names
                figures[f"duckdb_{n}dim_ms"] = _best_ms(lambda sql=sql, db=db: db.execute(sql, [path]).fetchall())
            db.close()
        return figures

    # --- imports ----------------------------------------------------------------------------

    def _imports(self, import_rows: int, htcds_rows: int) -> dict:
        from nrm.exchange.ctdc import ctdc_import

        figures: dict = {}
        with tempfile.TemporaryDirectory() as tmp:
            ctdc_path = write_ctdc(Path(tmp) / "ctdc-synthetic.csv", import_rows)
            self.say(f"imports: CTDC, {import_rows:,} synthetic rows (rolled back afterwards) ...")

            def ctdc() -> None:
                result = ctdc_import(path=ctdc_path, name=DATASET, actor="nrm bench")
                assert result.rows == import_rows

            figures["import_rows_per_s"] = self._rate("CTDC", import_rows, ctdc)
            self.say(f"imports: csv + executemany of the same {import_rows:,} rows into a scratch table ...")
            figures["csv_executemany_rows_per_s"] = self._rate(
                "csv + executemany", import_rows, lambda: csv_executemany(ctdc_path)
            )
            htcds_path = write_htcds(Path(tmp) / "htcds-synthetic.csv", htcds_rows)
            self.say(f"imports: HTCDS, {htcds_rows:,} synthetic cases through the case services (rolled back) ...")
            figures["htcds_import_rows_per_s"] = self._rate("HTCDS", htcds_rows, lambda: htcds(htcds_path, htcds_rows))
        return figures

    def _rate(self, name: str, rows: int, work: Callable[[], None]) -> float:
        """Rows per second of ``work``, each run undone: the median of IMPORT_RUNS, as the served figures are."""
        rates = [rows / self._undone(work) for _ in range(IMPORT_RUNS)]
        self.notes.append(f"{name} rows/s by run: " + ", ".join(f"{rate:,.0f}" for rate in rates))
        return statistics.median(rates)

    def _undone(self, work: Callable[[], None]) -> float:
        """Run ``work`` in a transaction, time it, roll it back: the database stays as it was."""
        try:
            with transaction.atomic():
                t0 = time.perf_counter()
                work()
                elapsed = time.perf_counter() - t0
                raise _Rollback
        except _Rollback:
            pass
        return elapsed

    # --- audit ------------------------------------------------------------------------------

    def _verify(self) -> dict:
        from nrm.audit.benchmark import measure_verify

        # Verify seals what is pending first; the measured runs then only read.
        self.say("audit: verifying the chain, beside one HMAC per row of the same rows ...")
        audit_verify()
        figures = measure_verify(memory=False)
        self.notes.append(
            f"audit chain verified: {figures['entries']:,} entries" if figures["ok"] else "audit chain BROKEN"
        )
        return {"audit_verify_per_s": figures["audit_verify_per_s"], "hash_rows_per_s": figures["audit_hash_per_s"]}

    # --- demo -------------------------------------------------------------------------------

    def _demo(self) -> float | None:
        """Time ``nrm demo --no-serve`` from nothing, on the kind of database being measured.

        SQLite: a fresh data directory. PostgreSQL: a scratch database on the same server, made
        for the run and dropped after it (the demo starts from an empty database).
        """
        try:
            with _scratch_database() as url:
                return self._time_demo(url)
        except DatabaseError as exc:
            self.notes.append(f"demo not timed: no scratch database on this server ({exc})")
            return None

    def _time_demo(self, url: str | None) -> float | None:
        where = "a scratch PostgreSQL database" if url else "a fresh data directory (SQLite)"
        self.say(f"demo: nrm demo --no-serve on {where} ...")
        with tempfile.TemporaryDirectory() as tmp:
            env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_REPLICA_URL")}
            env["NRM_DATA_DIR"] = tmp
            if url:
                env["DATABASE_URL"] = url
            command = [sys.executable, "-m", "nrm.cli", "demo", "--no-serve", "--password", secrets.token_urlsafe(12)]
            t0 = time.perf_counter()
            done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)  # noqa: S603
            elapsed = time.perf_counter() - t0
        if done.returncode != 0:
            self.notes.append(f"demo failed: {done.stderr.decode(errors='replace')[-300:]}")
            return None
        return elapsed

    # --- output -----------------------------------------------------------------------------

    def _print(self, f: dict, scale: dict) -> None:
        def num(value, unit: str = "") -> str:
            return "n/a" if value is None else f"{value:,.1f}{unit}" if value < 100 else f"{value:,.0f}{unit}"

        def ratio(a, b, *, lower_better: bool = False) -> str:
            if a is None or b is None or not a or not b:
                return ""
            return f"{(b / a if lower_better else a / b):.2f}x of baseline"

        rows = [
            ("audited case read (served)", num(f["audited_read_rps"], " req/s"), "bare pk read, same server",
             num(f["bare_read_rps"], " req/s"), ratio(f["audited_read_rps"], f["bare_read_rps"])),
            ("  its p95", num(f["p95_ms"], " ms"), "", "", ""),
            ("statistics, 3 dimensions", num(f["stats_3dim_ms"], " ms"), "DuckDB over Parquet",
             num(f["duckdb_3dim_ms"], " ms"), ratio(f["stats_3dim_ms"], f["duckdb_3dim_ms"], lower_better=True)),
            ("statistics, 4 dimensions", num(f["stats_4dim_ms"], " ms"), "DuckDB over Parquet",
             num(f["duckdb_4dim_ms"], " ms"), ratio(f["stats_4dim_ms"], f["duckdb_4dim_ms"], lower_better=True)),
            ("CTDC import", num(f["import_rows_per_s"], " rows/s"), "csv + executemany",
             num(f["csv_executemany_rows_per_s"], " rows/s"),
             ratio(f["import_rows_per_s"], f["csv_executemany_rows_per_s"])),
            ("HTCDS import (case services)", num(f["htcds_import_rows_per_s"], " rows/s"), "csv + executemany",
             num(f["csv_executemany_rows_per_s"], " rows/s"),
             ratio(f["htcds_import_rows_per_s"], f["csv_executemany_rows_per_s"])),
            ("audit verify", num(f["audit_verify_per_s"], " rows/s"), "one HMAC per row",
             num(f["hash_rows_per_s"], " rows/s"), ratio(f["audit_verify_per_s"], f["hash_rows_per_s"])),
            ("nrm demo --no-serve", num(f["demo_seconds"], " s"), "", "", ""),
            ("SQL statements per API case read", num(f["queries_per_read"]), "", "", ""),
        ]  # fmt: skip
        self.say(
            f"\nnrm bench: {scale['database']}, {scale['screenings']:,} screenings, {scale['cases']:,} cases; "
            f"server {SERVER_WORKERS} processes x {SERVER_THREADS} threads, {CONNECTIONS} connections"
        )
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        for row in rows:
            self.say("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        for note in self.notes:
            self.say(f"  note: {note}")


@contextlib.contextmanager
def _scratch_database() -> Iterator[str | None]:
    """On PostgreSQL, an empty database beside the bench's, dropped on leaving: its URL. None on SQLite."""
    if connection.vendor != "postgresql":
        yield None
        return
    name = f"nrm_bench_demo_{secrets.token_hex(4)}"
    s = connection.settings_dict
    credentials = quote(s["USER"], safe="") + (f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else "")
    host = s["HOST"] or "localhost"
    host = f"[{host}]" if ":" in host else host  # an IPv6 address
    url = f"postgres://{credentials}@{host}{':' + s['PORT'] if s['PORT'] else ''}/{name}"
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:  # outside a transaction: the bench runs in autocommit
        cursor.execute(f"CREATE DATABASE {qn(name)}")
    try:
        yield url
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {qn(name)}")


def _rounded(value: float | int | None) -> float | int | None:
    return round(value, 2) if isinstance(value, float) else value


# --- synthetic files and baselines ---------------------------------------------------------

CTDC_HEADER = [
    "yearOfRegistration",
    "Datasource",
    "gender",
    "ageBroad",
    "majorityStatus",
    "citizenship",
    "CountryOfExploitation",
    "isForcedLabour",
    "isSexualExploit",
    "typeOfLabourBegging",
    "meansOfControlDebtBondage",
    "typeOfExploitConcatenated",
    "RecruiterRelationship",
]


def write_ctdc(path: Path, rows: int, seed: int = 1) -> Path:
    """Write a CTDC-shaped file (codebook v7 columns) of ``rows`` random rows; no real data."""
    rng = random.Random(seed)
    countries = ["RS", "UA", "MD", "RO", "BG", "US", "PH", "NG", "-99"]
    bands = ["0--8", "9--17", "18--20", "21--23", "24--26", "27--29", "30--38", "39--47", "48+", "-99"]
    forms = ["Forced labour", "Sexual exploitation", "Forced labour;Sexual exploitation", "Other", ""]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CTDC_HEADER)
        for _ in range(rows):
            labour = rng.random() < 0.5
            writer.writerow(
                [
                    rng.randint(2002, 2024),
                    rng.choice(["Case management", "Hotline"]),
                    rng.choice(["Female", "Male", "-99"]),
                    rng.choice(bands),
                    rng.choice(["Adult", "Minor", "-99"]),
                    rng.choice(countries),
                    rng.choice(countries),
                    int(labour),
                    int(not labour),
                    rng.choice(["0", "1", "-99"]),
                    rng.choice(["0", "1"]),
                    rng.choice(forms),
                    rng.choice(["Friend", "Family/Relative", "Intimate Partner", ""]),
                ]
            )
    return path


def csv_executemany(path: Path) -> None:
    """The import baseline: the csv module, then one executemany into a scratch table (same transaction)."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        width = len(next(reader))
        rows = list(reader)
    columns = ", ".join(f"c{i} text" for i in range(width))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE nrm_bench_scratch ({columns})")
        cursor.executemany(
            f"INSERT INTO nrm_bench_scratch VALUES ({', '.join(['%s'] * width)})",  # noqa: S608 - fixed names
            rows,
        )
        cursor.execute("DROP TABLE nrm_bench_scratch")


HTCDS_HEADER = [
    "prs_FirstName",
    "prs_SecondName",
    "prs_Gender",
    "prs_Birthdate",
    "prs_Citizenship",
    "vic_TypeOfExploitation",
    "cas_IncomingReferralDate",
    "con_Consent",
]


def write_htcds(path: Path, rows: int, seed: int = 1) -> Path:
    """Write an HTCDS v2.0 file of ``rows`` synthetic persons (the demo generator's names)."""
    from nrm.demo.generator import FAMILY, GIVEN_F, GIVEN_M

    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HTCDS_HEADER)
        for _ in range(rows):
            female = rng.random() < 0.7
            born = dt.date(1970, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 35))
            writer.writerow(
                [
                    rng.choice(GIVEN_F if female else GIVEN_M),
                    rng.choice(FAMILY),
                    "Feminine" if female else "Masculine",
                    born.isoformat(),
                    rng.choice(["RS", "UA", "MD", "RO", "BG", "NG"]),
                    rng.choice(["ForcedLabour", "SexualExploitation", "ForcedBegging"]),
                    (dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 600))).isoformat(),
                    rng.choice(["TRUE", "FALSE"]),
                ]
            )
    return path


def htcds(path: Path, rows: int) -> None:
    """Import the synthetic HTCDS file into an NGO as its import account, as ``nrm import htcds`` does."""
    from nrm.exchange.htcds import htcds_import
    from nrm.exchange.management.commands._common import import_account

    org = Organisation.objects.filter(type__code="ngo").order_by("pk").first()
    if org is None:
        raise CommandError("no NGO in the reference data to import HTCDS cases into")
    result = htcds_import(actor=import_account(org.code), path=path, organisation=org)
    assert len(result.cases) == rows
