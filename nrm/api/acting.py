"""Which organisation an API caller acts for, when a write names one (or leaves it to them)."""

from __future__ import annotations

from collections.abc import Iterable

from rest_framework import serializers

from nrm.accounts.access import member_organisations
from nrm.accounts.models import Organisation, User

CHOOSE = "Choose the organisation you act for."
NOT_MEMBER = "You are not a member of this organisation."


def acting_organisation(
    user: User,
    pk: int | None,
    allowed: Iterable[int] | None = None,
    *,
    field: str = "organisation",
    choose: str = CHOOSE,
    refuse: str | None = NOT_MEMBER,
) -> Organisation | None:
    """Return the organisation ``user`` acts for: ``pk``, else their only one among ``allowed``.

    ``allowed`` holds the ids of the organisations the caller may act for in this write (an
    app's ``*_org_ids``); by default every organisation where they hold an active role. With no
    ``pk`` and not exactly one allowed organisation, raise a ValidationError naming ``field``
    with ``choose``. A ``pk`` outside ``allowed`` raises ``refuse`` on ``field``; with
    ``refuse=None`` it comes back as None, for services that refuse it themselves and audit.
    """
    mine = list(member_organisations(user) if allowed is None else allowed)
    if pk is None:
        if len(mine) == 1:
            return Organisation.objects.get(pk=mine[0])
        raise serializers.ValidationError({field: [choose]})
    if pk not in mine:
        if refuse is None:
            return None
        raise serializers.ValidationError({field: [refuse]})
    return Organisation.objects.get(pk=pk)
