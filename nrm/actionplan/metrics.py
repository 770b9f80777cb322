"""Reporting rates, overdue lists and budget execution, computed from the reports.

Completeness and timeliness follow DHIS2's reporting rates:

* expected: an institution is expected to report for a period when it is responsible for a task
  of at least one activity whose deadline window covers the period (DHIS2: the data set is
  assigned to the organisation unit for that period);
* received ("actual reports"): its report for the period is submitted or accepted (DHIS2: the
  data set is marked complete; a report returned for correction is, like an un-completed data
  set, not counted until it is submitted again);
* on time: received, and first submitted on or before the due date (DHIS2: completed within the
  days allowed after the period's end);
* completeness = received / expected and timeliness = on time / expected, as percentages with
  one decimal; ``None`` when nothing is expected.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from nrm.actionplan.choices import RECEIVED_STATES, BudgetSectionKind, ReportKind, TaskRole
from nrm.actionplan.due import Period
from nrm.actionplan.models import ActionPlan, BudgetLine, Institution, Report, ReportEntry, Resource, TaskInstitution


@dataclass(frozen=True)
class Cell:
    """One institution and one period: expected or not, and what became of its report."""

    organisation_id: int
    institution: str
    period: Period
    due_on: dt.date
    expected: bool
    report_id: int | None = None
    status: str = ""
    received: bool = False
    on_time: bool = False
    is_late: bool = False
    submitted_on: dt.date | None = None


@dataclass
class Rate:
    """Reports expected, received and received on time for one row of a rates table."""

    key: str
    label: str
    expected: int = 0
    received: int = 0
    on_time: int = 0
    periods: list[str] = field(default_factory=list)

    @staticmethod
    def _pct(n: int, d: int) -> float | None:
        return None if d == 0 else round(100.0 * n / d, 1)

    @property
    def completeness(self) -> float | None:
        return self._pct(self.received, self.expected)

    @property
    def timeliness(self) -> float | None:
        return self._pct(self.on_time, self.expected)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("periods")
        data.update(completeness=self.completeness, timeliness=self.timeliness)
        return data


def institution_names(plan: ActionPlan) -> dict[int, str]:
    """Return the name the strategy gives each organisation (the first, when it gives several)."""
    names: dict[int, str] = {}
    for org, name in (
        Institution.objects.filter(strategy=plan.strategy_id).order_by("name").values_list("organisation_id", "name")
    ):
        names.setdefault(org, name)
    return names


def responsibility_windows(plan: ActionPlan) -> dict[int, list[tuple[dt.date, dt.date]]]:
    """Return, per reporting organisation, the deadline windows of the activities it is responsible for."""
    windows: dict[int, set[tuple[dt.date, dt.date]]] = defaultdict(set)
    rows = TaskInstitution.objects.filter(
        task__activity__plan=plan, role=TaskRole.RESPONSIBLE, institution__reports=True
    ).values_list("institution__organisation_id", "task__activity__active_from", "task__activity__active_until")
    for org, start, end in rows:
        windows[org].add((start, end))
    # The monitoring body's members report on every month and year of the plan, tasks or not.
    members = Institution.objects.filter(strategy=plan.strategy_id, working_group=True, reports=True)
    for org in members.values_list("organisation_id", flat=True):
        windows[org].add((dt.date(plan.period_start, 1, 1), dt.date(plan.period_end, 12, 31)))
    return {org: sorted(w) for org, w in windows.items()}


def expected_institutions(plan: ActionPlan, period: Period) -> set[int]:
    """Return the organisations expected to report on ``period``."""
    return {
        org
        for org, windows in responsibility_windows(plan).items()
        if any(start <= period.end and end >= period.start for start, end in windows)
    }


def reporting_cells(
    plan: ActionPlan, periods: Iterable[Period], *, institutions: Iterable[int] | None = None
) -> list[Cell]:
    """Return a cell for every (institution, period) that is expected or has a report.

    ``institutions`` narrows the result to those organisations (None: all). Three queries
    whatever the number of periods.
    """
    periods = sorted(set(periods))
    if not periods:
        return []
    wanted = None if institutions is None else set(institutions)
    windows = responsibility_windows(plan)
    names = institution_names(plan)
    reports = Report.objects.filter(plan=plan, year__gte=periods[0].year, year__lte=periods[-1].year)
    if wanted is not None:
        reports = reports.filter(institution__in=wanted)
    found = {
        (r["institution_id"], Period(r["year"], r["month"])): r
        for r in reports.values("id", "institution_id", "year", "month", "status", "is_late", "first_submitted_at")
    }
    cells = []
    for period in periods:
        due = period.due(plan)
        expected = {
            org for org, ws in windows.items() if any(start <= period.end and end >= period.start for start, end in ws)
        }
        orgs = expected | {org for org, p in found if p == period}
        if wanted is not None:
            orgs &= wanted
        for org in sorted(orgs, key=lambda o: names.get(o, "")):
            r = found.get((org, period))
            received = bool(r and r["status"] in RECEIVED_STATES)
            submitted = r["first_submitted_at"] if r else None
            cells.append(
                Cell(
                    organisation_id=org,
                    institution=names.get(org, str(org)),
                    period=period,
                    due_on=due,
                    expected=org in expected,
                    report_id=r["id"] if r else None,
                    status=r["status"] if r else "",
                    received=received,
                    on_time=received and not r["is_late"],
                    is_late=bool(r and r["is_late"]),
                    submitted_on=timezone.localdate(submitted) if submitted else None,
                )
            )
    return cells


def rates(cells: Iterable[Cell], *, by: str = "institution") -> tuple[list[Rate], Rate]:
    """Aggregate cells into rows ``by`` "institution" or "period", plus the total row.

    Only expected cells count, so no rate goes above 100 %.
    """
    if by not in ("institution", "period"):
        raise ValueError("by must be 'institution' or 'period'")
    rows: dict[str, Rate] = {}
    total = Rate(key="total", label="Total")
    for cell in cells:
        if not cell.expected:
            continue
        key, label = (
            (str(cell.organisation_id), cell.institution)
            if by == "institution"
            else (cell.period.label, cell.period.label)
        )
        row = rows.setdefault(key, Rate(key=key, label=label))
        for r in (row, total):
            r.expected += 1
            r.received += cell.received
            r.on_time += cell.on_time
            r.periods.append(cell.period.label)
    ordered = sorted(rows.values(), key=lambda r: r.label if by == "institution" else r.key)
    return ordered, total


def periods_of(plan: ActionPlan, kind: str, year: int, month: int | None = None) -> list[Period]:
    """Return the reporting periods of ``kind`` in ``year`` (or the one ``month``) within the plan."""
    if kind == ReportKind.ANNUAL:
        candidates = [Period(year)]
    elif month:
        candidates = [Period(year, month)]
    else:
        candidates = [Period(year, m) for m in range(1, 13)]
    return [p for p in candidates if p.start <= plan.ends_on and p.end >= plan.starts_on]


def overdue(
    plan: ActionPlan, *, today: dt.date, institutions: Iterable[int] | None = None, since: dt.date | None = None
) -> list[Cell]:
    """Return expected reports past their due date that are not received, oldest first.

    Nothing once the plan is closed (:meth:`ActionPlan.phase`): a report never received by then
    stays "not received" in the rates, but is no longer chased as overdue.
    """
    if plan.is_closed(today):
        return []
    periods = [p for p in periods_of_plan(plan) if p.due(plan) < today and (since is None or p.due(plan) >= since)]
    cells = reporting_cells(plan, periods, institutions=institutions)
    return sorted((c for c in cells if c.expected and not c.received), key=lambda c: (c.due_on, c.institution))


def periods_of_plan(plan: ActionPlan) -> list[Period]:
    """Return every monthly and annual reporting period of the plan."""
    out = []
    for year in range(plan.period_start, plan.period_end + 1):
        out += [Period(year, m) for m in range(1, 13)] + [Period(year)]
    return out


def briefing_content(plan: ActionPlan, periods: list[Period]) -> dict:
    """Return what the Coordinator tells the Minister or the Council about ``periods`` (months)."""
    cells = reporting_cells(plan, periods)
    _rows, total = rates(cells)
    entries = (
        ReportEntry.objects.filter(
            report__plan=plan,
            report__kind=ReportKind.MONTHLY,
            report__status__in=RECEIVED_STATES,
            report__year__gte=min((p.year for p in periods), default=0),
            report__year__lte=max((p.year for p in periods), default=0),
        )
        .select_related("activity", "report")
        .order_by("activity__objective__order", "activity__order", "report__year", "report__month")
    )
    wanted = set(periods)
    names = institution_names(plan)
    activities: dict[str, dict] = {}
    spent: dict[str, Decimal] = defaultdict(Decimal)
    for e in entries:
        if e.report.period not in wanted:
            continue
        a = activities.setdefault(
            e.activity.number, {"number": e.activity.number, "title": e.activity.title, "progress": {}, "problems": []}
        )
        if e.progress:
            a["progress"][e.progress] = a["progress"].get(e.progress, 0) + 1
        if e.problems:
            a["problems"].append(
                {
                    "institution": names.get(e.report.institution_id, ""),
                    "period": e.report.period.label,
                    "text": e.problems,
                }
            )
        if e.money_spent:
            spent[e.currency] += e.money_spent
    return {
        "months": [p.label for p in periods],
        "rates": total.as_dict(),
        "late": [
            {"institution": c.institution, "period": c.period.label, "due_on": c.due_on.isoformat()}
            for c in cells
            if c.received and c.is_late
        ],
        "missing": [
            {"institution": c.institution, "period": c.period.label, "due_on": c.due_on.isoformat()}
            for c in cells
            if c.expected and not c.received
        ],
        "activities": list(activities.values()),
        "spent": [{"currency": k, "amount": str(v)} for k, v in sorted(spent.items())],
    }


def budget_execution(
    plan: ActionPlan, *, institutions: Iterable[int] | None = None, year: int | None = None
) -> dict[str, list[dict]]:
    """Return money planned against money reported spent.

    ``by_institution``: the plan's budget table (§11) per institution and year against the
    spending in the institution's received monthly reports. ``by_objective``: the amounts the
    plan sets against each objective's activities, per funding source, currency and year
    (suspected duplicates left out), against the spending reported on those activities.
    """
    wanted = None if institutions is None else list(institutions)
    names = institution_names(plan)
    lines = BudgetLine.objects.filter(section__plan=plan, section__section=BudgetSectionKind.ACTION_PLAN)
    spent = ReportEntry.objects.filter(
        report__plan=plan,
        report__kind=ReportKind.MONTHLY,
        report__status__in=RECEIVED_STATES,
        money_spent__isnull=False,
    )
    resources = Resource.objects.filter(activity__plan=plan, amount__isnull=False, suspected_duplicate=False)
    if wanted is not None:
        lines = lines.filter(institution__organisation__in=wanted)
        spent = spent.filter(report__institution__in=wanted)
        resources = resources.filter(institution__organisation__in=wanted)
    if year is not None:
        lines, spent, resources = lines.filter(year=year), spent.filter(report__year=year), resources.filter(year=year)

    by_inst: dict[tuple, dict] = {}
    for org, y, currency, amount in lines.values_list("institution__organisation_id", "year", "currency", "amount"):
        row = by_inst.setdefault((org, y, currency), {"planned": Decimal("0.00"), "spent": Decimal("0.00")})
        row["planned"] += amount
    for org, y, currency, amount in spent.values_list("report__institution_id", "report__year", "currency").annotate(
        total=Sum("money_spent")
    ):
        row = by_inst.setdefault((org, y, currency), {"planned": Decimal("0.00"), "spent": Decimal("0.00")})
        row["spent"] += amount

    by_obj: dict[tuple, dict] = {}
    for number, title, source, currency, y, amount in resources.values_list(
        "activity__objective__number", "activity__objective__title", "funding_source", "currency", "year"
    ).annotate(total=Sum("amount")):
        row = by_obj.setdefault(
            (number, source, currency, y), {"title": title, "planned": Decimal("0.00"), "spent": Decimal("0.00")}
        )
        row["planned"] += amount
    for number, title, source, currency, y, amount in spent.values_list(
        "activity__objective__number", "activity__objective__title", "funding_source", "currency", "report__year"
    ).annotate(total=Sum("money_spent")):
        row = by_obj.setdefault(
            (number, source, currency, y), {"title": title, "planned": Decimal("0.00"), "spent": Decimal("0.00")}
        )
        row["spent"] += amount

    def share(row: dict) -> float | None:
        return None if not row["planned"] else round(float(100 * row["spent"] / row["planned"]), 1)

    return {
        "by_institution": [
            {
                "organisation": org,
                "institution": names.get(org, str(org)),
                "year": y,
                "currency": currency,
                "planned": str(row["planned"]),
                "spent": str(row["spent"]),
                "spent_share": share(row),
            }
            for (org, y, currency), row in sorted(
                by_inst.items(), key=lambda kv: (names.get(kv[0][0], ""), kv[0][1], kv[0][2])
            )
        ],
        "by_objective": [
            {
                "objective": number,
                "title": row["title"],
                "funding_source": source,
                "currency": currency,
                "year": y,
                "planned": str(row["planned"]),
                "spent": str(row["spent"]),
                "spent_share": share(row),
            }
            for (number, source, currency, y), row in sorted(
                by_obj.items(), key=lambda kv: tuple("" if v is None else str(v) for v in kv[0])
            )
        ],
    }
