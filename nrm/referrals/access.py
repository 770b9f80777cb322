"""The access rule of referrals (registered from ``ReferralsConfig.ready``)."""

from nrm.accounts.access import referral_rule, register_rule
from nrm.referrals.models import Referral

register_rule(Referral, referral_rule)
