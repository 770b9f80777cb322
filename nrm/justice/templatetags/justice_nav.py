"""The justice links of the main navigation: proceedings for justice staff, statistics for them and national readers."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.accounts.access import (
    JUSTICE_ROLES,
    JusticeAction,
    org_ids,
    org_type_codes,
    reads_national_statistics,
)

register = template.Library()


@register.simple_tag(takes_context=True)
def justice_nav_items(context) -> list[dict]:
    """Return the justice links the signed-in user's role calls for (none for other roles)."""
    request = getattr(context, "request", None) or context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    types = settings.NRM_JUSTICE_ORG_TYPES
    codes = org_type_codes(user)
    staff = any(codes.get(o) in types for o in org_ids(user, JUSTICE_ROLES[JusticeAction.VIEW]))
    stats = reverse("justice:statistics")
    items = []
    if staff:
        url = reverse("justice:proceeding_list")
        current = request.path.startswith(url) and not request.path.startswith(stats)
        items.append({"url": url, "label": _("Proceedings"), "current": current})
    if staff or reads_national_statistics(user):
        items.append({"url": stats, "label": _("Justice statistics"), "current": request.path.startswith(stats)})
    return items
