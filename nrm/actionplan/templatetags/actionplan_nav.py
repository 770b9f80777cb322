"""The action-plan links of the main navigation: for the Coordinator's office and focal points only."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.accounts.access import PlanAction, actionplan_institution_ids

register = template.Library()


@register.simple_tag(takes_context=True)
def actionplan_nav_items(context) -> list[dict]:
    """Return the action-plan links the signed-in user's role calls for (none for other roles)."""
    request = getattr(context, "request", None) or context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    coordinator = actionplan_institution_ids(user, PlanAction.REVIEW) is None
    if coordinator:
        links = [
            ("actionplan:dashboard", _("Action plan"), None),
            ("actionplan:report_list", _("Plan reports"), "/actionplan/reports/"),
            ("actionplan:evaluation", _("Evaluation"), "/actionplan/evaluation/"),
            ("actionplan:briefing_list", _("Briefings"), "/actionplan/briefings/"),
        ]
    elif actionplan_institution_ids(user, PlanAction.EDIT):
        links = [
            ("actionplan:report_list", _("My plan reports"), "/actionplan/reports/"),
            ("actionplan:dashboard", _("Action plan"), None),
        ]
    else:
        return []
    path = request.path
    items = []
    for name, label, prefix in links:
        url = reverse(name)
        items.append({"url": url, "label": label, "current": path.startswith(prefix) if prefix else path == url})
    return items
