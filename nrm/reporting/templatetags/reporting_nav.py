"""The statistics link of the main navigation: for coordinators and analysts."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.accounts.access import roles
from nrm.accounts.choices import Role

register = template.Library()
NAV_ROLES = {Role.COORDINATOR, Role.ANALYST}


@register.simple_tag(takes_context=True)
def reporting_nav_items(context) -> list[dict]:
    """Return the statistics link if the signed-in user is a coordinator or an analyst."""
    request = getattr(context, "request", None) or context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not roles(user) & NAV_ROLES:
        return []
    url = reverse("reporting:index")
    return [{"url": url, "label": _("Statistics"), "current": request.path.startswith(url)}]
