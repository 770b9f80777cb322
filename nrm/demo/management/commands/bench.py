"""``nrm bench``: measure the figures of the BRIEF's performance bar and print them.

Figures only, no pass/fail: audited case reads per second and their p95 latency, a
three-dimension statistics table over all screenings, and audit-chain verification speed.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection, connections
from django.db.models import Count
from django.test import Client

from nrm.accounts.access import Action, restrict
from nrm.cases.models import Case, Screening
from nrm.demo.bulk import ensure_staff_user, generate_bulk
from nrm.reporting.engine import count_table


def _read_cases(token: str, ids: list[int], start: int, count: int) -> list[float]:
    """Read ``count`` cases through the API as the token's user; return each read's milliseconds."""
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    timings = []
    for i in range(start, start + count):
        t0 = time.perf_counter()
        response = client.get(f"/api/v1/cases/{ids[i % len(ids)]}/")
        timings.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"case read failed: HTTP {response.status_code}")
    return timings


def _read_cases_forked(token: str, ids: list[int], start: int, count: int) -> list[float]:
    """:func:`_read_cases` in a worker process, which closes its own connections when done."""
    try:
        return _read_cases(token, ids, start, count)
    finally:
        connections.close_all()


class Command(BaseCommand):
    help = "Measure audited case reads, a 3-dimension statistics table and audit verification; print figures."

    def add_arguments(self, parser):
        parser.add_argument("--reads", type=int, default=1000, help="audited case reads to time")
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="processes reading at once in the second run, as a server runs one worker per core",
        )
        parser.add_argument(
            "--screenings", type=int, default=0, help="first top the data up to this many screenings (bulk generator)"
        )

    def handle(self, *args, reads: int, screenings: int, workers: int, **options):
        have = Screening.objects.count()
        if screenings > have:
            self.stdout.write(f"generating {screenings - have:,} screenings ...")
            generate_bulk(screenings=screenings - have, seed=have + 1)
        self.stdout.write(
            f"database: {connection.vendor}; {Screening.objects.count():,} screenings, {Case.objects.count():,} cases"
        )
        self._reads(reads, max(1, workers))
        self._table()
        self._verify()

    def _reads(self, reads: int, workers: int) -> None:
        user = ensure_staff_user()
        ids = list(restrict(Case.objects.all(), user, Action.VIEW).values_list("pk", flat=True)[:500])
        if not ids:
            self.stdout.write("case reads: no cases visible to the benchmark user; run nrm generate first")
            return
        from nrm.accounts.services import token_issue

        # Token authentication, as API clients use it: no session row to save per request.
        _token, secret = token_issue(user=user, label="nrm bench")
        runs = [1] if workers == 1 else [1, workers]
        for n in runs:
            started = time.perf_counter()
            if n == 1:
                timings = _read_cases(secret, ids, 0, reads)
            else:
                # One process per core, each with its own connection, as a server runs its workers.
                connections.close_all()
                share = -(-reads // n)
                with multiprocessing.get_context("fork").Pool(n) as pool:
                    parts = pool.starmap(_read_cases_forked, [(secret, ids, i * share, share) for i in range(n)])
                timings = [t for part in parts for t in part]
            total = time.perf_counter() - started
            if len(timings) < 2:
                self.stdout.write("case reads: too few to measure; ask for more with --reads")
                return
            p95 = statistics.quantiles(timings, n=20)[-1]
            self.stdout.write(
                f"audited case read (API, in-process, {n} process{'es' if n > 1 else ''}): "
                f"{len(timings) / total:,.0f} requests/s, p50 {statistics.median(timings):.1f} ms, "
                f"p95 {p95:.1f} ms over {len(timings)} reads"
            )

    def _table(self) -> None:
        runs = []
        rows = 0
        for _ in range(3):
            t0 = time.perf_counter()
            rows = len(
                list(
                    Screening.objects.values("screened_on__year", "sex", "age_band").annotate(n=Count("id")).order_by()
                )
            )
            runs.append((time.perf_counter() - t0) * 1000)
        self.stdout.write(
            f"statistics table year x sex x age band over {Screening.objects.count():,} screenings: "
            f"{min(runs):.0f} ms best of 3 ({rows} cells)"
        )
        # The same question through the engine: margins, then disclosure control, as published.
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            table = count_table(by=["year", "sex", "age_band"], population="screenings")
            runs.append((time.perf_counter() - t0) * 1000)
        hidden = sum(1 for c in table.cells + table.totals if c.suppressed)
        self.stdout.write(
            f"published table (engine: margins + disclosure control), same dimensions: {min(runs):.0f} ms best of 3 "
            f"({len(table.cells) + len(table.totals)} cells and margins, {hidden} suppressed)"
        )

    def _verify(self) -> None:
        from nrm.audit.benchmark import measure_verify

        # Read-only and beside hashing the same rows in a plain loop (best of 3 each, interleaved).
        f = measure_verify(memory=False)
        self.stdout.write(
            f"audit verify: {f['entries']:,} entries, {f['audit_verify_per_s']:,} entries/s "
            f"(hashing the same rows in a plain loop: {f['audit_hash_per_s']:,}/s){'' if f['ok'] else ' BROKEN'}"
        )
