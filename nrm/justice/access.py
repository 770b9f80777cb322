"""The access rules of proceedings and their parts (registered from ``JusticeConfig.ready``)."""

from nrm.accounts.access import proceeding_filter, proceeding_rule, proceeding_victim_rule, register_rule, through
from nrm.justice.models import (
    Charge,
    Defendant,
    Proceeding,
    ProceedingAsset,
    ProceedingShare,
    ProceedingVictim,
    Verdict,
)

register_rule(Proceeding, proceeding_rule)
register_rule(ProceedingVictim, proceeding_victim_rule)
register_rule(ProceedingShare, through(proceeding_filter, "proceeding__"))
register_rule(Defendant, through(proceeding_filter, "proceeding__"))
register_rule(Charge, through(proceeding_filter, "defendant__proceeding__"))
register_rule(Verdict, through(proceeding_filter, "charge__defendant__proceeding__"))
register_rule(ProceedingAsset, through(proceeding_filter, "proceeding__"))
