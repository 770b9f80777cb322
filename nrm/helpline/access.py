"""The access rule of helpline calls (registered from ``HelplineConfig.ready``)."""

from nrm.accounts.access import helpline_call_rule, register_rule
from nrm.helpline.models import Call

register_rule(Call, helpline_call_rule)
