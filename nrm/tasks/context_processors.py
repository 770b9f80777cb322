"""Template context: the count of unread notifications in the page header."""

from __future__ import annotations

from django.http import HttpRequest

from nrm.accounts.access import task_organisations
from nrm.tasks.selectors import unread_count


def notifications(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nrm_unread": unread_count(user), "nrm_has_tasks": bool(task_organisations(user))}
