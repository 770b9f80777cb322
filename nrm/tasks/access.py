"""The access rules of tasks and notifications (registered from ``TasksConfig.ready``).

A task on a case is seen by whoever may see the case. A referral's answer-due task is also
seen by the receiver it is for, which sees the referral (and only it) before accepting it.
A task is changed (closed, reassigned) by those who manage the case or record its services,
and by the receiver that must answer the referral. A notification is its recipient's alone.
"""

from __future__ import annotations

from django.db.models import Q

from nrm.accounts.access import (
    Action,
    case_staff_organisations,
    notification_rule,
    receiver_organisations,
    register_rule,
)
from nrm.accounts.models import User
from nrm.cases.access import case_filter, on_case
from nrm.tasks.models import Notification, Task


def task_rule(user: User, action: Action = Action.VIEW) -> Q:
    """The rule of ``Task``: the case's rule, plus a referral's answer task for its receiver's staff."""
    if action == Action.VIEW:
        cases, receiver = case_filter(user, Action.VIEW, one=True), case_staff_organisations(user)
    else:
        cases = case_filter(user, Action.MANAGE, one=True) | case_filter(user, Action.RECORD_SERVICE, one=True)
        receiver = receiver_organisations(user, Action.RESPOND)
    q = on_case(cases)
    if receiver:
        q |= Q(referral__isnull=False, referral__to_org__in=receiver, organisation__in=receiver)
    return q


register_rule(Task, task_rule)
register_rule(Notification, notification_rule)
