"""``nrm generate --screenings N [--cases M]``: add bulk synthetic data for scale tests."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from nrm.demo.bulk import generate_bulk


class Command(BaseCommand):
    help = "Add N synthetic screenings (a fifth of them cases, or --cases M) in batches, with progress."

    def add_arguments(self, parser):
        parser.add_argument("--screenings", type=int, required=True)
        parser.add_argument("--cases", type=int)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, screenings: int, cases: int | None, seed: int, **options):
        if screenings <= 0:
            raise CommandError("--screenings must be a positive number")
        started = time.perf_counter()

        def progress(what: str, done: int, total: int) -> None:
            if what == "screenings":
                rate = done / max(time.perf_counter() - started, 1e-9)
                sys.stderr.write(f"\r{what}: {done:,}/{total:,} ({rate:,.0f}/s)")
            else:  # the audit rows sealed at the end: a count, a rate since the start would mislead
                sys.stderr.write(f"\n{what}: {done:,}")
            sys.stderr.flush()

        try:
            result = generate_bulk(screenings=screenings, cases=cases, seed=seed, progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        elapsed = time.perf_counter() - started
        sys.stderr.write("\n")
        self.stdout.write(
            f"generated {result['screenings']:,} screenings and {result['cases']:,} cases "
            f"in {elapsed:.1f} s ({result['screenings'] / elapsed:,.0f} screenings/s)"
        )
