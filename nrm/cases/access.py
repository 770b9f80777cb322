"""The access rules of cases and of what hangs on a case (registered from ``CasesConfig.ready``).

A user sees the cases of the organisations where their role allows the action
(``accounts.access.OWNER_ROLES``) and the cases shared with those organisations by an active
referral (``RECEIVER_ROLES``). The records of a case follow the case's rule. Other apps write
their own rules on these (``case_record_rule``, ``on_case``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from nrm.accounts.access import (
    Action,
    identification_authorities,
    identity_organisations,
    member_organisations,
    owner_organisations,
    receiver_organisations,
    register_rule,
)
from nrm.accounts.models import User
from nrm.cases.models import Case, CaseFlag, CaseNote, Consent, Episode, Identification, Screening, ServiceDelivery
from nrm.core.jsonrows import values_expression, values_rows
from nrm.referrals.choices import ACTIVE_STATES
from nrm.referrals.models import Referral


def case_filter(user: User, action: Action, *, one: bool = False) -> Q:
    """Return the Q selecting cases ``user`` may ``action``.

    ``one``: the same cases, written for a query that pins the case (one case by its id, or the
    case of each record, :func:`on_case`): the referrals that share it are then looked up by
    the case, not listed for the receiver first.
    """
    owner = owner_organisations(user, action)
    receiver = receiver_organisations(user, action)
    if action == Action.IDENTIFY:
        owner, receiver = identification_authorities(user, owner), identification_authorities(user, receiver)
    q = Q(pk__in=[])
    if owner:
        q |= Q(owner__in=owner)
    if receiver:
        shared = Referral.objects.filter(to_org__in=receiver, status__in=ACTIVE_STATES)
        if one:
            # Each case's own referrals (their index on the case). Listed for the receiver
            # first, the identification centre's 40,000 shared cases were read into a list on
            # every read of one case (118 ms a read on SQLite, 40,000 cases).
            q |= Q(Exists(shared.filter(case=OuterRef("pk"))))
        else:
            # A list: the cases shared by an accepted referral, as a subquery on the referrals
            # (their index on the receiver), not a join: a join repeats a case per referral, and
            # removing those repeats made every read list every case its reader may see.
            q |= Q(pk__in=shared.values("case_id"))
    # A case merged into another exists for nobody: its records moved to the survivor, whose
    # history shows the merge (``nrm.exchange.merge``); an administrator's undo brings it back.
    return q & Q(merged_into=None)


def on_case(case_q: Q, field: str = "case") -> Q:
    """Return the Q selecting records whose case (``field``) is one of the cases ``case_q`` selects.

    ``case_q`` is written for one case (``case_filter(..., one=True)``): the records' cases are
    looked up one by one, by id, instead of listing every case the reader may see first.
    """
    return Q(Exists(Case.objects.filter(case_q, pk=OuterRef(field))))


def case_rule(user: User, action: Action) -> Q:
    """The rule of ``Case``: :func:`case_filter` itself (it joins nothing, so no row repeats)."""
    return case_filter(user, action)


def one_case_rule(user: User, action: Action) -> Q:
    """The rule of ``Case`` for reading one case by its id: the same cases (see :func:`case_filter`)."""
    return case_filter(user, action, one=True)


def case_record_rule(user: User, action: Action) -> Q:
    """The rule of a model that points to a case through ``case``: the case's rule."""
    return on_case(case_filter(user, action, one=True))


# Who else reads the records an organisation made on a case (notes, services, decisions): after
# a transfer, the old owner reads its own (``nrm.transfers``). Each app that grants such a
# reading registers ``readers(user) -> Q`` on those records from its ``ready()``.
HistoryReaders = Callable[[User], Q]
_HISTORY_READERS: list[HistoryReaders] = []


def register_history_readers(readers: HistoryReaders) -> None:
    """Let ``readers(user)`` select more records for :func:`case_history_rule`'s reading."""
    if readers not in _HISTORY_READERS:
        _HISTORY_READERS.append(readers)


def case_history_rule(user: User, action: Action) -> Q:
    """The rule of a record an organisation made on a case (note, service, decision): the case's rule,
    and for reading also what the registered history readers select (a former owner's own records)."""
    q = case_record_rule(user, action)
    if action == Action.VIEW:
        for readers in _HISTORY_READERS:
            q |= readers(user)
    return q


def screening_rule(user: User, action: Action) -> Q:
    """The rule of ``Screening``: visible to the screening organisation's screening roles."""
    return Q(organisation__in=owner_organisations(user, Action.SCREEN))


