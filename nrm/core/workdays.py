"""Working-day arithmetic under the configured country's public holidays."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays
from django.conf import settings


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


def is_working_day(day: dt.date, country: str | None = None) -> bool:
    """Return True if ``day`` is neither a weekend nor a public holiday of ``country``."""
    country = country or settings.NRM_COUNTRY
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def add_working_days(start: dt.date, days: int, country: str | None = None) -> dt.date:
    """Return the date ``days`` working days after ``start`` (``start`` itself not counted)."""
    day = start
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day, country):
            remaining -= 1
    return day


def nth_working_day(year: int, month: int, n: int, country: str | None = None) -> dt.date:
    """Return the ``n``-th working day of a month (1-based)."""
    return add_working_days(dt.date(year, month, 1) - dt.timedelta(days=1), n, country)


def next_working_day(day: dt.date, country: str | None = None) -> dt.date:
    """Return ``day`` if it is a working day, else the next one."""
    while not is_working_day(day, country):
        day += dt.timedelta(days=1)
    return day
