"""The justice link of the main navigation: for the staff of police, prosecution and courts only."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.accounts.access import JUSTICE_ORG_TYPES, JUSTICE_ROLES, JusticeAction, org_ids, org_type_codes

register = template.Library()


@register.simple_tag(takes_context=True)
def justice_nav_items(context) -> list[dict]:
    """Return the justice links the signed-in user's role calls for (none for other roles)."""
    request = getattr(context, "request", None) or context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    types = getattr(settings, "NRM_JUSTICE_ORG_TYPES", JUSTICE_ORG_TYPES)
    codes = org_type_codes(user)
    if not any(codes.get(o) in types for o in org_ids(user, JUSTICE_ROLES[JusticeAction.VIEW])):
        return []
    url = reverse("justice:proceeding_list")
    return [{"url": url, "label": _("Proceedings"), "current": request.path.startswith(url)}]
