"""The access rules of a child's records: the case's (registered from ``ChildrenConfig.ready``)."""

from nrm.accounts.access import register_rule
from nrm.cases.access import case_record_rule
from nrm.children.models import BestInterestsAssessment, BestInterestsDetermination, Guardian

for model in (Guardian, BestInterestsAssessment, BestInterestsDetermination):
    register_rule(model, case_record_rule)
