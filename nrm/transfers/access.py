"""The access rule of transfers (registered from ``TransfersConfig.ready``), and a former owner's reading."""

from django.db.models import Q

from nrm.accounts.access import NOTHING, Action, case_staff_organisations, owner_organisations, register_rule
from nrm.accounts.models import User
from nrm.cases.access import register_history_readers
from nrm.transfers.models import CaseTransfer, TransferStatus


def transfer_organisations(user: User) -> list[int]:
    """Return the organisations in which ``user`` may request or accept transfers of cases.

    Who hands a case over (in the owner) and who accepts it (in the receiver): those who manage cases.
    """
    return owner_organisations(user, Action.MANAGE)


def transfer_rule(user: User, action: Action) -> Q:
    """The rule of ``CaseTransfer``: seen by the case staff of both sides; ``RESPOND`` (accept,
    decline) by the receiver's case managers; ``MANAGE`` (cancel) by the sender's."""
    if action == Action.VIEW:
        orgs = case_staff_organisations(user)
        return Q(from_org__in=orgs) | Q(to_org__in=orgs)
    if action == Action.RESPOND:
        return Q(to_org__in=transfer_organisations(user))
    if action == Action.MANAGE:
        return Q(from_org__in=transfer_organisations(user))
    return NOTHING


def former_owner_filter(user: User) -> Q:
    """Return the Q selecting the records (with an acting ``organisation``) that ``user``'s organisations
    made on cases they have since transferred to another owner: read-only, their own history.

    A transfer moves the case, not the old owner's account of what it did: its case staff keep
    reading those records (the transfer page shows them), never the case itself or its identity.
    """
    q = NOTHING
    for org in case_staff_organisations(user):
        moved = CaseTransfer.objects.filter(from_org=org, status=TransferStatus.ACCEPTED).values("case")
        q |= Q(organisation=org, case__in=moved)
    return q


register_rule(CaseTransfer, transfer_rule)
# Notes, services and decisions an organisation made: after a transfer, the old owner still reads its own.
register_history_readers(former_owner_filter)
