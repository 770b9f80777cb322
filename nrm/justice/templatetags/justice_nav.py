"""The justice links of the main navigation: proceedings for justice staff, statistics for them and national readers."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.accounts.access import (
    reads_national_statistics,
    works_in_justice,
)

register = template.Library()


@register.simple_tag(takes_context=True)
def justice_nav_items(context) -> list[dict]:
    """Return the justice links the signed-in user's role calls for (none for other roles)."""
    request = getattr(context, "request", None) or context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    staff = works_in_justice(user)
    stats = reverse("justice:statistics")
    items = []
    if staff:
        url = reverse("justice:proceeding_list")
        current = request.path.startswith(url) and not request.path.startswith(stats)
        items.append({"url": url, "label": _("Proceedings"), "current": current})
    if staff or reads_national_statistics(user):
        items.append({"url": stats, "label": _("Justice statistics"), "current": request.path.startswith(stats)})
    return items
