"""The action plan's daily reminders: reports overdue or falling due, for each focal point.

Registered with ``nrm.tasks.reminders.register_reminders``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from nrm.accounts.choices import Role
from nrm.accounts.models import User
from nrm.actionplan import selectors
from nrm.tasks.choices import ReminderTopic
from nrm.tasks.reminders import Due


def reports_due(on: dt.date) -> list[Due]:
    """Action-plan reports overdue or falling due within ``NRM_REMINDER_REPORT_DAYS``, for each focal point."""
    plan = selectors.plan_current(today=on)
    if plan is None:
        return []
    found: dict[str, tuple[object, set[int]]] = {}
    for user in User.objects.filter(
        is_active=True, memberships__role=Role.REPORTER, memberships__is_active=True
    ).distinct():
        cells = selectors.overdue_list(user, plan, today=on) + selectors.reports_due(
            user, plan, today=on, days_ahead=settings.NRM_REMINDER_REPORT_DAYS
        )
        for cell in cells:
            key = f"report:{cell.organisation_id}:{cell.period.label}"
            found.setdefault(key, (cell, set()))[1].add(user.pk)
    return [
        Due(
            key,
            ReminderTopic.REPORT_DUE,
            "actionplan_plan",
            plan.pk,
            cell.period.label,
            cell.due_on,
            tuple(sorted(users)),
        )
        for key, (cell, users) in sorted(found.items())
    ]
