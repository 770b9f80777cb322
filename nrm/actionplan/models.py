"""Strategies, action plans and their monitoring: reports, evaluations, briefings, budgets.

Generic: any country, any number of strategies and plans. Institutions are
:class:`~nrm.accounts.models.Organisation` rows; :class:`Institution` keeps the name a strategy
gives them. Serbia's Strategy 2017-2022 and Action Plan 2017-2018 are loaded from
``data/rs_strategy_2017_2022.json`` by :func:`nrm.actionplan.services.load_plan`.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nrm.accounts.models import Organisation
from nrm.actionplan.choices import (
    BriefingKind,
    BudgetSectionKind,
    DeadlineKind,
    FundingSource,
    Progress,
    Rating,
    ReminderKind,
    ReportKind,
    ReportStatus,
    TaskRole,
)
from nrm.actionplan.due import Period
from nrm.core.models import TimeStamped, Versioned


class Strategy(TimeStamped):
    """A national strategy against human trafficking: vision, general objective and period.

    ``details`` keeps the parts of the source that are read, not computed on (legal basis
    aside): what it replaces, areas for intervention, preconditions, implementation bodies.
    """

    code = models.SlugField(max_length=60, unique=True)
    country = models.CharField(max_length=2)
    title = models.TextField()
    title_as_printed = models.TextField(blank=True)
    period_start = models.PositiveSmallIntegerField()
    period_end = models.PositiveSmallIntegerField()
    vision = models.TextField(blank=True)
    general_objective = models.TextField(blank=True)
    legal_basis = models.TextField(blank=True)
    adopted_on = models.DateField(null=True, blank=True)
    adoption_reference = models.CharField(max_length=120, blank=True)
    source = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    # Invented for a demonstration (``nrm demo``), never an official document.
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["-period_start", "code"]
        verbose_name_plural = _("strategies")

    def __str__(self) -> str:
        return f"{self.title} {self.period_start}-{self.period_end}"


class StrategyObjective(models.Model):
    """A special objective of a strategy, numbered as in the source (for example 8.1)."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="objectives")
    number = models.CharField(max_length=20)
    title = models.TextField()
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["strategy", "order"]
        constraints = [models.UniqueConstraint(fields=["strategy", "number"], name="ap_strategy_objective_number")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Institution(models.Model):
    """An institution as a strategy names it, linked to the organisation that acts for it.

    ``reports`` is False for collective entries ("line ministries", "partners") that cannot
    submit a report of their own, and for bodies that receive the Coordinator's reports rather
    than report to the Coordinator (the Council: ``receives_reports``); they are never expected
    to. ``working_group`` marks the members the strategy names in its monitoring body (the
    Working Group of Serbia's §10.1): they report on every month and year of a plan, whether or
    not a task names them.
    """

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="institutions")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="actionplan_institutions")
    name = models.CharField(max_length=200)
    aliases = models.JSONField(default=list, blank=True)
    reports = models.BooleanField(default=True)
    working_group = models.BooleanField(default=False)
    receives_reports = models.BooleanField(default=False)

    class Meta:
        ordering = ["strategy", "name"]
        constraints = [models.UniqueConstraint(fields=["strategy", "name"], name="ap_institution_name")]

    def __str__(self) -> str:
        return self.name


