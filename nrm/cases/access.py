"""The access rules of cases and of what hangs on a case (registered from ``CasesConfig.ready``)."""

from nrm.accounts.access import case_history_rule, case_record_rule, case_rule, register_rule, screening_rule
from nrm.cases.models import Case, CaseFlag, CaseNote, Consent, Identification, Screening, ServiceDelivery

register_rule(Case, case_rule)
register_rule(Screening, screening_rule)
for model in (CaseFlag, Consent):
    register_rule(model, case_record_rule)
# Records an organisation made: after a transfer, the old owner still reads its own.
for model in (CaseNote, Identification, ServiceDelivery):
    register_rule(model, case_history_rule)
