"""``nrm bench``: measure the figures of the BRIEF's performance bar and print them.

Figures only, no pass/fail: audited case reads per second and their p95 latency, a
three-dimension statistics table over all screenings, and audit-chain verification speed.
"""

from __future__ import annotations

import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.db.models import Count
from django.test import Client

from nrm.accounts.access import Action, restrict
from nrm.audit.services import audit_verify
from nrm.cases.models import Case, Screening
from nrm.demo.bulk import ensure_staff_user, generate_bulk


class Command(BaseCommand):
    help = "Measure audited case reads, a 3-dimension statistics table and audit verification; print figures."

    def add_arguments(self, parser):
        parser.add_argument("--reads", type=int, default=1000, help="audited case reads to time")
        parser.add_argument(
            "--screenings", type=int, default=0, help="first top the data up to this many screenings (bulk generator)"
        )

    def handle(self, *args, reads: int, screenings: int, **options):
        have = Screening.objects.count()
        if screenings > have:
            self.stdout.write(f"generating {screenings - have:,} screenings ...")
            generate_bulk(screenings=screenings - have, seed=have + 1)
        self.stdout.write(
            f"database: {connection.vendor}; {Screening.objects.count():,} screenings, {Case.objects.count():,} cases"
        )
        self._reads(reads)
        self._table()
        self._verify()

    def _reads(self, reads: int) -> None:
        user = ensure_staff_user()
        ids = list(restrict(Case.objects.all(), user, Action.VIEW).values_list("pk", flat=True)[:500])
        if not ids:
            self.stdout.write("case reads: no cases visible to the benchmark user; run nrm generate first")
            return
        from rest_framework.authtoken.models import Token

        # Token authentication, as API clients use it: no session row to save per request.
        token, _created = Token.objects.get_or_create(user=user)
        client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
        timings = []
        started = time.perf_counter()
        for i in range(reads):
            t0 = time.perf_counter()
            response = client.get(f"/api/v1/cases/{ids[i % len(ids)]}/")
            timings.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                self.stdout.write(f"case read failed: HTTP {response.status_code}")
                return
        total = time.perf_counter() - started
        p95 = statistics.quantiles(timings, n=20)[-1]
        self.stdout.write(
            f"audited case read (API, in-process, 1 thread): {reads / total:,.0f} requests/s, "
            f"p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms over {reads} reads"
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

    def _verify(self) -> None:
        t0 = time.perf_counter()
        result = audit_verify()
        elapsed = time.perf_counter() - t0
        self.stdout.write(
            f"audit verify: {result.checked:,} entries in {elapsed:.2f} s "
            f"({result.checked / max(elapsed, 1e-9):,.0f} entries/s){'' if result.ok else ' BROKEN'}"
        )
