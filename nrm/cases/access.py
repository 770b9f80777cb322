"""The access rules of cases and of what hangs on a case (registered from ``CasesConfig.ready``)."""

from django.db.models import Q

from nrm.accounts.access import (
    Action,
    case_history_rule,
    case_record_rule,
    case_rule,
    one_case_rule,
    owner_organisations,
    register_rule,
    screening_rule,
)
from nrm.accounts.models import User
from nrm.cases.models import Case, CaseFlag, CaseNote, Consent, Episode, Identification, Screening, ServiceDelivery


def episode_rule(user: User, action: Action) -> Q:
    """The rule of ``Episode``: read by whoever reads the case; written by the owner's case roles only.

    An episode tells how the person was exploited, as the owner recorded it: a receiver reads it
    to help, and corrects it by asking the owner (a receiver's ``CORRECT`` on the case does not
    reach its episodes).
    """
    if action == Action.VIEW:
        return case_record_rule(user, action)
    return Q(case__owner__in=owner_organisations(user, action))


register_rule(Case, case_rule, one=one_case_rule)
register_rule(Screening, screening_rule)
register_rule(Episode, episode_rule)
for model in (CaseFlag, Consent):
    register_rule(model, case_record_rule)
# Records an organisation made: after a transfer, the old owner still reads its own.
for model in (CaseNote, Identification, ServiceDelivery):
    register_rule(model, case_history_rule)
