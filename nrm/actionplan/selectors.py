"""Reads of strategies, plans and their monitoring.

The plan itself (objectives, activities, tasks, budget tables) is a public document and open to
every signed-in user. Reports, rates, overdue lists, spending, evaluations and briefings start
from the access rule :func:`nrm.accounts.access.actionplan_reports_filter`: the Coordinator's
office sees every institution, a reporting focal point its own institution, anyone else nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from nrm.accounts.access import PlanAction, actionplan_institution_ids, get_or_deny, restrict
from nrm.accounts.models import User
from nrm.actionplan import metrics
from nrm.actionplan.choices import RECEIVED_STATES, BriefingKind, BudgetSectionKind, ReportKind, TaskRole
from nrm.actionplan.due import Period, minister_due_date, months
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
    ReportTransition,
    Resource,
    Strategy,
    Task,
    TaskInstitution,
)
from nrm.core.errors import NotFound


def plan_list() -> QuerySet[ActionPlan]:
    """Return every action plan with its strategy, newest first."""
    return ActionPlan.objects.select_related("strategy").order_by("-period_start", "code")


# Which plan a page opens on, best first: one whose period holds today, then one still collecting
# its final reports, then one not yet begun, then the closed ones.
PHASE_PREFERENCE = (ActionPlan.RUNNING, ActionPlan.FINAL_REPORTS, ActionPlan.UPCOMING, ActionPlan.CLOSED)


def plan_current(plans: list[ActionPlan] | None = None, *, today: dt.date | None = None) -> ActionPlan | None:
    """Return the plan pages open on by default: the one in its period on ``today``.

    Among plans in the same phase an official plan comes before a synthetic (demo) one, then the
    newest. A closed plan is chosen only when no other exists. None when there is no plan.
    """
    plans = list(plan_list()) if plans is None else plans
    if not plans:
        return None
    today = today or timezone.localdate()
    return min(
        plans,
        key=lambda p: (PHASE_PREFERENCE.index(p.phase(today)), p.is_synthetic, -p.period_start, p.code),
    )


def plan_get(*, pk: int | None = None, code: str | None = None, today: dt.date | None = None) -> ActionPlan:
    """Return one plan by id or code; without either, the current plan (:func:`plan_current`).

    Raise NotFound if none.
    """
    qs = plan_list()
    if pk is not None:
        qs = qs.filter(pk=pk)
    if code:
        qs = qs.filter(code=code)
    plan = qs.first() if pk is not None or code else plan_current(list(qs), today=today)
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
    qs = restrict(Report.objects.all(), user, PlanAction.VIEW).select_related("institution", "plan")
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


def report_get(user: User, pk: int, action: str = PlanAction.VIEW, *, via: str = "api") -> Report:
    """Return a report ``user`` may ``action``, with its entries; anything else is an audited NotFound.

    ``via`` (``"api"``, ``"web"``) goes into the denial's reason with the action.
    """
    entries = ReportEntry.objects.select_related("activity").prefetch_related(
        Prefetch("values", queryset=IndicatorValue.objects.select_related("indicator")),
        Prefetch("activity__indicators", queryset=Indicator.objects.order_by("order")),
    )
    return get_or_deny(
        Report.objects.select_related("institution", "plan", "submitted_by", "reviewed_by").prefetch_related(
            Prefetch("entries", queryset=entries),
            Prefetch("transitions", queryset=ReportTransition.objects.select_related("actor").order_by("pk")),
        ),
        user,
        PlanAction(action),
        object_type="actionplan_report",
        audit_action="actionplan.report.view",
        audit_reason=f"{via} {action}",
        pk=pk,
    )


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


# --- Web pages: the dashboard and the consolidated annual report ------------------------------


def reporting_grid(user: User, plan: ActionPlan, periods: list[Period]) -> list[metrics.Cell]:
    """Return the (institution, period) cells of ``periods`` for the institutions ``user`` may see."""
    return metrics.reporting_cells(plan, periods, institutions=visible_institutions(user))


def responsibilities(user: User, plan: ActionPlan) -> dict[int, set[int]]:
    """Return, per activity, the reporting organisations responsible for it that ``user`` may see."""
    wanted = visible_institutions(user)
    rows = TaskInstitution.objects.filter(
        task__activity__plan=plan, role=TaskRole.RESPONSIBLE, institution__reports=True
    ).values_list("task__activity_id", "institution__organisation_id")
    out: dict[int, set[int]] = {}
    for activity_id, org in rows:
        if wanted is None or org in wanted:
            out.setdefault(activity_id, set()).add(org)
    return out


# How an activity stands when its institutions' latest reports are put together; the order is
# the order of the dashboard's bars and legends.
ACTIVITY_STATES = ("completed", "in_progress", "not_started", "delayed", "no_report")


def _activity_state(progresses: list[str], expected: int) -> str:
    if not progresses:
        return "no_report"
    if "delayed" in progresses:
        return "delayed"
    if len(progresses) >= expected and all(p == "completed" for p in progresses):
        return "completed"
    if all(p == "not_started" for p in progresses):
        return "not_started"
    return "in_progress"


def latest_entries(user: User, plan: ActionPlan, *, year: int) -> dict[tuple[int, int], ReportEntry]:
    """Return the newest received entry of ``year`` per (activity, organisation) ``user`` may see.

    The annual report, once received, speaks for the whole year; before it, the latest monthly
    report does. Entries come with their indicator values and report. Two queries.
    """
    entries = (
        restrict(ReportEntry.objects.all(), user, PlanAction.VIEW)
        .filter(
            report__plan=plan,
            report__year=year,
            report__status__in=RECEIVED_STATES,
        )
        .select_related("report")
        .prefetch_related(Prefetch("values", queryset=IndicatorValue.objects.order_by("indicator__order")))
        .order_by("report__month")
    )
    latest: dict[tuple[int, int], ReportEntry] = {}
    annual: dict[tuple[int, int], ReportEntry] = {}
    for e in entries:
        key = (e.activity_id, e.report.institution_id)
        if e.report.month == 0:
            annual[key] = e
        else:
            latest[key] = e
    latest.update(annual)
    return latest


def activity_status(user: User, plan: ActionPlan, *, year: int) -> list[dict]:
    """Return, per objective, how many of its activities stand where in ``year``.

    An activity's state puts together the latest received report of every responsible
    institution ``user`` may see: delayed if any says delayed, completed when all say completed,
    not started when all say so, in progress otherwise, and "no report" without any report.
    Only activities whose deadline window covers the year count.
    """
    period = Period(year)
    responsible = responsibilities(user, plan)
    latest = latest_entries(user, plan, year=year)
    by_activity: dict[int, list[str]] = {}
    for (activity_id, _org), entry in latest.items():
        if entry.progress:
            by_activity.setdefault(activity_id, []).append(entry.progress)
    out = []
    for objective in Objective.objects.filter(plan=plan).prefetch_related(
        Prefetch(
            "activities",
            queryset=Activity.objects.filter(active_from__lte=period.end, active_until__gte=period.start).order_by(
                "order"
            ),
        )
    ):
        counts = dict.fromkeys(ACTIVITY_STATES, 0)
        activities = []
        for activity in objective.activities.all():
            if activity.pk not in responsible:
                continue
            state = _activity_state(by_activity.get(activity.pk, []), len(responsible[activity.pk]))
            counts[state] += 1
            activities.append({"activity": activity, "state": state})
        if activities:
            out.append({"objective": objective, "counts": counts, "total": len(activities), "activities": activities})
    return out


def briefing_reminders(user: User, plan: ActionPlan, *, today: dt.date, days_ahead: int = 7) -> list[dict]:
    """Return the Coordinator's briefings due within ``days_ahead`` days or overdue, not yet given.

    The monthly information to the Minister on each month of the plan, and the next note to the
    Council. Overdue ones are shown for 31 days, like the e-mail reminders. Nobody but the
    Coordinator's office gets any.
    """
    from nrm.actionplan.services import council_next_due

    if actionplan_institution_ids(user, PlanAction.REVIEW) is not None:
        return []
    lo, hi = today - dt.timedelta(days=31), today + dt.timedelta(days=days_ahead)
    briefed = set(plan.briefings.filter(kind=BriefingKind.MINISTER).values_list("period_start", flat=True))
    out = []
    for p in months(plan.starts_on, plan.ends_on):
        due = minister_due_date(p.year, p.month)
        if lo <= due <= hi and p.start not in briefed and p.end < today:
            out.append({"kind": BriefingKind.MINISTER, "period": p, "due_on": due, "overdue": due < today})
    council = council_next_due(plan)
    if lo <= council <= hi and council <= plan.ends_on + dt.timedelta(days=plan.council_interval_days):
        out.append({"kind": BriefingKind.COUNCIL, "period": None, "due_on": council, "overdue": council < today})
    return out


def annual_summary(user: User, plan: ActionPlan, *, year: int) -> dict:
    """Return the consolidated annual report of ``year`` as far as ``user`` may see.

    Per objective and activity: the responsible institutions, each one's latest progress, what
    was done, indicator values and problems; money planned for the year and reported spent; the
    current evaluation. Then the reporting rates of the year's monthly reports and the budget
    planned against spent per institution. A fixed number of queries.
    """
    period = Period(year)
    names = metrics.institution_names(plan)
    responsible = responsibilities(user, plan)
    latest = latest_entries(user, plan, year=year)
    wanted = visible_institutions(user)
    spent: dict[int, dict[str, object]] = {}
    money = (
        restrict(ReportEntry.objects.all(), user, PlanAction.VIEW)
        .filter(
            report__plan=plan,
            report__year=year,
            report__kind=ReportKind.MONTHLY,
            report__status__in=RECEIVED_STATES,
            money_spent__isnull=False,
        )
        .values_list("activity_id", "currency", "money_spent")
    )
    for activity_id, currency, amount in money:
        bucket = spent.setdefault(activity_id, {})
        bucket[currency] = bucket.get(currency, 0) + amount
    planned: dict[int, dict[str, object]] = {}
    resources = Resource.objects.filter(
        activity__plan=plan, year=year, amount__isnull=False, suspected_duplicate=False
    ).values_list("activity_id", "currency", "amount", "institution__organisation_id")
    for activity_id, currency, amount, org in resources:
        if wanted is not None and org not in wanted:
            continue
        bucket = planned.setdefault(activity_id, {})
        bucket[currency] = bucket.get(currency, 0) + amount
    ratings = {e.activity_id: e for e in evaluation_list(user, plan, year=year, current=True)}
    indicator_text = {}
    objectives = []
    for objective in Objective.objects.filter(plan=plan).prefetch_related(
        Prefetch(
            "activities",
            queryset=Activity.objects.filter(active_from__lte=period.end, active_until__gte=period.start)
            .prefetch_related(Prefetch("indicators", queryset=Indicator.objects.order_by("order")))
            .order_by("order"),
        )
    ):
        rows = []
        for activity in objective.activities.all():
            if activity.pk not in responsible:
                continue
            for i in activity.indicators.all():
                indicator_text[i.pk] = i.text
            institutions = []
            for org in sorted(responsible[activity.pk], key=lambda o: names.get(o, "")):
                entry = latest.get((activity.pk, org))
                institutions.append(
                    {
                        "name": names.get(org, str(org)),
                        "entry": entry,
                        "period": entry.report.period.label if entry else "",
                        "values": [(indicator_text.get(v.indicator_id, ""), v.value) for v in entry.values.all()]
                        if entry
                        else [],
                    }
                )
            rows.append(
                {
                    "activity": activity,
                    "institutions": institutions,
                    "planned": sorted(planned.get(activity.pk, {}).items()),
                    "spent": sorted(spent.get(activity.pk, {}).items()),
                    "evaluation": ratings.get(activity.pk),
                }
            )
        if rows:
            objectives.append({"objective": objective, "activities": rows})
    cells = reporting_grid(user, plan, metrics.periods_of(plan, ReportKind.MONTHLY, year))
    rate_rows, total = metrics.rates(cells)
    annual_cells = reporting_grid(user, plan, [period])
    return {
        "plan": plan,
        "year": year,
        "objectives": objectives,
        "rates": rate_rows,
        "total": total,
        "annual": [c for c in annual_cells if c.expected or c.report_id],
        "budget": budget_execution(user, plan, year=year),
    }


def my_reporting(user: User, plan: ActionPlan, periods: list[Period]) -> list[metrics.Cell]:
    """Return the cells of the institutions ``user`` reports for: what is expected of them and what they sent."""
    mine = actionplan_institution_ids(user, PlanAction.EDIT) or []
    if not mine:
        return []
    return metrics.reporting_cells(plan, periods, institutions=mine)


def reports_due(user: User, plan: ActionPlan, *, today: dt.date, days_ahead: int = 31) -> list[metrics.Cell]:
    """Return the reports of ``user``'s institutions falling due within ``days_ahead`` days and not received.

    Only periods already begun count: a report cannot be written before its month starts.
    """
    hi = today + dt.timedelta(days=days_ahead)
    periods = [p for p in metrics.periods_of_plan(plan) if today <= p.due(plan) <= hi and p.start <= today]
    if not periods:
        return []
    cells = my_reporting(user, plan, periods)
    return sorted((c for c in cells if c.expected and not c.received), key=lambda c: (c.due_on, c.institution))


def objectives_for_year(plan: ActionPlan, year: int) -> QuerySet[Objective]:
    """Return the plan's objectives with the activities whose deadline window covers ``year``."""
    period = Period(year)
    activities = Activity.objects.filter(active_from__lte=period.end, active_until__gte=period.start).order_by("order")
    return (
        Objective.objects.filter(plan=plan, activities__in=activities)
        .distinct()
        .prefetch_related(Prefetch("activities", queryset=activities))
        .order_by("order")
    )


def briefing_get(user: User, pk: int) -> Briefing:
    """Return one of the Coordinator's briefings; for anyone else, or a missing one, raise NotFound."""
    return get_or_deny(
        Briefing.objects.select_related("plan", "created_by"),
        user,
        PlanAction.REVIEW,
        object_type="actionplan_briefing",
        audit_action="actionplan.briefing.view",
        pk=pk,
    )
