"""Due dates of action-plan reports under Serbia's public holidays (the ``holidays`` package)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nrm.actionplan.due import (
    Period,
    annual_due_date,
    council_due_date,
    minister_due_date,
    monthly_due_date,
    months,
)
from nrm.core.workdays import is_working_day

years = st.integers(min_value=2000, max_value=2040)
month_numbers = st.integers(min_value=1, max_value=12)


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


@given(years, month_numbers)
def test_monthly_due_date_is_a_working_day(year, month):
    assert is_working_day(monthly_due_date(year, month, country="RS"), "RS")


@given(years, month_numbers)
def test_monthly_due_date_falls_in_the_next_month(year, month):
    due = monthly_due_date(year, month, country="RS")
    assert (due.year, due.month) == _next_month(year, month)


@given(years, month_numbers)
def test_exactly_four_working_days_of_the_month_come_before_it(year, month):
    due = monthly_due_date(year, month, country="RS")
    first = due.replace(day=1)
    before = [first + dt.timedelta(days=n) for n in range((due - first).days)]
    assert sum(is_working_day(day, "RS") for day in before) == 4


@given(st.integers(min_value=2000, max_value=2040))
def test_annual_due_date_is_the_first_working_day_from_15_february(year):
    due = annual_due_date(year, country="RS")
    start = dt.date(year + 1, 2, 15)
    assert is_working_day(due, "RS") and due >= start
    assert not any(is_working_day(start + dt.timedelta(days=n), "RS") for n in range((due - start).days))


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        # The BRIEF's three examples.
        (2024, 4, dt.date(2024, 5, 13)),  # Labour Day 1-2 May, then Orthodox Good Friday to Easter Monday 3-6 May
        (2018, 3, dt.date(2018, 4, 10)),  # Orthodox Good Friday 6 April and Easter Monday 9 April
        (2025, 12, dt.date(2026, 1, 12)),  # New Year 1-2 January and Orthodox Christmas 7 January
        # New Year on a Sunday: 1, 2 and the observed 3 January 2017 are off; Christmas falls on a Saturday.
        (2016, 12, dt.date(2017, 1, 10)),
        # Orthodox Christmas on a Tuesday inside the first working week.
        (2024, 12, dt.date(2025, 1, 10)),
        # Labour Day on Monday and Tuesday (Orthodox Easter was three weeks earlier).
        (2017, 4, dt.date(2017, 5, 9)),
        # Orthodox Easter Monday 21 April 2025 falls after the fifth working day: no effect.
        (2025, 3, dt.date(2025, 4, 7)),
        # Statehood Day (15-16 February) never reaches the fifth working day of February.
        (2018, 1, dt.date(2018, 2, 7)),
        # Armistice Day (11 November) falls after the fifth working day too.
        (2018, 10, dt.date(2018, 11, 7)),
    ],
)
def test_monthly_due_date_worked_examples(settings, year, month, expected):
    settings.NRM_COUNTRY = "RS"
    assert monthly_due_date(year, month) == expected
    assert Period(year, month).due() == expected


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2017, dt.date(2018, 2, 19)),  # 15-16 February 2018 Thursday-Friday: Statehood Day
        (2018, dt.date(2019, 2, 18)),  # Friday 15, weekend
        (2023, dt.date(2024, 2, 19)),  # Thursday 15, Friday 16
        (2024, dt.date(2025, 2, 18)),  # Saturday 15, Sunday 16, observed Monday 17
        (2025, dt.date(2026, 2, 18)),  # Sunday 15, Monday 16, observed Tuesday 17
    ],
)
def test_annual_due_date_moves_forward_past_statehood_day(settings, year, expected):
    settings.NRM_COUNTRY = "RS"
    assert annual_due_date(year) == expected
    assert Period(year).due() == expected
    assert annual_due_date(year) > dt.date(year + 1, 2, 15)


def test_a_country_without_the_holiday_keeps_15_february(settings):
    settings.NRM_COUNTRY = "GB"
    assert annual_due_date(2018) == dt.date(2019, 2, 15)
    # Western Easter was on 1 April 2018; Orthodox Easter, which moves Serbia's date to 10 April, does not count.
    assert monthly_due_date(2018, 3) == dt.date(2018, 4, 6)


def test_the_plan_calendar_is_data():
    class Calendar:
        monthly_due_working_day, annual_due_month, annual_due_day = 10, 3, 31

    assert Period(2024, 4).due(Calendar) == dt.date(2024, 5, 20)
    assert Period(2024).due(Calendar) == dt.date(2025, 3, 31)


def test_coordinator_due_dates(settings):
    settings.NRM_COUNTRY = "RS"
    assert minister_due_date(2018, 3) == dt.date(2018, 4, 30)  # last working day of the next month
    assert minister_due_date(2017, 12) == dt.date(2018, 1, 31)
    # At least every 60 days: a weekend moves the date back, not forward.
    assert council_due_date(dt.date(2018, 1, 1)) == dt.date(2018, 3, 2)  # 60 days on is Saturday 3 March


def test_periods():
    assert Period.parse("2024-04") == Period(2024, 4) and Period.parse("2024") == Period(2024)
    assert Period(2024, 2).end == dt.date(2024, 2, 29) and Period(2024).label == "2024"
    assert [p.label for p in months(dt.date(2017, 11, 5), dt.date(2018, 2, 1))] == [
        "2017-11",
        "2017-12",
        "2018-01",
        "2018-02",
    ]
    for bad in ("2024-13", "24-04", "2024/04", ""):
        with pytest.raises(ValueError):
            Period.parse(bad)
    with pytest.raises(ValueError):
        monthly_due_date(2024, 0)
