"""Template context: the signed-in user's organisations and roles."""

from __future__ import annotations

from django.http import HttpRequest

from nrm.accounts.access import org_ids, roles


def memberships(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from nrm.accounts.models import Membership

    return {
        "nrm_roles": roles(user),
        "nrm_memberships": Membership.objects.filter(user=user, is_active=True, organisation_id__in=org_ids(user))
        .select_related("organisation")
        .order_by("organisation__name"),
    }