def can_screen(user: User) -> bool:
    """Return True if ``user`` may screen and open cases in some organisation."""
    return bool(owner_organisations(user, Action.SCREEN))


def episode_rule(user: User, action: Action) -> Q:
    """The rule of ``Episode``: read by whoever reads the case; written by the owner's case roles only.

    An episode tells how the person was exploited, as the owner recorded it: a receiver reads it
    to help, and corrects it by asking the owner (a receiver's ``CORRECT`` on the case does not
    reach its episodes).
    """
    if action == Action.VIEW:
        return case_record_rule(user, action)
    return Q(case__owner__in=owner_organisations(user, action))


def can(user: User, action: Action, case) -> bool:
    """Return True if ``user`` may ``action`` on ``case``."""
    return Case.objects.filter(case_filter(user, action, one=True), pk=case.pk).exists()


def can_see_identity(user: User, case) -> bool:
    """Return True if ``user`` may see the identity of ``case``'s person.

    The owner's frontline, case and identification staff may; a receiver may only when the
    referral that shares the case with it carried identity (consent or legal ground) and is
    active, not suspended by a withdrawal of consent.
    """
    orgs = identity_organisations(user)
    if case.owner_id in orgs:
        return True
    return case.referrals.filter(to_org__in=orgs, status__in=ACTIVE_STATES, shares_identity=True).exists()


def case_links(user: User, case) -> QuerySet:
    """Return the referrals of ``case`` addressed to ``user``'s organisations, for :func:`can_on_loaded`.

    Loaded with the case, they answer every "may this user..." about it without a query of its
    own (whether a receiver is an identification authority came with the user's memberships).
    Never shown: the referrals a page shows pass the rule.
    """
    return (
        Referral.objects.filter(case=case, to_org__in=member_organisations(user))
        .only("case", "to_org", "status", "shares_identity", "shares_documents")
        # In no order and joined to nothing: ordered by date, or joined to the receiver, the
        # database read every referral to the receiver (40,000 for the identification centre)
        # to find this case's, instead of this case's few by its index.
        .order_by()
    )


@dataclass(frozen=True, slots=True)
class CaseLink:
    """A referral of the case to one of the reader's organisations, as the rules answered from it read it."""

    to_org_id: int
    status: str
    shares_identity: bool
    shares_documents: bool


def case_links_expression(user: User) -> Subquery:
    """Return :func:`case_links` of the outer query's case as one value, to come with the case row.

    Read with the case (:func:`loaded_links`), they answer what the reader may do and see before
    anything else of the case is read (its audit row then goes with the next statement).
    """
    return values_expression(
        case_links(user, OuterRef("pk")), ("to_org", "status", "shares_identity", "shares_documents")
    )


def loaded_links(value: Any) -> list[CaseLink]:
    """Return the :class:`CaseLink` of a :func:`case_links_expression`'s value."""
    return [
        CaseLink(to_org, status, bool(identity), bool(documents))
        for to_org, status, identity, documents in values_rows(value)
    ]


def can_on_loaded(user: User, action: Action, case, links) -> bool:
    """Return :func:`can` (``user`` may ``action`` on ``case``) answered from rows already loaded.

    ``case`` with its ``owner__type``, ``links`` from :func:`case_links`: the same rule as
    :func:`case_filter`, evaluated on them instead of in the database (no query, no query to build).
    """
    owner = owner_organisations(user, action)
    receiver = receiver_organisations(user, action)
    authority_only = action == Action.IDENTIFY
    if case.owner_id in owner and (not authority_only or case.owner.type.is_identification_authority):
        return True
    if authority_only:
        receiver = identification_authorities(user, receiver)
    return any(r.to_org_id in receiver and r.status in ACTIVE_STATES for r in links)


def can_see_identity_on_loaded(user: User, case, links) -> bool:
    """Return :func:`can_see_identity` answered from ``case`` and its :func:`case_links`, without a query."""
    orgs = identity_organisations(user)
    if case.owner_id in orgs:
        return True
    return any(r.to_org_id in orgs and r.status in ACTIVE_STATES and r.shares_identity for r in links)


register_rule(Case, case_rule, one=one_case_rule)
register_rule(Screening, screening_rule)
register_rule(Episode, episode_rule)
for model in (CaseFlag, Consent):
    register_rule(model, case_record_rule)
# Records an organisation made: after a transfer, the old owner still reads its own.
for model in (CaseNote, Identification, ServiceDelivery):
    register_rule(model, case_history_rule)
