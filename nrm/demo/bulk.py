"""Bulk synthetic data for scale tests: a million screenings and hundreds of thousands of cases.

Unlike the demo's live cases, nothing here goes through the services one by one (a million
audited service calls would take hours): the cases are journeys of :mod:`nrm.demo.journeys`
written in bulk with their referrals, decisions, services and consents, the other screenings
anonymous; every record the services would audit has its own audit row, appended in bulk and
sealed once at the end. Identity is still encrypted, linkage keys computed and every column
checked as ``check_record`` checks a row (:func:`nrm.core.bulk.insert_rows`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import random
from collections.abc import Callable

from django.db import connection, transaction

from nrm.accounts.models import Organisation, User
from nrm.audit.services import sealing_deferred, sealing_on_append
from nrm.cases.choices import AgeBand, ScreeningResult
from nrm.cases.services import age_band_for
from nrm.core import dbstats
from nrm.demo.generator import CITIZENSHIP, _staff, _weighted
from nrm.demo.journeys import Row, Setting, anonymous_screening, plan, write_journeys

BATCH = 5000  # screenings per transaction
START = dt.date(2017, 1, 1)
END = dt.date(2026, 1, 1)  # whole years, all past: the same data whatever the day it is made
ANONYMOUS_TYPES = ["police", "social_work", "ngo", "asylum", "labour_inspectorate", "helpline"]


# Screenings generated from which PostgreSQL's statistics are refreshed at the end.
ANALYZE_AFTER = 50_000


def generate_bulk(
    *,
    screenings: int,
    cases: int | None = None,
    seed: int = 1,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, int]:
    """Add ``screenings`` screenings, ``cases`` of which (default a fifth) became cases.

    Deterministic for a seed: the same counts and distributions (the rows' ids depend on what
    the database held before). Returns the counts of what was written, by kind.
    """
    rng = random.Random(seed)
    cases = screenings // 5 if cases is None else min(cases, screenings)
    if not Organisation.objects.filter(type__code="police").exists():
        raise ValueError("load reference data first (nrm load_reference)")
    setting = Setting(END)
    if setting.indicator_list is None:
        raise ValueError("no active indicator list; run nrm load_reference")
    orgs = [o for code in ANONYMOUS_TYPES for o in setting.by_type.get(code, [])]
    last = END - dt.timedelta(days=1)
    done_s = done_c = 0
    # Audit rows are inserted sealed (chained as they are written: no second write of each), and
    # any row appended otherwise is sealed once, at the end: sealing after each batch would take
    # the database's write lock between two batches (or contend with this process's sealer thread).
    with _sqlite_cache(), _few_collections(), sealing_deferred() as seal, sealing_on_append():
        while done_s < screenings:
            n = min(BATCH, screenings - done_s)
            n_cases = min(cases - done_c, round((done_s + n) * cases / screenings) - done_c)
            journeys = [plan(rng, setting, START, last) for _ in range(n_cases)]
            anonymous = [_anonymous(rng, setting, orgs, START, last) for _ in range(n - n_cases)]
            with transaction.atomic():
                written = write_journeys(journeys, setting, extra_screenings=anonymous)
            done_s += n
            done_c += len(written)
            if progress:
                progress("screenings", done_s, screenings)
    if progress and seal.sealed is not None:
        progress("audit rows sealed", seal.sealed, seal.sealed)
    if connection.vendor == "postgresql" and done_s >= ANALYZE_AFTER:
        # The planner's statistics still describe the tables before the load until autovacuum
        # comes round: queries right after it (the bench's) would be planned for empty tables.
        # Vacuumed too, outside a transaction (a few seconds at 1,000,000): autovacuum would
        # otherwise come round for the new rows while they are first read.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
    else:
        dbstats.refresh()  # SQLite keeps none of itself (nrm.core.dbstats)
    return {"screenings": done_s, "cases": done_c}


@contextlib.contextmanager
def _few_collections():
    """Keep the cyclic garbage collector from rescanning what is alive while generating.

    Each batch builds a few hundred thousand objects, freed by reference counting when it is
    written (no cycles); collections triggered by those allocations would otherwise scan every
    object the process holds, again and again (a fifth of the time). Objects alive before are
    frozen out of the collections, and the young generation collected less often.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], 50_000), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


# SQLite's page cache for the generator's connection, in KiB: the audit table's indexes grow by
# millions of rows, and the default 2 MiB cache rereads their pages for every batch.
SQLITE_CACHE_KIB = 256 * 1024


@contextlib.contextmanager
def _sqlite_cache():
    """On SQLite, give this connection a larger page cache while generating, then the old one back.

    Durability is left as configured (WAL with ``synchronous=NORMAL``: a commit does not wait
    for the disk, and a crash cannot corrupt the file), so ``synchronous=OFF`` would gain little
    for the risk of a corrupt file on a power loss, data the generator did not write included.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _anonymous(rng: random.Random, s: Setting, orgs: list, first: dt.date, last: dt.date) -> Row:
    """An anonymous screening that led to no case: three in ten presumed victims, the rest not indicated."""
    org = rng.choice(orgs)
    is_child = rng.random() < 0.3
    answers = rng.choice(s.answer_pool[is_child]) if rng.random() < 0.3 else ()
    outcome = s.outcome(answers, is_child)
    age = rng.randint(8, 17) if is_child else rng.randint(18, 60)
    return anonymous_screening(
        organisation=org,
        screened_by=s.worker(org),
        screened_on=first + dt.timedelta(days=rng.randrange((last - first).days + 1)),
        indicator_list=s.indicator_list,
        is_child=is_child,
        answers=answers,  # the pool's tuple, shared (stored as a JSON list)
        result=ScreeningResult(outcome.outcome),
        reasons=s.reasons(answers, is_child),
        sex="F" if rng.random() < 0.7 else "M",
        age_band=age_band_for(age),
        citizenship=_weighted(rng, CITIZENSHIP),
        region=org.region,
        channel=rng.choice(["outreach", "office", "border", "inspection", "helpline"]),
    )


def ensure_staff_user(type_code: str = "police") -> User:
    """Return a user able to read cases in the first organisation of a type (for the benchmark)."""
    org = Organisation.objects.filter(type__code=type_code).order_by("pk").first()
    return _staff(org)


__all__ = ["AgeBand", "generate_bulk"]
