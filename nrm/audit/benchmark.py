"""Figures for ``nrm bench`` and ``nrm audit bench``: sealing and verification speed, each beside a baseline.

Verification is measured beside hashing the same rows in a plain loop (the same query, one
HMAC per row, no checks): the ratio is what the checks cost. Memory is the peak Python
allocation during verification (tracemalloc, a separate run): flat in the chain's length.
"""

from __future__ import annotations

import datetime as dt
import time
import tracemalloc

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from nrm.audit.models import AuditEntry
from nrm.audit.services import _hmac_new, _message_sql, audit_seal, audit_verify
from nrm.core.validation import check_record


def fill_chain(total: int, batch: int = 5000) -> dict:
    """Top the chain up to ``total`` entries (synthetic reads), then seal them; return the timings.

    bulk_create skips save(), so each row gets the checks pre_save would run (check_record).
    """
    have = AuditEntry.objects.count()
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
    t0 = time.perf_counter()
    for first in range(have, total, batch):
        rows = []
        for n in range(first, min(first + batch, total)):
            entry = AuditEntry(
                at=start + dt.timedelta(milliseconds=n),
                actor_id=n % 50 + 1,
                actor=f"user{n % 50}",
                organisation_id=n % 7 + 1,
                role="caseworker",
                action="case.view",
                object_type="case",
                object_id=str(n % 20000),
                reason="bench",
                detail={"identity": n % 2 == 0},
            )
            check_record(entry, None)
            rows.append(entry)
        with transaction.atomic():
            AuditEntry.objects.bulk_create(rows)
    inserted, t1 = total - min(have, total), time.perf_counter()
    sealed = audit_seal(batch=batch)
    t2 = time.perf_counter()
    return {"inserted": inserted, "insert_s": t1 - t0, "sealed": sealed, "seal_s": t2 - t1}


def hash_baseline(batch: int = 20000) -> tuple[int, float]:
    """Read the rows verification reads and hash each once in a plain loop; return (rows, seconds).

    The same query as verification (on PostgreSQL the detail as jsonb text, not re-encoded), one
    HMAC per row, no checks.
    """
    base, count = _hmac_new(settings.NRM_AUDIT_KEY, digestmod="sha256"), 0
    detail = "detail::text" if connection.vendor == "postgresql" else "''"
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT seq, {_message_sql(chained=True)}, {detail}, hash FROM audit_auditentry "  # noqa: S608
            "WHERE seq IS NOT NULL ORDER BY seq"
        )
        while rows := cursor.fetchmany(batch):
            for _seq, head, text, _mac in rows:
                h = base.copy()  # as verification does: the key's pads computed once
                h.update(f"{head}{text}".encode())
                h.hexdigest()
            count += len(rows)
    return count, time.perf_counter() - t0


def measure_verify(memory: bool = True, repeat: int = 3) -> dict:
    """Verify (read-only) and hash the same rows, best of ``repeat`` each, interleaved (a shared
    machine); return entries/s of both and verification's peak Python memory."""
    verify_s, hash_s, result = [], [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = audit_verify(seal=False)
        verify_s.append(time.perf_counter() - t0)
        rows, seconds = hash_baseline()
        hash_s.append(seconds)
    figures = {
        "entries": result.checked,
        "ok": result.ok,
        "audit_verify_per_s": round(result.checked / max(min(verify_s), 1e-9)),
        "audit_hash_per_s": round(rows / max(min(hash_s), 1e-9)),
    }
    if memory:
        tracemalloc.start()
        audit_verify(seal=False)
        figures["audit_verify_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    return figures
