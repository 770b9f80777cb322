"""The access rules of probable duplicates, their merges and received history (from ``ExchangeConfig.ready``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db.models import Q

from nrm.accounts.access import NOTHING, Action, administers, person_link_rule, register_rule
from nrm.accounts.models import User
from nrm.cases.access import case_filter, case_record_rule, on_case
from nrm.exchange.models import CaseMerge, PersonLink, ReceivedRecord


class MergeAction(StrEnum):
    VIEW = "view"  # read a merge of duplicate cases: which cases, when, what moved (no identity)
    UNDO = "undo"  # put the moved rows back and the absorbed case in view again


def case_merge_rule(user: User, action: Any = MergeAction.VIEW) -> Q:
    """Merges of duplicate cases: the administrators see and undo them all (they read no case content);
    whoever sees the surviving case sees the merges in its history."""
    if administers(user):
        return Q()
    if MergeAction(action) == MergeAction.VIEW:
        return on_case(case_filter(user, Action.VIEW, one=True), field="survivor")
    return NOTHING


register_rule(PersonLink, person_link_rule)
register_rule(CaseMerge, case_merge_rule)
# A case's history received from another deployment is seen exactly as the case is.
register_rule(ReceivedRecord, case_record_rule)
