"""A plan whose period has ended is closed history, not years of overdue reports; the demo's current plan.

The seed's Action Plan 2017-2018 is real data. Before plans had phases, the dashboards opened on
it in 2026 and listed its January 2017 reports as 3585 days overdue.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from conftest import fresh
from nrm.actionplan import metrics, selectors, services
from nrm.actionplan.choices import ReportStatus
from nrm.actionplan.demo import DEMO_REPORTER, demo_current_plan, demo_reporter, synthetic_plan_document
from nrm.actionplan.loading import load_counts
from nrm.actionplan.models import ActionPlan, Activity, Report, Task, TaskInstitution
from nrm.actionplan.views import cell_text
from nrm.audit.services import audit_verify
from nrm.web.home import blocks_for

pytestmark = pytest.mark.django_db

DEC_2026 = dt.date(2026, 12, 2)


def test_the_seed_plan_is_closed_history_in_2026_not_thousands_of_days_overdue(plan, people):
    assert plan.phase(DEC_2026) == ActionPlan.CLOSED
    assert metrics.overdue(plan, today=DEC_2026) == []
    coordinator = people["coordinator"]
    assert selectors.overdue_list(coordinator, plan, today=DEC_2026) == []
    # Reports never received still count against completeness: closing forgets nothing.
    _rows, total = selectors.reporting_rates(coordinator, plan, kind="monthly", year=2017)
    assert total.expected > 0 and total.received == 0
    # And the tooltip of such a cell says when it was due, not "overdue since".
    cell = next(c for c in selectors.reporting_grid(coordinator, plan, metrics.periods_of(plan, "monthly", 2017)))
    assert "overdue" not in cell_text(cell, "missing", DEC_2026, closed=True)
    assert "overdue since 2017" in cell_text(cell, "missing", DEC_2026)


def test_final_reports_are_chased_until_the_plan_closes(plan):
    # The annual report on 2018 is due on the next working day after 15 February 2019.
    last_due = plan.closes_on - dt.timedelta(days=plan.closing_days)
    assert last_due == dt.date(2019, 2, 18)
    assert plan.phase(dt.date(2018, 6, 1)) == ActionPlan.RUNNING
    assert plan.phase(dt.date(2019, 3, 1)) == ActionPlan.FINAL_REPORTS
    overdue = metrics.overdue(plan, today=dt.date(2019, 3, 1))
    assert overdue and any(c.period.month == 0 and c.period.year == 2018 for c in overdue)
    assert metrics.overdue(plan, today=plan.closes_on) and not metrics.overdue(
        plan, today=plan.closes_on + dt.timedelta(days=1)
    )


def test_the_tiny_plan_counts_overdue_while_open_and_none_once_closed(tiny):
    plan = tiny["plan"]
    assert len(metrics.overdue(plan, today=dt.date(2025, 3, 1))) == 27 + 3
    assert metrics.overdue(plan, today=dt.date(2026, 1, 1)) == []


def _synthetic(today: dt.date) -> ActionPlan:
    from nrm.accounts.models import Organisation

    orgs = list(Organisation.objects.filter(code__in=[DEMO_REPORTER[1], "min-justice"]).order_by("code"))
    doc = synthetic_plan_document(today, orgs)
    services.load_document(doc, {"institutions": [{"name": o.name, "code": o.code} for o in orgs]})
    return ActionPlan.objects.get(code=doc["action_plan"]["code"])


def test_pages_open_on_the_plan_in_its_period(plan):
    synthetic = _synthetic(DEC_2026)
    assert synthetic.is_synthetic and synthetic.strategy.is_synthetic and "(synthetic)" in synthetic.title
    assert synthetic.phase(DEC_2026) == ActionPlan.RUNNING
    assert selectors.plan_current(today=DEC_2026) == synthetic
    assert selectors.plan_get(today=DEC_2026) == synthetic
    # Back in 2018 the seed's plan was the one running; an official plan beats a synthetic one.
    assert selectors.plan_current(today=dt.date(2018, 5, 1)) == plan
    synthetic.period_start = 2017
    synthetic.save()
    assert selectors.plan_current(today=dt.date(2018, 5, 1)) == plan


def test_the_demo_invents_a_current_plan_and_leaves_the_seed_plan_alone(plan, people):
    before = (
        load_counts(plan),
        sorted(Activity.objects.filter(plan=plan).values_list("number", "title", "active_from", "active_until")),
        sorted(TaskInstitution.objects.filter(task__activity__plan=plan).values_list("task__number", "institution_id")),
        Task.objects.filter(activity__plan=plan).count(),
    )
    demo_reporter("demo-password-1")
    current, counts = demo_current_plan(today=DEC_2026, seed=7)
    assert current.is_synthetic and current.period_start == 2025 and current.period_end == 2027
    assert counts["reports"] > 50 and counts["late"] > 0
    # Nothing of the demo reached the seed's plan.
    assert not Report.objects.filter(plan=plan).exists()
    after = (
        load_counts(plan),
        sorted(Activity.objects.filter(plan=plan).values_list("number", "title", "active_from", "active_until")),
        sorted(TaskInstitution.objects.filter(task__activity__plan=plan).values_list("task__number", "institution_id")),
        Task.objects.filter(activity__plan=plan).count(),
    )
    assert after == before
    assert current.strategy_id != plan.strategy_id
    # Around today: overdue within the plan's own period (mostly by weeks), some waiting for review,
    # none dated in the future.
    overdue = metrics.overdue(current, today=DEC_2026)
    days = [(DEC_2026 - c.due_on).days for c in overdue]
    assert max(days) < (DEC_2026 - current.starts_on).days and sum(d <= 60 for d in days) >= 3
    reports = Report.objects.filter(plan=current)
    assert reports.filter(status=ReportStatus.SUBMITTED).exists()
    assert reports.filter(status=ReportStatus.ACCEPTED).exists()
    assert not reports.filter(first_submitted_at__date__gte=DEC_2026).exists()
    assert not reports.filter(year=2026, month=12).exists()
    # The demo focal point has work around today.
    reporter = fresh(people["reporter"])
    blocks = {b.key: b for b in blocks_for(reporter, today=DEC_2026)}
    assert blocks["reports_due"].count + blocks["my_overdue"].count > 0
    assert all(r["days"] < 700 for r in blocks["my_overdue"].rows)
    # Loading again changes nothing and invents nothing more.
    again, more = demo_current_plan(today=DEC_2026, seed=7)
    assert again == current and more == {}
    assert audit_verify().ok


def test_the_dashboard_opens_on_the_current_plan_and_still_shows_the_seed_plan(client: Client, plan, people):
    today = timezone.localdate()
    current = _synthetic(today)
    client.force_login(people["coordinator"])
    response = client.get("/actionplan/")
    assert response.context["plan"] == current and response.context["year"] == today.year
    html = response.content.decode()
    assert "Synthetic plan, invented for the demonstration" in html
    old = client.get(f"/actionplan/?plan={plan.pk}&year=2017")
    html = old.content.decode()
    assert old.context["plan"] == plan and old.context["overdue_count"] == 0
    assert 'data-phase="closed"' in html and "monitoring closed on" in html
    assert f'href="?plan={current.pk}"' in html
    assert 'hm-overdue" data-org' not in html and "Days overdue" not in html
    # The plan chooser says which plan is closed.
    assert "(closed)" in html
    home = client.get("/").content.decode()
    assert "3585" not in home