class ActionPlan(TimeStamped):
    """An action plan implementing a strategy over some years, with its reporting calendar.

    The calendar is data: the monthly report is due on the ``monthly_due_working_day``-th
    working day of the next month, the annual one on ``annual_due_day``/``annual_due_month``
    of the next year (or the next working day), the Council is briefed at least every
    ``council_interval_days`` days.

    A plan's monitoring closes ``closing_days`` days after its last report (the annual report on
    its final year) falls due: until then a report not received is overdue and chased; after
    it the plan is closed history, and a report never received stays "not received" (it still
    counts against completeness) without being overdue for ever. See :meth:`phase`.
    """

    UPCOMING, RUNNING, FINAL_REPORTS, CLOSED = "upcoming", "running", "final_reports", "closed"

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="plans")
    code = models.SlugField(max_length=60, unique=True)
    title = models.TextField()
    title_as_printed = models.TextField(blank=True)
    period_start = models.PositiveSmallIntegerField()
    period_end = models.PositiveSmallIntegerField()
    currency = models.CharField(max_length=3, blank=True)
    monthly_due_working_day = models.PositiveSmallIntegerField(default=5)
    annual_due_month = models.PositiveSmallIntegerField(default=2)
    annual_due_day = models.PositiveSmallIntegerField(default=15)
    council_interval_days = models.PositiveSmallIntegerField(default=60)
    closing_days = models.PositiveSmallIntegerField(default=90)
    # Invented for a demonstration (``nrm demo``), never an official document.
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["-period_start", "code"]

    def __str__(self) -> str:
        return f"{self.title} {self.period_start}-{self.period_end}"

    @property
    def starts_on(self) -> dt.date:
        return dt.date(self.period_start, 1, 1)

    @property
    def ends_on(self) -> dt.date:
        return dt.date(self.period_end, 12, 31)

    @property
    def closes_on(self) -> dt.date:
        """Return the last day reports of the plan are chased: its final report's due date plus ``closing_days``."""
        return Period(self.period_end).due(self) + dt.timedelta(days=self.closing_days)

    def phase(self, today: dt.date) -> str:
        """Return where the plan stands on ``today``: upcoming, running, final reports, or closed."""
        if today < self.starts_on:
            return self.UPCOMING
        if today <= self.ends_on:
            return self.RUNNING
        if today <= self.closes_on:
            return self.FINAL_REPORTS
        return self.CLOSED

    def is_closed(self, today: dt.date) -> bool:
        return self.phase(today) == self.CLOSED


