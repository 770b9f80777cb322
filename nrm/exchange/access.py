"""The access rule of probable duplicates (registered from ``ExchangeConfig.ready``)."""

from nrm.accounts.access import person_link_rule, register_rule
from nrm.exchange.models import PersonLink

register_rule(PersonLink, person_link_rule)
