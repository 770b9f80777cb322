"""The access rule of referrals (registered from ``ReferralsConfig.ready``)."""

from django.db.models import Q

from nrm.accounts.access import (
    Action,
    acting_organisations,
    case_staff_organisations,
    receiver_organisations,
    register_rule,
)
from nrm.accounts.models import User
from nrm.referrals.models import Referral


def referral_rule(user: User, action: Action) -> Q:
    """The rule of ``Referral``: also visible to its sender and receiver organisations."""
    if action == Action.RESPOND:
        return Q(to_org__in=receiver_organisations(user, Action.RESPOND))
    if action == Action.VIEW:
        orgs = case_staff_organisations(user)
        return Q(from_org__in=orgs) | Q(to_org__in=orgs)
    return Q(from_org__in=acting_organisations(user, action))


register_rule(Referral, referral_rule)
