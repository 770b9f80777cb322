"""Kinds and states of tasks and notifications."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskKind(models.TextChoices):
    SERVICE_DUE = "service_due", _("Assistance-plan service due")
    REFERRAL_ANSWER = "referral_answer", _("Referral answer due")
    FOLLOW_UP = "follow_up", _("Follow-up")
    OTHER = "other", _("Other")


# Kinds a person creates by hand; the others are created by the services that create what is due.
MANUAL_KINDS = (TaskKind.FOLLOW_UP, TaskKind.OTHER, TaskKind.SERVICE_DUE)


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class NotificationKind(models.TextChoices):
    REFERRAL_ACCEPTED = "referral_accepted", _("Referral accepted")
    REFERRAL_DECLINED = "referral_declined", _("Referral declined")
    DECISION_MADE = "decision_made", _("Identification decision made")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
    ALERT_RAISED = "alert_raised", _("Early-warning alert raised")
    TASK_ASSIGNED = "task_assigned", _("Task assigned to you")
    REMINDER = "reminder", _("Reminder")
    MERGE_REQUESTED = "merge_requested", _("Merge of a duplicate asked for")
    MERGE_DONE = "merge_done", _("Duplicate cases merged")
    MERGE_DECLINED = "merge_declined", _("Merge of a duplicate declined or withdrawn")


class ReminderTopic(models.TextChoices):
    """What a reminder is about: a task's kind, an action-plan report or an early-warning alert."""

    SERVICE_DUE = "service_due", _("Assistance-plan service due")
    REFERRAL_ANSWER = "referral_answer", _("Referral answer due")
    FOLLOW_UP = "follow_up", _("Follow-up")
    OTHER = "other", _("Other")
    REPORT_DUE = "report_due", _("Action-plan report due")
    ALERT_OPEN = "alert_open", _("Early-warning alert not yet acknowledged")