class Objective(models.Model):
    """An objective of an action plan; it serves one special objective of the strategy."""

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="objectives")
    number = models.CharField(max_length=20)
    title = models.TextField()
    title_raw = models.TextField(blank=True)
    strategy_objective = models.ForeignKey(
        StrategyObjective, null=True, blank=True, on_delete=models.SET_NULL, related_name="plan_objectives"
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan", "order"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="ap_objective_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Activity(models.Model):
    """A measure of an action plan under one objective, carried out through tasks.

    ``active_from``/``active_until`` is the deadline window: from the plan's start to the latest
    deadline. An institution responsible for a task of an activity reports for every period the
    window covers. ``source_notes`` keeps what the source says about itself (raw cells, flags).
    """

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="activities")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="activities")
    number = models.CharField(max_length=20)
    title = models.TextField()
    order = models.PositiveSmallIntegerField(default=0)
    active_from = models.DateField()
    active_until = models.DateField()
    risks = models.JSONField(default=list, blank=True)
    source_notes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["plan", "objective__order", "order"]
        verbose_name_plural = _("activities")
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="ap_activity_number")]
        indexes = [models.Index(fields=["plan", "active_from", "active_until"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def covers(self, period: Period) -> bool:
        """Return True if the deadline window overlaps ``period``."""
        return self.active_from <= period.end and self.active_until >= period.start


class Task(models.Model):
    """A task of an activity, with its responsible institutions and named partners."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="tasks")
    number = models.CharField(max_length=20)
    title = models.TextField()
    order = models.PositiveSmallIntegerField(default=0)
    responsible_text = models.TextField(blank=True)
    unnamed_partners = models.BooleanField(default=False)
    responsible_inferred = models.BooleanField(default=False)
    source_notes = models.JSONField(default=dict, blank=True)
    institutions = models.ManyToManyField(Institution, through="TaskInstitution", related_name="tasks")

    class Meta:
        ordering = ["activity", "order"]
        constraints = [models.UniqueConstraint(fields=["activity", "number"], name="ap_task_number")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class TaskInstitution(models.Model):
    """An institution's part in a task: responsible or partner, in the source's order."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="roles")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="task_roles")
    role = models.CharField(max_length=12, choices=TaskRole.choices)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["task", "role", "order"]
        constraints = [models.UniqueConstraint(fields=["task", "institution", "role"], name="ap_task_institution_role")]

    def __str__(self) -> str:
        return f"{self.task.number} {self.role}: {self.institution}"


class Indicator(models.Model):
    """An indicator of an objective (``activity`` empty) or of one of its activities.

    Activity indicators get values in the institutions' reports.
    """

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="indicators")
    activity = models.ForeignKey(Activity, null=True, blank=True, on_delete=models.CASCADE, related_name="indicators")
    text = models.TextField()
    baseline = models.CharField(max_length=200, blank=True)
    target = models.CharField(max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["objective", "activity", "order"]

    def __str__(self) -> str:
        return self.text


class Deadline(models.Model):
    """When an activity is due: a quarter of a year, a year, a date, or continuously until a year's end."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(max_length=12, choices=DeadlineKind.choices)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    quarter = models.PositiveSmallIntegerField(null=True, blank=True)
    on = models.DateField(null=True, blank=True)
    text = models.CharField(max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["activity", "order"]

    def __str__(self) -> str:
        return self.text or self.kind

    def ends_on(self, plan: ActionPlan) -> dt.date:
        """Return the last day the deadline allows; continuous without a year runs to the plan's end."""
        if self.kind == DeadlineKind.DATE and self.on:
            return self.on
        if self.kind == DeadlineKind.QUARTER and self.year and self.quarter:
            return Period(self.year, self.quarter * 3).end
        if self.year:
            return dt.date(self.year, 12, 31)
        return plan.ends_on


class Resource(models.Model):
    """Means planned for an activity: an amount with currency and year, or a statement ("no costs").

    ``suspected_duplicate`` marks repeats the source seems to print by mistake; they are kept
    for the record and left out of every sum.
    """

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="resources")
    tasks = models.ManyToManyField(Task, blank=True, related_name="resources")
    text = models.TextField()
    label = models.CharField(max_length=300, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    funding_source = models.CharField(max_length=10, choices=FundingSource.choices)
    institution = models.ForeignKey(
        Institution, null=True, blank=True, on_delete=models.PROTECT, related_name="resources"
    )
    suspected_duplicate = models.BooleanField(default=False)
    assignment_ambiguous = models.BooleanField(default=False)
    reconstructed = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["activity", "order"]

    def __str__(self) -> str:
        return self.text


class BudgetSection(models.Model):
    """A budget table of a strategy (``plan`` empty) or of an action plan: seed 001, §11."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="budget_sections")
    plan = models.ForeignKey(ActionPlan, null=True, blank=True, on_delete=models.CASCADE, related_name="budget")
    section = models.CharField(max_length=12, choices=BudgetSectionKind.choices)
    currency = models.CharField(max_length=3)
    years = models.JSONField(default=list)
    funding_sources = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    without_expenditures = models.ManyToManyField(Institution, blank=True, related_name="+")

    class Meta:
        ordering = ["strategy", "section"]
        constraints = [
            models.UniqueConstraint(
                fields=["strategy"], condition=Q(plan__isnull=True), name="ap_budget_one_strategy_section"
            ),
            models.UniqueConstraint(
                fields=["plan"], condition=Q(plan__isnull=False), name="ap_budget_one_plan_section"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.strategy.code} {self.section}"


class BudgetLine(models.Model):
    """A planned amount for one institution and year in a budget section."""

    section = models.ForeignKey(BudgetSection, on_delete=models.CASCADE, related_name="lines")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="budget_lines")
    year = models.PositiveSmallIntegerField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    amount_text = models.CharField(max_length=40, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["section", "order"]
        constraints = [
            models.UniqueConstraint(fields=["section", "institution", "year"], name="ap_budget_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.institution} {self.year}: {self.amount} {self.currency}"


class Report(TimeStamped, Versioned):
    """An institution's monthly (``month`` 1-12) or annual (``month`` 0) report on its activities.

    Drafted and submitted by the institution's reporting focal point, then accepted or returned
    for correction by the Coordinator. ``is_late`` is fixed at the first submission: a report
    submitted after ``due_on`` is accepted all the same, and stays recorded as late.
    """

    plan = models.ForeignKey(ActionPlan, on_delete=models.PROTECT, related_name="reports")
    institution = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="actionplan_reports")
    kind = models.CharField(max_length=10, choices=ReportKind.choices)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    due_on = models.DateField()
    summary = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_late = models.BooleanField(default=False)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-year", "-month", "institution__name"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "institution", "kind", "year", "month"], name="ap_report_once"),
            models.CheckConstraint(
                condition=(
                    Q(kind=ReportKind.ANNUAL, month=0) | Q(kind=ReportKind.MONTHLY, month__gte=1, month__lte=12)
                ),
                name="ap_report_month_fits_kind",
            ),
        ]
        indexes = [models.Index(fields=["plan", "kind", "year", "month", "status"])]

    def __str__(self) -> str:
        return f"{self.institution} {self.period}"

    @property
    def period(self) -> Period:
        return Period(self.year, self.month)


class ReportEntry(models.Model):
    """What a report says about one activity: progress, work done, money spent, problems."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="entries")
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="report_entries")
    progress = models.CharField(max_length=12, choices=Progress.choices, blank=True)
    done = models.TextField(blank=True)
    money_spent = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    funding_source = models.CharField(max_length=10, choices=FundingSource.choices, blank=True)
    problems = models.TextField(blank=True)

    class Meta:
        ordering = ["report", "activity__objective__order", "activity__order"]
        verbose_name_plural = _("report entries")
        constraints = [models.UniqueConstraint(fields=["report", "activity"], name="ap_entry_once")]

    def __str__(self) -> str:
        return f"{self.report} {self.activity.number}"


class IndicatorValue(models.Model):
    """A reported value of one activity indicator: a number or a short statement."""

    entry = models.ForeignKey(ReportEntry, on_delete=models.CASCADE, related_name="values")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="values")
    value = models.CharField(max_length=300)

    class Meta:
        ordering = ["entry", "indicator__order"]
        constraints = [models.UniqueConstraint(fields=["entry", "indicator"], name="ap_indicator_value_once")]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.value}"


