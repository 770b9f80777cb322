"""The access rule of protection measures (registered from ``ProtectionConfig.ready``)."""

from django.db.models import Q

from nrm.accounts.access import Action, owner_organisations, register_rule
from nrm.accounts.models import User
from nrm.cases.access import case_record_rule
from nrm.protection.models import ProtectionMeasures

# Writing is managing the case's protection: the owner's case workers and identifiers.
WRITE = Action.MANAGE


def protection_rule(user: User, action: Action) -> Q:
    """The rule of ``ProtectionMeasures``: read by whoever reads the case; written by the owner's case roles.

    A reflection period, a residence permit or a return is the owner's account of the person's
    status: a receiver reads it to help (a shelter must know when the reflection period ends),
    and asks the owner to correct it.
    """
    if action == Action.VIEW:
        return case_record_rule(user, action)
    return Q(case__owner__in=owner_organisations(user, WRITE))


register_rule(ProtectionMeasures, protection_rule)
