"""Enumerations of strategy and action-plan monitoring, and the report workflow."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeadlineKind(models.TextChoices):
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")
    CONTINUOUS = "continuous", _("Continuous")
    DATE = "date", _("Date")


class FundingSource(models.TextChoices):
    BUDGET = "budget", _("State budget")
    TAIEX = "taiex", _("TAIEX")
    DONORS = "donors", _("Donors")
    IPA = "ipa", _("IPA")
    OTHER = "other", _("Other")
    NONE = "none", _("No costs")


class TaskRole(models.TextChoices):
    RESPONSIBLE = "responsible", _("Responsible")
    PARTNER = "partner", _("Partner")


class BudgetSectionKind(models.TextChoices):
    STRATEGY = "strategy", _("Strategy")
    ACTION_PLAN = "action_plan", _("Action plan")


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly report")
    ANNUAL = "annual", _("Annual report")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for correction")
    ACCEPTED = "accepted", _("Accepted")


S = ReportStatus
# Who may move a report: the institution's "reporter" or the "coordinator". Anything else is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, S.SUBMITTED): "reporter",
    (S.RETURNED, S.SUBMITTED): "reporter",
    (S.SUBMITTED, S.RETURNED): "coordinator",
    (S.SUBMITTED, S.ACCEPTED): "coordinator",
}
# The institution may change a report's content only in these states.
EDITABLE_STATES = (S.DRAFT, S.RETURNED)
# A report counts as received (DHIS2: a completed data set) while in these states.
RECEIVED_STATES = (S.SUBMITTED, S.ACCEPTED)


class Progress(models.TextChoices):
    """How far an activity got in the reporting period."""

    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    DELAYED = "delayed", _("Delayed")


class Rating(models.TextChoices):
    """The annual evaluation's degree of completion of an activity (seed 001, §10.3)."""

    COMPLETED = "completed", _("Completed")
    PARTIALLY_COMPLETED = "partially_completed", _("Partially completed")
    NOT_COMPLETED = "not_completed", _("Not completed")


class BriefingKind(models.TextChoices):
    MINISTER = "minister", _("Monthly information to the Minister")
    COUNCIL = "council", _("Note to the Council")


class ReminderKind(models.TextChoices):
    REPORT = "report", _("Report due")
    MINISTER = "minister", _("Information to the Minister due")
    COUNCIL = "council", _("Note to the Council due")