class ReportTransition(models.Model):
    """One step of a report's history: who moved it between which states, when and why."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=10, choices=ReportStatus.choices)
    to_status = models.CharField(max_length=10, choices=ReportStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["report", "pk"]

    def __str__(self) -> str:
        return f"{self.report}: {self.from_status} -> {self.to_status}"


class Evaluation(models.Model):
    """The Coordinator's rating of an activity for a year.

    A new rating is a new row; the newest is current and the older ones are its history.
    """

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="evaluations")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="evaluations")
    year = models.PositiveSmallIntegerField()
    rating = models.CharField(max_length=20, choices=Rating.choices)
    comments = models.TextField(blank=True)
    evaluated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    evaluated_at = models.DateTimeField()

    class Meta:
        ordering = ["activity", "year", "-evaluated_at", "-pk"]
        indexes = [models.Index(fields=["plan", "year", "activity"])]

    def __str__(self) -> str:
        return f"{self.activity.number} {self.year}: {self.rating}"


class Briefing(models.Model):
    """The Coordinator's consolidated information, generated from the reports.

    Monthly to the Minister (one month), and to the Council at least every 60 days (the months
    since the previous note).
    """

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="briefings")
    kind = models.CharField(max_length=10, choices=BriefingKind.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    due_on = models.DateField()
    content = models.JSONField(default=dict)
    text = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["plan", "kind", "-period_end", "-created_at"]
        indexes = [models.Index(fields=["plan", "kind", "period_end"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start}..{self.period_end}"


class Reminder(models.Model):
    """An e-mail reminder about a due or overdue report or briefing; at most one a day per subject."""

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=ReminderKind.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=10)
    due_on = models.DateField()
    sent_on = models.DateField()
    recipients = models.JSONField(default=list)

    class Meta:
        ordering = ["-sent_on", "plan", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "kind", "organisation", "period", "sent_on"], name="ap_reminder_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period} to {self.organisation} on {self.sent_on}"
