"""What tasks put on the home page of everyone in case work: their open tasks, overdue first."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.accounts.choices import CASE_ROLES
from nrm.accounts.models import User
from nrm.tasks import selectors
from nrm.web.home import ROWS, Block, register_home_blocks


def task_blocks(user: User, today: dt.date) -> list[Block]:
    """The user's open tasks (theirs, or their organisation's and nobody's), overdue first."""
    tasks = selectors.my_tasks(user)
    rows = [
        {
            "label": f"{t.case.reference}: {t.get_kind_display()}",
            "url": reverse("tasks:task_detail", args=[t.pk]),
            "due_on": t.due_on,
            "days": (today - t.due_on).days,
        }
        for t in tasks[:ROWS]
    ]
    count = tasks.count()
    overdue = tasks.filter(due_on__lt=today).exists() if count else False
    return [
        Block(
            "tasks",
            _("My open tasks"),
            count,
            reverse("tasks:task_list"),
            _("My tasks"),
            rows=rows,
            warn=overdue,
            empty=_("No open task."),
        )
    ]


register_home_blocks(40, lambda user, held: bool(held & CASE_ROLES), task_blocks)
