"""The demo's synthetic monitoring: deterministic, with late and missing reports."""

from __future__ import annotations

from nrm.actionplan.choices import ReportStatus
from nrm.actionplan.demo import DEMO_REPORTER, demo_reporter, generate_reports
from nrm.actionplan.models import Briefing, Evaluation, Report
from nrm.audit.services import audit_verify


def test_synthetic_reports_for_a_year(plan, world):
    demo_reporter("demo-password-1")
    counts = generate_reports(plan, seed=7, years=(2017,))
    reports = Report.objects.filter(plan=plan)
    assert counts["reports"] == reports.count() > 150
    assert counts["late"] > 0 and counts["missing"] > 0 and counts["drafts"] > 0
    assert reports.filter(is_late=True, status=ReportStatus.ACCEPTED).exists()
    assert not reports.exclude(year=2017).exists()
    assert reports.filter(institution__code=DEMO_REPORTER[1], created_by__username="reporter").exists()
    assert Evaluation.objects.filter(year=2017).count() == counts["evaluations"] == 15
    assert Briefing.objects.count() == counts["briefings"] >= 12
    assert audit_verify().ok
    # Same seed, same data: the draw depends on nothing but the seed and the plan.
    signature = sorted(reports.values_list("institution_id", "month", "status", "is_late"))
    Briefing.objects.all().delete()
    Evaluation.objects.all().delete()
    Report.objects.all().delete()
    generate_reports(plan, seed=7, years=(2017,))
    assert sorted(Report.objects.values_list("institution_id", "month", "status", "is_late")) == signature
