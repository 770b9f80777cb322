"""The demo's proceedings and helpline calls: made through the rules, deterministic, visible to the right people."""

from __future__ import annotations

import datetime as dt

from conftest import fresh
from nrm.audit.services import audit_verify
from nrm.cases.models import Screening
from nrm.demo.generator import generate
from nrm.helpline.demo import demo_helpline
from nrm.helpline.models import Call
from nrm.justice import selectors
from nrm.justice.access import proceeding_filter
from nrm.justice.demo import demo_justice
from nrm.justice.models import (
    Charge,
    Defendant,
    Proceeding,
    ProceedingAsset,
    ProceedingShare,
    ProceedingVictim,
    Verdict,
)
from nrm.reporting.selectors import run_report
from nrm.reporting.tables import REPORTS

END = dt.date(2025, 12, 1)


def _snapshot() -> list[tuple]:
    return list(
        Proceeding.objects.order_by("reference").values_list(
            "reference", "owner__code", "stage", "investigation_on", "indicted_on", "final_verdict_on"
        )
    )


def test_demo_proceedings_and_calls(world):
    generate(seed=3, start_year=2021, end_date=END, per_year=(20, 20))
    summary = demo_justice(seed=3, end_date=END, fraction=0.8)
    assert summary.startswith("proceedings: ")
    first = _snapshot()
    assert first
    assert {owner for _ref, owner, *_rest in first} <= {
        "pu-bg",
        "pu-ns",
        "pu-ni",
        "pu-kg",
        "pu-su",
        "pu-vr",
        "pu-ca",
        "pu-sa",
        "bpt",
    }
    # Every victim's case was identified, and every stage date is in order.
    assert not ProceedingVictim.objects.exclude(case__identification_status="identified").exists()
    for p in Proceeding.objects.all():
        dates = [p.investigation_on, p.charged_on, p.indicted_on, p.first_verdict_on, p.final_verdict_on]
        reached = [d for d in dates if d]
        assert reached == sorted(reached) and reached[-1] < END
    # The demo "police" user sees the Belgrade directorate's proceedings, and only those.
    police = fresh(world["police"])
    assert set(Proceeding.objects.filter(proceeding_filter(police)).values_list("owner__code", flat=True)) == {"pu-bg"}
    assert any(t.table.grand_total().count for t in selectors.justice_statistics(fresh(world["analyst"])))
    # UNODC's tables (issue K) are not empty: sentences by band, assets seized and confiscated.
    for name in ("justice_convicted_sentence", "justice_assets_confiscated", "justice_assets_seized"):
        assert run_report(REPORTS[name], raw=True).grand_total().count, name
    assert demo_justice(seed=3, end_date=END).startswith("proceedings already present")

    # The same seed gives the same proceedings.
    for model in (ProceedingAsset, Verdict, Charge, Defendant, ProceedingVictim, ProceedingShare, Proceeding):
        model.objects.all().delete()
    assert demo_justice(seed=3, end_date=END, fraction=0.8) == summary
    assert _snapshot() == first

    calls = demo_helpline(seed=3, start_year=2024, end_date=END)
    assert calls.startswith("helpline calls: ")
    assert 250 * 1.9 <= Call.objects.count() <= 450 * 2 + Screening.objects.count()
    converted = Screening.objects.filter(helpline_call__isnull=False)
    assert converted.exists()
    assert set(converted.values_list("organisation__code", flat=True)) == {"helpline"}
    assert demo_helpline(seed=3).startswith("helpline calls already present")
    assert audit_verify().ok
