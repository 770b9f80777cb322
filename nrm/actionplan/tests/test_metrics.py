"""Completeness and timeliness, DHIS2 style, on a small plan checked by hand; overdue lists; spending.

The tiny plan runs through 2024. Activity 1.1 (all year) has Alpha and Beta responsible and Gamma
as a partner; activity 1.2 (first quarter) has Gamma and "Collective partners", which cannot
report. Due dates (Serbia): January's report 7 February, February's 7 March, March's 5 April,
April's 13 May.

| period | Alpha               | Beta                 | Gamma                    |
|--------|---------------------|----------------------|--------------------------|
| Jan    | 5 Feb, accepted     | 9 Feb (late)         | nothing                  |
| Feb    | draft only          | 7 Mar (on due date)  | 1 Mar, returned          |
| Mar    | nothing             | nothing              | nothing                  |
| Apr    | 14 May (late)       | 13 May, accepted     | not expected (1.2 ended) |
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from nrm.actionplan import metrics, selectors, services
from nrm.actionplan.choices import Progress
from nrm.actionplan.due import Period

from .conftest import at

JAN, FEB, MAR, APR = (Period(2024, m) for m in (1, 2, 3, 4))


def _report(tiny, who: str, period: Period, *, submitted=None, then: str = "", money: str | None = None):
    user, org, plan = tiny[who], tiny["orgs"][who], tiny["plan"]
    report = services.report_create(
        actor=user, plan=plan, institution=org, year=period.year, month=period.month, today=period.end
    )
    entries = [{"activity": e.activity_id, "progress": Progress.IN_PROGRESS} for e in report.entries.all()]
    if money:
        entries[0].update(money_spent=money, funding_source="budget")
    report = services.report_save_draft(actor=user, report=report, expected_version=report.version, entries=entries)
    if submitted:
        report = services.report_submit(actor=user, report=report, expected_version=report.version, at=at(submitted))
    coordinator = tiny["coordinator"]
    if then == "accept":
        report = services.report_accept(actor=coordinator, report=report, expected_version=report.version)
    elif then == "return":
        report = services.report_return(actor=coordinator, report=report, expected_version=report.version, reason="x")
    return report


@pytest.fixture
def reported(tiny):
    _report(tiny, "alpha", JAN, submitted=dt.date(2024, 2, 5), then="accept", money="100000")
    _report(tiny, "beta", JAN, submitted=dt.date(2024, 2, 9))
    _report(tiny, "alpha", FEB, money="999")
    _report(tiny, "beta", FEB, submitted=dt.date(2024, 3, 7))
    _report(tiny, "gamma", FEB, submitted=dt.date(2024, 3, 1), then="return")
    _report(tiny, "alpha", APR, submitted=dt.date(2024, 5, 14), money="50000.00")
    _report(tiny, "beta", APR, submitted=dt.date(2024, 5, 13), then="accept")
    return tiny


def _by(rows, total):
    return {r.label: (r.expected, r.received, r.on_time, r.completeness, r.timeliness) for r in [*rows, total]}


def test_due_dates_of_the_example(tiny):
    plan = tiny["plan"]
    assert [p.due(plan) for p in (JAN, FEB, MAR, APR)] == [
        dt.date(2024, 2, 7),
        dt.date(2024, 3, 7),
        dt.date(2024, 4, 5),
        dt.date(2024, 5, 13),
    ]


def test_expected_follows_the_deadline_window_and_responsibility(tiny):
    plan, orgs = tiny["plan"], tiny["orgs"]
    ids = {code: o.pk for code, o in orgs.items()}
    assert metrics.expected_institutions(plan, MAR) == {ids["alpha"], ids["beta"], ids["gamma"]}
    # Gamma's own activity ended with March; being a partner in 1.1 does not make it report.
    assert metrics.expected_institutions(plan, APR) == {ids["alpha"], ids["beta"]}
    assert metrics.expected_institutions(plan, Period(2024)) == {ids["alpha"], ids["beta"], ids["gamma"]}
    assert metrics.expected_institutions(plan, Period(2025, 1)) == set()


def test_rates_per_institution_checked_by_hand(reported):
    cells = metrics.reporting_cells(reported["plan"], [JAN, FEB, APR])
    assert _by(*metrics.rates(cells)) == {
        "Alpha Ministry": (3, 2, 1, 66.7, 33.3),
        "Beta Office": (3, 3, 2, 100.0, 66.7),
        "Gamma Agency": (2, 0, 0, 0.0, 0.0),
        "Total": (8, 5, 3, 62.5, 37.5),
    }


def test_rates_per_period_checked_by_hand(reported):
    cells = metrics.reporting_cells(reported["plan"], [JAN, FEB, APR])
    assert _by(*metrics.rates(cells, by="period")) == {
        "2024-01": (3, 2, 1, 66.7, 33.3),
        "2024-02": (3, 1, 1, 33.3, 33.3),
        "2024-04": (2, 2, 1, 100.0, 50.0),
        "Total": (8, 5, 3, 62.5, 37.5),
    }


def test_rates_follow_the_access_rule(reported, people):
    plan = reported["plan"]
    kwargs = {"kind": "monthly", "year": 2024, "due_by": dt.date(2024, 5, 20)}
    rows, total = selectors.reporting_rates(reported["coordinator"], plan, **kwargs)
    # January to April are due by 20 May: March adds three expected reports, none received.
    assert (total.expected, total.received, total.on_time) == (11, 5, 3)
    assert (total.completeness, total.timeliness) == (45.5, 27.3)
    rows, total = selectors.reporting_rates(reported["alpha"], plan, **kwargs)
    assert [r.label for r in rows] == ["Alpha Ministry"] and (total.expected, total.received) == (4, 2)
    rows, total = selectors.reporting_rates(people["ngo"], plan, **kwargs)
    assert rows == [] and total.expected == 0 and total.completeness is None


def test_overdue_list(reported):
    cells = metrics.overdue(reported["plan"], today=dt.date(2024, 5, 20))
    assert [(c.period.label, c.institution, c.status or "missing") for c in cells] == [
        ("2024-01", "Gamma Agency", "missing"),
        ("2024-02", "Alpha Ministry", "draft"),
        ("2024-02", "Gamma Agency", "returned"),
        ("2024-03", "Alpha Ministry", "missing"),
        ("2024-03", "Beta Office", "missing"),
        ("2024-03", "Gamma Agency", "missing"),
    ]
    alpha = reported["orgs"]["alpha"].pk
    assert len(metrics.overdue(reported["plan"], today=dt.date(2024, 5, 20), institutions=[alpha])) == 2


def test_budget_planned_against_spent(reported):
    data = metrics.budget_execution(reported["plan"])
    alpha = next(r for r in data["by_institution"] if r["institution"] == "Alpha Ministry")
    # January (accepted) and April (submitted) count; February's draft does not.
    assert (alpha["planned"], alpha["spent"], alpha["spent_share"]) == ("1200000.00", "150000.00", 12.5)
    assert data["by_objective"] == [
        {
            "objective": "1",
            "title": "Objective one",
            "funding_source": "budget",
            "currency": "RSD",
            "year": 2024,
            "planned": "1200000.00",
            "spent": "150000.00",
            "spent_share": 12.5,
        }
    ]
    beta = reported["orgs"]["beta"].pk
    assert metrics.budget_execution(reported["plan"], institutions=[beta]) == {"by_institution": [], "by_objective": []}
    assert Decimal(alpha["spent"]) == Decimal("150000.00")
