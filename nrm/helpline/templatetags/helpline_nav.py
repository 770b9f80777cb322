"""The helpline links of the main navigation: for helpline staff and national statistics readers only."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.accounts.access import reads_national_statistics, works_at_helpline

register = template.Library()


@register.simple_tag(takes_context=True)
def helpline_nav_items(context) -> list[dict]:
    """Return the helpline links the signed-in user's role calls for (none for other roles)."""
    request = getattr(context, "request", None) or context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    links = []
    if works_at_helpline(user):
        links.append(("helpline:call_list", _("Helpline calls"), "/helpline/calls/"))
    if links or reads_national_statistics(user):
        links.append(("helpline:statistics", _("Helpline statistics"), "/helpline/statistics/"))
    path = request.path
    items = []
    for name, label, prefix in links:
        url = reverse(name)
        items.append({"url": url, "label": label, "current": path == url or path.startswith(prefix)})
    return items
