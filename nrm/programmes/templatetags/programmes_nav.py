"""The programme links of the main navigation: for anyone who may read programmes."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.programmes.selectors import may_read

register = template.Library()


@register.simple_tag(takes_context=True)
def programmes_nav_items(context) -> list[dict]:
    """Return the "Programmes" link for a signed-in user with a role in some organisation."""
    request = getattr(context, "request", None) or context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not may_read(user):
        return []
    url = reverse("programmes:programme_list")
    return [{"url": url, "label": _("Programmes"), "current": request.path.startswith(url)}]
