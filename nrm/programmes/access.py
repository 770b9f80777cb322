"""The access rules of donor programmes (registered from ``ProgrammesConfig.ready``)."""

from nrm.accounts.access import programme_rule, register_rule
from nrm.programmes.models import (
    Document,
    FundingLine,
    Indicator,
    IndicatorValue,
    Objective,
    Outcome,
    Output,
    Programme,
    ProgrammePartner,
)

# Programmes are not personal data: every member of an organisation reads them all, and only the
# Coordinator's office writes. One rule for the programme and everything in it.
for model in (
    Programme,
    ProgrammePartner,
    FundingLine,
    Objective,
    Outcome,
    Output,
    Indicator,
    IndicatorValue,
    Document,
):
    register_rule(model, programme_rule)
