"""The early-warning link of the main navigation: for anyone taking part in early warning."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.accounts.access import WarningAction, warning_organisations

register = template.Library()


@register.simple_tag(takes_context=True)
def earlywarning_nav_items(context) -> list[dict]:
    """Return the "Early warning" link for users who read early warning in some organisation."""
    request = getattr(context, "request", None) or context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not warning_organisations(user, WarningAction.VIEW):
        return []
    url = reverse("earlywarning:matrix")
    return [{"url": url, "label": _("Early warning"), "current": request.path.startswith(url)}]
