"""A focal point submits a monthly report; the Coordinator's heatmap turns that cell from missing to on time.

Real Chromium on a phone-sized screen against the live server. The plan runs over the current
months, and its calendar gives institutions thirty working days, so last month's report is on
time whatever day the test runs.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from conftest import PASSWORD
from nrm.accounts.choices import Role
from nrm.accounts.models import Organisation
from nrm.actionplan.due import Period
from nrm.actionplan.models import ActionPlan
from nrm.actionplan.services import load_plan
from nrm.actionplan.tests.conftest import member, write_plan
from nrm.actionplan.views import period_label, state_label
from tests.browser.conftest import LANGUAGE, assert_in_serbian, login, open_menu, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def current_plan_document(first_year: int, last_year: int) -> dict:
    """Return a one-activity plan from ``first_year`` to ``last_year``, Alpha Ministry responsible."""
    return {
        "country": "RS",
        "institutions": [{"name": "Alpha Ministry", "aliases_in_seed": []}],
        "strategy": {
            "code": "journey-strategy",
            "title": "Journey strategy",
            "period_start": first_year,
            "period_end": last_year,
            "vision": "v",
            "general_objective": "g",
            "special_objectives": [{"number": "1", "title": "S1", "description": ""}],
        },
        "action_plan": {
            "code": "journey-plan",
            "title": "Journey action plan",
            "period_start": first_year,
            "period_end": last_year,
            "objectives": [
                {
                    "number": "1",
                    "title": "Partnership",
                    "strategy_objective": "1",
                    "indicators": [],
                    "activities": [
                        {
                            "number": "1.1",
                            "title": "Regular coordination meetings",
                            "tasks": [
                                {"number": "1.1.1", "title": "Meet", "responsible": ["Alpha Ministry"], "partners": []}
                            ],
                            "indicators": ["Number of meetings"],
                            "deadlines": [
                                {"kind": "continuous", "year": last_year, "quarter": None, "text": str(last_year)}
                            ],
                            "resources": [],
                            "risks": [],
                        }
                    ],
                }
            ],
        },
        "budget": {},
    }


def test_a_submitted_report_turns_the_heatmap_cell_from_missing_to_on_time(page, live_server, world, tmp_path):
    from playwright.sync_api import expect

    today = timezone.localdate()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    load_plan(
        write_plan(
            tmp_path,
            current_plan_document(last_month.year, today.year),
            {"institutions": [{"name": "Alpha Ministry", "code": "alpha", "type": "ministry"}]},
        )
    )
    ActionPlan.objects.filter(code="journey-plan").update(monthly_due_working_day=30)
    alpha = Organisation.objects.get(code="alpha")
    member("alpha-rep", alpha, Role.REPORTER)
    period = f"{last_month.year}-{last_month.month:02d}"
    with translation.override(LANGUAGE):
        month_name = period_label(Period(last_month.year, last_month.month))
    dashboard = f"{live_server.url}/actionplan/?year={last_month.year}"
    cell = page.locator(f'td[data-org="{alpha.pk}"][data-period="{period}"]')

    # The Coordinator sees last month's report missing (the month is over, nothing received).
    login(page, live_server, "coordinator", PASSWORD)
    page.goto(dashboard)
    expect(cell).to_have_attribute("data-state", "missing")
    expect(cell).to_contain_text(whose(month_name, "missing"))
    expect(cell).to_have_attribute(
        "title", whose(month_name, "missing") + "; " + tr("due %(date)s", date=_due(alpha, last_month))
    )
    assert_in_serbian(page)
    page.get_by_role("button", name=tr("Sign out")).click()

    # The focal point starts, fills and submits it.
    login(page, live_server, "alpha-rep", PASSWORD)
    open_menu(page)
    page.get_by_role("link", name=tr("My plan reports")).click()
    row = page.locator(f'tr[data-period="{period}"]')
    row.get_by_role("button", name=tr("Start")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        tr("Report of %(name)s, %(period)s", name="Alpha Ministry", period=month_name)
    )
    assert_in_serbian(page)
    page.get_by_label(tr("Status")).select_option("in_progress")
    page.get_by_label(tr("What was done")).fill("Two coordination meetings held.")
    page.get_by_label("Number of meetings").fill("2")
    page.get_by_label(tr("Money spent")).fill("15000")
    page.get_by_label(tr("Currency")).fill("RSD")
    page.get_by_role("button", name=tr("Submit"), exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(tr("Report submitted on time."))
    expect(page.locator(".facts").first).to_contain_text(tr("Submitted"))
    assert_in_serbian(page)
    page.get_by_role("button", name=tr("Sign out")).click()

    # The Coordinator's heatmap now shows the cell on time, and links to the report.
    login(page, live_server, "coordinator", PASSWORD)
    page.goto(dashboard)
    expect(cell).to_have_attribute("data-state", "on_time")
    expect(cell).to_contain_text(whose(month_name, "on_time"))
    assert_in_serbian(page)
    expect(cell.locator("a")).to_have_attribute("href", f"/actionplan/reports/{_report_id(alpha)}/")
    expect(cell.locator(".hm-glyph")).to_have_text("✓")


def whose(month_name: str, state: str) -> str:
    """Return what a heatmap cell of Alpha Ministry says, in the journeys' language."""
    with translation.override(LANGUAGE):
        label = state_label(state)
    return tr("%(institution)s, %(period)s: %(state)s", institution="Alpha Ministry", period=month_name, state=label)


def _due(org, month_end: dt.date) -> str:
    plan = ActionPlan.objects.get(code="journey-plan")
    return Period(month_end.year, month_end.month).due(plan).isoformat()


def _report_id(org) -> int:
    return org.actionplan_reports.get().pk
