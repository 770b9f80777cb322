"""Reads of strategies, plans and their monitoring.

The plan itself (objectives, activities, tasks, budget tables) is a public document and open to
every signed-in user. Reports, rates, overdue lists, spending, evaluations and briefings start
from the access rule :func:`nrm.accounts.access.actionplan_reports_filter`: the Coordinator's
office sees every institution, a reporting focal point its own institution, anyone else nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet

from nrm.accounts.access import PlanAction, actionplan_institution_ids, actionplan_reports_filter
from nrm.accounts.models import User
from nrm.actionplan import metrics
from nrm.actionplan.choices import BudgetSectionKind, TaskRole
from nrm.actionplan.models import (
    ActionPlan,
    Activity,
    Briefing,
    BudgetLine,
    BudgetSection,
    Evaluation,
    Indicator,
    IndicatorValue,
    Objective,
    Report,
    ReportEntry,
    Resource,
    Strategy,
    Task,
    TaskInstitution,
)
from nrm.core.errors import NotFound


def plan_list() -> QuerySet[ActionPlan]:
    """Return every action plan with its strategy, newest first."""
    return ActionPlan.objects.select_related("strategy").order_by("-period_start", "code")


def plan_get(*, pk: int | None = None, code: str | None = None) -> ActionPlan:
    """Return one plan by id or code; without either, the newest plan. Raise NotFound if none."""
    qs = plan_list()
    if pk is not None:
        qs = qs.filter(pk=pk)
    if code:
        qs = qs.filter(code=code)
    plan = qs.first()
    if plan is None:
        raise NotFound
    return plan


def strategy_get(code: str | None = None) -> Strategy:
    """Return one strategy by code, or the newest; raise NotFound if none."""
    qs = Strategy.objects.order_by("-period_start", "code")
    if code:
        qs = qs.filter(code=code)
    strategy = qs.first()
    if strategy is None:
        raise NotFound
    return strategy


def objectives_with_activities(plan: ActionPlan) -> QuerySet[Objective]:
    """Return the plan's objectives with everything under them, in a fixed number of queries."""
    roles = TaskInstitution.objects.select_related("institution").order_by("role", "order")
    tasks = Task.objects.prefetch_related(Prefetch("roles", queryset=roles)).order_by("order")
    activities = Activity.objects.prefetch_related(
        Prefetch("tasks", queryset=tasks),
        Prefetch("indicators", queryset=Indicator.objects.order_by("order")),
        "deadlines",
        Prefetch(
            "resources",
            queryset=Resource.objects.select_related("institution").prefetch_related(
                Prefetch("tasks", queryset=Task.objects.only("id", "number", "activity_id"))
            ),
        ),
    ).order_by("order")
    return (
        Objective.objects.filter(plan=plan)
        .select_related("strategy_objective")
        .prefetch_related(
            Prefetch("activities", queryset=activities),
            Prefetch("indicators", queryset=Indicator.objects.filter(activity__isnull=True), to_attr="own_indicators"),
        )
        .order_by("order")
    )


