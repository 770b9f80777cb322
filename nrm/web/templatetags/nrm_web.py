"""Template helpers of the web pages: the navigation by role."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.accounts import access
from nrm.accounts.access import Action, owner_organisations
from nrm.accounts.choices import CASE_ROLES, Role

register = template.Library()


@register.inclusion_tag("web/_nav.html", takes_context=True)
def nrm_nav(context) -> dict:
    """Return the main navigation links the signed-in user's roles call for."""
    request = context["request"]
    user = request.user
    # (URL name, label, the path prefix of the section the link stands for)
    links = [("web:home", _("My tasks"), "/")]
    if access.has_role(user, *CASE_ROLES):
        if owner_organisations(user, Action.SCREEN):
            links.append(("web:screening_new", _("Screen"), "/screenings/"))
        links += [
            ("web:case_list", _("Cases"), "/cases/"),
            ("web:referral_inbox", _("Inbox"), "/referrals/in/"),
            ("web:referral_outbox", _("Sent"), "/referrals/out/"),
        ]
    links.append(("web:directory", _("Services"), "/directory/"))
    path = request.path
    # The menu's template sees only this dict, not the page's context: it is told here whether to link
    # Administration (last, after the other apps' links).
    admin = access.has_role(user, Role.ADMIN)
    return {
        "administration": {"url": reverse("administration:index"), "current": path.startswith("/administration/")}
        if admin
        else None,
        "items": [
            {
                "url": reverse(name),
                "label": label,
                "current": path == prefix if prefix == "/" else path.startswith(prefix),
            }
            for name, label, prefix in links
        ],
    }
