"""When action-plan reports and the Coordinator's briefings are due.

Working days follow the public holidays of ``settings.NRM_COUNTRY`` (see :mod:`nrm.core.workdays`).
Serbia's Strategy (seed 001, §10.2): the monthly report is due by the fifth working day of the
next month, the annual report no later than 15 February for the previous year. 15 February is
Statehood Day in Serbia, so the annual report rolls forward to the next working day.
The numbers are a plan's data (:class:`~nrm.actionplan.models.ActionPlan`); these defaults are
Serbia's.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from nrm.actionplan.choices import ReportKind
from nrm.core.workdays import is_working_day, next_working_day, nth_working_day

MONTHLY_DUE_WORKING_DAY = 5
ANNUAL_DUE_MONTH = 2
ANNUAL_DUE_DAY = 15
COUNCIL_INTERVAL_DAYS = 60


def monthly_due_date(
    year: int, month: int, *, working_day: int = MONTHLY_DUE_WORKING_DAY, country: str | None = None
) -> dt.date:
    """Return the due date of the monthly report on ``month`` of ``year``.

    That is the ``working_day``-th working day of the following month.
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1-12, not {month}")
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return nth_working_day(year, month, working_day, country)


def annual_due_date(
    year: int, *, month: int = ANNUAL_DUE_MONTH, day: int = ANNUAL_DUE_DAY, country: str | None = None
) -> dt.date:
    """Return the due date of the annual report for ``year``.

    It is due on ``day`` ``month`` of the next year, or the next working day if that is not one.
    """
    return next_working_day(dt.date(year + 1, month, day), country)


def last_working_day(year: int, month: int, country: str | None = None) -> dt.date:
    """Return the last working day of a month."""
    day = dt.date(year, month, calendar.monthrange(year, month)[1])
    while not is_working_day(day, country):
        day -= dt.timedelta(days=1)
    return day


def minister_due_date(year: int, month: int, country: str | None = None) -> dt.date:
    """Return when the Coordinator's information to the Minister on ``month`` is due.

    The reports on a month arrive by the fifth working day of the next; the Coordinator
    consolidates them and informs the Minister within that next month, by its last working day.
    """
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return last_working_day(year, month, country)


def council_due_date(
    previous: dt.date, *, interval_days: int = COUNCIL_INTERVAL_DAYS, country: str | None = None
) -> dt.date:
    """Return when the next note to the Council is due: at least every ``interval_days`` days.

    "At least every 60 days" is a limit, so a non-working day moves the date back, not forward.
    """
    day = previous + dt.timedelta(days=interval_days)
    while not is_working_day(day, country):
        day -= dt.timedelta(days=1)
    return day


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period: a month (``month`` 1-12) or a year (``month`` 0)."""

    year: int
    month: int = 0

    @classmethod
    def parse(cls, text: str) -> Period:
        """Return the period written ``YYYY-MM`` or ``YYYY``."""
        text = text.strip()
        try:
            if len(text) == 7 and text[4] == "-":
                period = cls(int(text[:4]), int(text[5:]))
            elif len(text) == 4:
                period = cls(int(text))
            else:
                raise ValueError
        except ValueError:
            raise ValueError(f"{text!r} is not a period: use YYYY-MM or YYYY") from None
        if not (1 <= period.year <= 9998 and 0 <= period.month <= 12):
            raise ValueError(f"{text!r} is not a period: use YYYY-MM or YYYY")
        return period

    @property
    def kind(self) -> str:
        return ReportKind.ANNUAL if self.month == 0 else ReportKind.MONTHLY

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.month or 1, 1)

    @property
    def end(self) -> dt.date:
        if self.month == 0:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month else str(self.year)

    def __str__(self) -> str:
        return self.label

    def due(self, plan=None) -> dt.date:
        """Return the report's due date under ``plan``'s calendar (Serbia's when no plan)."""
        if self.month == 0:
            if plan is None:
                return annual_due_date(self.year)
            return annual_due_date(self.year, month=plan.annual_due_month, day=plan.annual_due_day)
        working_day = plan.monthly_due_working_day if plan is not None else MONTHLY_DUE_WORKING_DAY
        return monthly_due_date(self.year, self.month, working_day=working_day)


def months(first: dt.date, last: dt.date) -> list[Period]:
    """Return the monthly periods from the month of ``first`` to the month of ``last``, inclusive."""
    out = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(Period(year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
