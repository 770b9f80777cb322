"""The access rules of probable duplicates and their merges (registered from ``ExchangeConfig.ready``)."""

from nrm.accounts.access import case_merge_rule, person_link_rule, register_rule
from nrm.exchange.models import CaseMerge, PersonLink

register_rule(PersonLink, person_link_rule)
register_rule(CaseMerge, case_merge_rule)