def _amount(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def task_dict(task: Task) -> dict:
    roles = list(task.roles.all())
    return {
        "number": task.number,
        "title": task.title,
        "responsible": [r.institution.name for r in roles if r.role == TaskRole.RESPONSIBLE],
        "partners": [r.institution.name for r in roles if r.role == TaskRole.PARTNER],
        "unnamed_partners": task.unnamed_partners,
        "responsible_inferred": task.responsible_inferred,
    }


def activity_dict(activity: Activity, plan: ActionPlan, *, ids: bool = False) -> dict:
    """Return an activity as the plan document shows it (amounts as exact decimal strings).

    ``ids`` adds the database ids a client needs to report on the activity and its indicators.
    """
    data = {
        "number": activity.number,
        "title": activity.title,
        "tasks": [task_dict(t) for t in activity.tasks.all()],
        "indicators": [i.text for i in activity.indicators.all()],
        "deadlines": [
            {
                "kind": d.kind,
                "year": d.year,
                "quarter": d.quarter,
                "date": d.on.isoformat() if d.on else None,
                "text": d.text,
                "ends_on": d.ends_on(plan).isoformat(),
            }
            for d in activity.deadlines.all()
        ],
        "active_from": activity.active_from.isoformat(),
        "active_until": activity.active_until.isoformat(),
        "resources": [
            {
                "text": r.text,
                "label": r.label,
                "amount": _amount(r.amount),
                "currency": r.currency or None,
                "year": r.year,
                "funding_source": r.funding_source,
                "institution": r.institution.name if r.institution else None,
                "tasks": [t.number for t in r.tasks.all()],
                "suspected_duplicate": r.suspected_duplicate,
            }
            for r in activity.resources.all()
        ],
        "risks": list(activity.risks),
    }
    if ids:
        data["id"] = activity.pk
        data["indicator_ids"] = [i.pk for i in activity.indicators.all()]
    return data


def objective_dict(objective: Objective, plan: ActionPlan, *, ids: bool = False) -> dict:
    data = {
        "number": objective.number,
        "title": objective.title,
        "strategy_objective": objective.strategy_objective.number if objective.strategy_objective else None,
        "indicators": [i.text for i in objective.own_indicators],
        "activities": [activity_dict(a, plan, ids=ids) for a in objective.activities.all()],
    }
    if ids:
        data["id"] = objective.pk
    return data


def budget_sections(strategy: Strategy) -> list[BudgetSection]:
    """Return the strategy's budget tables (strategy first, then its plans') with their lines."""
    lines = BudgetLine.objects.select_related("institution").order_by("order")
    return list(
        BudgetSection.objects.filter(strategy=strategy)
        .select_related("plan")
        .prefetch_related(Prefetch("lines", queryset=lines), "without_expenditures")
        .order_by("section", "plan__period_start")
    )


def budget_section_dict(section: BudgetSection) -> dict:
    totals: dict[str, object] = {}
    for line in section.lines.all():
        totals[str(line.year)] = totals.get(str(line.year), 0) + line.amount
    return {
        "section": section.section,
        "plan": section.plan.code if section.plan else None,
        "currency": section.currency,
        "years": section.years,
        "rows": [
            {
                "institution": line.institution.name,
                "year": line.year,
                "amount": _amount(line.amount),
                "currency": line.currency,
            }
            for line in section.lines.all()
        ],
        "totals": {y: _amount(v) for y, v in sorted(totals.items())},
        "institutions_without_expenditures": sorted(i.name for i in section.without_expenditures.all()),
        "funding_sources": section.funding_sources,
    }


def budget_rows(strategy: Strategy) -> list[dict]:
    """Return the rows of the strategy's budget tables: section, institution, year, amount, currency."""
    rows = []
    for section in budget_sections(strategy):
        for line in section.lines.all():
            rows.append(
                {
                    "section": section.section,
                    "institution": line.institution.name,
                    "year": line.year,
                    "amount": _amount(line.amount),
                    "currency": line.currency,
                }
            )
    order = {BudgetSectionKind.STRATEGY: 0, BudgetSectionKind.ACTION_PLAN: 1}
    return sorted(rows, key=lambda r: order.get(r["section"], 2))


def plan_export(plan: ActionPlan) -> dict:
    """Return the whole plan, its strategy and budget tables as one JSON-ready document."""
    strategy = plan.strategy
    return {
        "country": strategy.country,
        "strategy": {
            "code": strategy.code,
            "title": strategy.title,
            "period_start": strategy.period_start,
            "period_end": strategy.period_end,
            "vision": strategy.vision,
            "general_objective": strategy.general_objective,
            "special_objectives": [
                {"number": o.number, "title": o.title, "description": o.description} for o in strategy.objectives.all()
            ],
        },
        "plan": {
            "code": plan.code,
            "title": plan.title,
            "period_start": plan.period_start,
            "period_end": plan.period_end,
            "currency": plan.currency,
            "monthly_due_working_day": plan.monthly_due_working_day,
            "annual_due": f"{plan.annual_due_month:02d}-{plan.annual_due_day:02d}",
        },
        "objectives": [objective_dict(o, plan) for o in objectives_with_activities(plan)],
        "budget": {
            s.section: budget_section_dict(s) for s in budget_sections(strategy) if s.plan_id in (None, plan.pk)
        },
    }


# --- Monitoring: from the access rule ---------------------------------------------------------


def may_monitor(user: User) -> bool:
    """Return True if ``user`` takes part in action-plan monitoring (Coordinator or focal point)."""
    orgs = actionplan_institution_ids(user, PlanAction.VIEW)
    return orgs is None or bool(orgs)


def report_list(
    user: User,
    *,
    plan: ActionPlan | None = None,
    kind: str = "",
    year: int | None = None,
    month: int | None = None,
    institution: int | None = None,
    status: str = "",
) -> QuerySet[Report]:
    """Return the reports ``user`` may see, filtered."""
    qs = Report.objects.filter(actionplan_reports_filter(user, PlanAction.VIEW)).select_related("institution", "plan")
    if plan is not None:
        qs = qs.filter(plan=plan)
    if kind:
        qs = qs.filter(kind=kind)
    if year is not None:
        qs = qs.filter(year=year)
    if month is not None:
        qs = qs.filter(month=month)
    if institution is not None:
        qs = qs.filter(institution=institution)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-year", "-month", "institution__name", "pk")


def report_get(user: User, pk: int, action: str = PlanAction.VIEW) -> Report:
    """Return a report ``user`` may ``action``, with its entries; anything else is NotFound."""
    entries = ReportEntry.objects.select_related("activity").prefetch_related(
        Prefetch("values", queryset=IndicatorValue.objects.select_related("indicator")),
        Prefetch("activity__indicators", queryset=Indicator.objects.order_by("order")),
    )
    report = (
        Report.objects.filter(actionplan_reports_filter(user, action), pk=pk)
        .select_related("institution", "plan", "submitted_by", "reviewed_by")
        .prefetch_related(Prefetch("entries", queryset=entries), "transitions")
        .first()
    )
    if report is None:
        raise NotFound
    return report


def visible_institutions(user: User) -> list[int] | None:
    """Return the organisations whose monitoring figures ``user`` may see (None: all)."""
    return actionplan_institution_ids(user, PlanAction.VIEW)


def reporting_rates(
    user: User,
    plan: ActionPlan,
    *,
    kind: str,
    year: int,
    month: int | None = None,
    by: str = "institution",
    due_by: dt.date | None = None,
) -> tuple[list[metrics.Rate], metrics.Rate]:
    """Return completeness and timeliness rows for what ``user`` may see.

    With ``due_by``, periods whose report is not yet due by that date are left out.
    """
    periods = metrics.periods_of(plan, kind, year, month)
    if due_by is not None:
        periods = [p for p in periods if p.due(plan) <= due_by]
    cells = metrics.reporting_cells(plan, periods, institutions=visible_institutions(user))
    return metrics.rates(cells, by=by)


def overdue_list(user: User, plan: ActionPlan, *, today: dt.date) -> list[metrics.Cell]:
    """Return the expected reports past due and not received, as far as ``user`` may see."""
    return metrics.overdue(plan, today=today, institutions=visible_institutions(user))


def budget_execution(user: User, plan: ActionPlan, *, year: int | None = None) -> dict[str, list[dict]]:
    """Return planned against spent, for the institutions ``user`` may see."""
    return metrics.budget_execution(plan, institutions=visible_institutions(user), year=year)


def evaluation_list(
    user: User, plan: ActionPlan, *, year: int | None = None, current: bool = False
) -> list[Evaluation]:
    """Return the evaluations of the plan's activities (newest first per activity and year).

    ``current`` keeps only the newest rating of each activity and year. Nobody outside
    action-plan monitoring sees any.
    """
    if not may_monitor(user):
        return []
    qs = Evaluation.objects.filter(plan=plan).select_related("activity", "evaluated_by")
    if year is not None:
        qs = qs.filter(year=year)
    rows = list(qs.order_by("activity__objective__order", "activity__order", "year", "-evaluated_at", "-pk"))
    if current:
        seen, out = set(), []
        for e in rows:
            if (e.activity_id, e.year) not in seen:
                seen.add((e.activity_id, e.year))
                out.append(e)
        rows = out
    return rows


def briefing_list(user: User, plan: ActionPlan, *, kind: str = "") -> QuerySet[Briefing]:
    """Return the Coordinator's briefings; only the Coordinator's office sees them."""
    if actionplan_institution_ids(user, PlanAction.REVIEW) is not None:
        return Briefing.objects.none()
    qs = Briefing.objects.filter(plan=plan)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("kind", "-period_end", "-created_at")
