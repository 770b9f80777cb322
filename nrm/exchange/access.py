"""The access rules of probable duplicates, their merges and received history (from ``ExchangeConfig.ready``)."""

from nrm.accounts.access import case_merge_rule, case_record_rule, person_link_rule, register_rule
from nrm.exchange.models import CaseMerge, PersonLink, ReceivedRecord

register_rule(PersonLink, person_link_rule)
register_rule(CaseMerge, case_merge_rule)
# A case's history received from another deployment is seen exactly as the case is.
register_rule(ReceivedRecord, case_record_rule)
