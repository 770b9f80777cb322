"""The access rules of proceedings and their parts (registered from ``JusticeConfig.ready``).

Which organisations are justice organisations, and the roles acting there, are in
``accounts.access`` (``justice_organisations``): the rules here are written on them.
"""

from __future__ import annotations

from django.db.models import Q

from nrm.accounts.access import Action, JusticeAction, justice_organisations, register_rule, through
from nrm.accounts.models import User
from nrm.cases.access import case_filter, on_case
from nrm.justice.models import (
    Charge,
    Defendant,
    Proceeding,
    ProceedingAsset,
    ProceedingShare,
    ProceedingVictim,
    Verdict,
)


def proceeding_filter(user: User, action: JusticeAction = JusticeAction.VIEW, prefix: str = "") -> Q:
    """Return the Q selecting the proceedings ``user`` may ``action``; ``prefix`` reaches one through a relation.

    The owner's staff may view, edit and share; the staff of an organisation it was shared with
    may view and edit. A proceeding outside the filter does not exist for the user: callers
    answer 404.
    """
    orgs = justice_organisations(user, action)
    if not orgs:
        return Q(**{f"{prefix}pk__in": []})
    q = Q(**{f"{prefix}owner__in": orgs})
    if action != JusticeAction.SHARE:
        shared = ProceedingShare.objects.filter(organisation__in=orgs).values("proceeding_id")
        q |= Q(**{f"{prefix}pk__in": shared})
    return q


def proceeding_victim_filter(user: User, prefix: str = "") -> Q:
    """Return the Q selecting the victims' parts of proceedings ``user`` may see.

    A justice organisation sees every victim of its proceedings; anyone else sees the part of a
    victim whose case they may view, by the case rule (``cases.access.case_filter``), and no
    other part of the proceeding.
    """
    return proceeding_filter(user, JusticeAction.VIEW, prefix=f"{prefix}proceeding__") | on_case(
        case_filter(user, Action.VIEW, one=True), field=f"{prefix}case"
    )


def proceeding_rule(user: User, action: JusticeAction) -> Q:
    return proceeding_filter(user, action)


def proceeding_victim_rule(user: User, action: JusticeAction) -> Q:
    """A victim's part: seen as :func:`proceeding_victim_filter`; edited as its proceeding."""
    if JusticeAction(action) == JusticeAction.VIEW:
        return proceeding_victim_filter(user)
    return proceeding_filter(user, action, prefix="proceeding__")


register_rule(Proceeding, proceeding_rule)
register_rule(ProceedingVictim, proceeding_victim_rule)
register_rule(ProceedingShare, through(proceeding_filter, "proceeding__"))
register_rule(Defendant, through(proceeding_filter, "proceeding__"))
register_rule(Charge, through(proceeding_filter, "defendant__proceeding__"))
register_rule(Verdict, through(proceeding_filter, "charge__defendant__proceeding__"))
register_rule(ProceedingAsset, through(proceeding_filter, "proceeding__"))
