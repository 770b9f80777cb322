"""Reads of tasks and notifications, each starting from the access rule."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case as Choice
from django.db.models import Count, IntegerField, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from nrm.accounts.access import (
    Action,
    case_workers,
    get_or_deny,
    member_organisations,
    membership_extra,
    restrict,
    task_organisations,
)
from nrm.accounts.models import User
from nrm.tasks.choices import TaskStatus
from nrm.tasks.models import Notification, Task


def task_list(user: User, *, case=None, status: str | None = TaskStatus.OPEN) -> QuerySet:
    """Return the tasks ``user`` may see (of one case, if given), overdue first, then by due date."""
    today = timezone.localdate()
    qs = restrict(Task.objects.all(), user, Action.VIEW)
    if case is not None:
        qs = qs.filter(case=case)
    if status:
        qs = qs.filter(status=status)
    return (
        qs.select_related("case", "organisation", "assigned_to")
        .annotate(late=Choice(When(due_on__lt=today, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("late", "due_on", "pk")
    )


def my_tasks(user: User, *, status: str | None = TaskStatus.OPEN) -> QuerySet:
    """Return the caller's tasks: assigned to them, or to one of their organisations and nobody in it."""
    mine = Q(assigned_to=user) | Q(assigned_to__isnull=True, organisation__in=task_organisations(user))
    return task_list(user, status=status).filter(mine)


def task_get(user: User, pk: int, *, action: Action = Action.VIEW, audit_action: str = "") -> Task:
    """Return one task ``user`` may ``action``, or raise NotFound (an audited denial)."""
    return get_or_deny(
        Task.objects.select_related("case", "organisation", "assigned_to"),
        user,
        action,
        object_type="task",
        audit_action=audit_action or ("task.view" if action == Action.VIEW else "task.close"),
        pk=pk,
    )


def task_assignees(task: Task) -> QuerySet:
    """Return who ``task`` may be given to: the case workers of the organisation it is for, by username."""
    return case_workers(task.organisation_id).order_by("username")


def may_reassign(user: User, task: Task) -> bool:
    """Return True if ``user`` may give ``task`` to someone else (its organisation's case worker who may change it)."""
    return (
        task.organisation_id in task_organisations(user)
        and restrict(Task.objects.filter(pk=task.pk), user, Action.MANAGE).exists()
    )


def title_shown(user: User, task: Task) -> str:
    """A task's title is free text (it may name someone): shown to its organisation and the case's owner only."""
    orgs = member_organisations(user)
    return task.title if task.organisation_id in orgs or task.case.owner_id in orgs else ""


def is_overdue(task: Task, today: dt.date | None = None) -> bool:
    return task.status == TaskStatus.OPEN and task.due_on < (today or timezone.localdate())


def notification_list(user: User, *, unread: bool | None = None) -> QuerySet:
    """Return ``user``'s notifications, newest first (``unread``: only those not read, or only read)."""
    qs = restrict(Notification.objects.all(), user)
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    return qs


def notification_get(user: User, pk: int) -> Notification:
    return get_or_deny(
        Notification.objects.all(), user, "view", object_type="notification", audit_action="notification.view", pk=pk
    )


def unread_expression(user_id: int) -> Subquery:
    """The number of ``user_id``'s unread notifications, as an expression (see ``TasksConfig.ready``)."""
    unread = (
        Notification.objects.filter(recipient_id=user_id, read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(unread, output_field=IntegerField()), Value(0))


def unread_count(user: User) -> int:
    """The header's count: loaded with the user's memberships (no query of its own), else counted."""
    known = membership_extra(user, "unread_notifications")
    if known is not None:
        return known
    return notification_list(user, unread=True).count()


# Where a notification's record is seen: by its kind of record.
LINKS = {
    "case": "/cases/{id}/",
    "referral": "/referrals/{id}/",
    "task": "/tasks/{id}/",
    "warning_alert": "/early-warning/alerts/{id}/",
    "actionplan_plan": "/actionplan/reports/?plan={id}",
    "person_link": "/duplicates/",  # the probable duplicates of the reader's cases, merges asked for among them
}


def record_url(notification: Notification) -> str:
    return LINKS.get(notification.object_type, "/").format(id=notification.object_id)
