"""``nrm bench`` prints its figures; it asserts nothing about speed (figures, never pass/fail)."""

from __future__ import annotations

import io
import re

from django.core.management import call_command

from nrm.audit.models import AuditEntry
from nrm.demo.bulk import generate_bulk


def test_bench_reads_cases_through_the_api_and_prints_every_figure(world):
    generate_bulk(screenings=60, seed=1)
    before = AuditEntry.objects.filter(action="case.view").count()
    out = io.StringIO()

    call_command("bench", reads=6, workers=1, import_rows=50, stdout=out)

    text = out.getvalue()
    assert re.search(r"audited case read \(API, in-process, 1 process\): [\d,]+ requests/s", text)
    assert "published table (engine: margins + disclosure control)" in text
    assert re.search(r"audit verify: [\d,]+ entries", text) and "BROKEN" not in text
    assert re.search(r"CTDC import \(50 synthetic rows\): [\d,]+ rows/s \(csv \+ executemany", text)
    assert re.search(r"HTCDS import \(5 synthetic cases, rolled back\): [\d,]+ rows/s \(csv \+ executemany", text)
    # Every timed read was a real, audited read.
    assert AuditEntry.objects.filter(action="case.view").count() - before == 6
