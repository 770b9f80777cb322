"""The access rule of transfers (registered from ``TransfersConfig.ready``)."""

from nrm.accounts.access import register_rule, transfer_rule
from nrm.transfers.models import CaseTransfer

register_rule(CaseTransfer, transfer_rule)
