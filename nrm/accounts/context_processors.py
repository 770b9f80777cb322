"""Template context: the signed-in user's organisations and roles."""

from __future__ import annotations

from django.http import HttpRequest

from nrm.accounts.access import memberships_shown, roles


def memberships(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nrm_roles": roles(user), "nrm_memberships": memberships_shown(user)}
