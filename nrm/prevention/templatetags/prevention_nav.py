"""The prevention link of the main navigation: for anyone who may read prevention records."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.prevention.selectors import may_view

register = template.Library()


@register.simple_tag(takes_context=True)
def prevention_nav_items(context) -> list[dict]:
    """Return the prevention links the signed-in user's role calls for (none for other roles)."""
    request = getattr(context, "request", None) or context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not may_view(user):
        return []
    url = reverse("prevention:index")
    return [{"url": url, "label": _("Prevention"), "current": request.path.startswith(url)}]
