"""The access rules of cases and of what hangs on a case (registered from ``CasesConfig.ready``)."""

from nrm.accounts.access import case_record_rule, case_rule, register_rule, screening_rule
from nrm.cases.models import Case, CaseFlag, CaseNote, Consent, Identification, Screening, ServiceDelivery

register_rule(Case, case_rule)
register_rule(Screening, screening_rule)
for model in (CaseFlag, CaseNote, Consent, Identification, ServiceDelivery):
    register_rule(model, case_record_rule)
