"""The access rules of proceedings and their parts (registered from ``JusticeConfig.ready``)."""

from nrm.accounts.access import proceeding_part_rule, proceeding_rule, proceeding_victim_rule, register_rule
from nrm.justice.models import Charge, Defendant, Proceeding, ProceedingShare, ProceedingVictim, Verdict

register_rule(Proceeding, proceeding_rule)
register_rule(ProceedingVictim, proceeding_victim_rule)
register_rule(ProceedingShare, proceeding_part_rule("proceeding__"))
register_rule(Defendant, proceeding_part_rule("proceeding__"))
register_rule(Charge, proceeding_part_rule("defendant__proceeding__"))
register_rule(Verdict, proceeding_part_rule("charge__defendant__proceeding__"))
