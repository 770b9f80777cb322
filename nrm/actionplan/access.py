"""The access rules of action-plan reports and briefings (registered from ``ActionPlanConfig.ready``)."""

from nrm.accounts.access import (
    actionplan_coordination_rule,
    actionplan_report_part_rule,
    actionplan_report_rule,
    register_rule,
)
from nrm.actionplan.models import Briefing, IndicatorValue, Report, ReportEntry, ReportTransition

register_rule(Report, actionplan_report_rule)
register_rule(ReportEntry, actionplan_report_part_rule("report__"))
register_rule(ReportTransition, actionplan_report_part_rule("report__"))
register_rule(IndicatorValue, actionplan_report_part_rule("entry__report__"))
register_rule(Briefing, actionplan_coordination_rule)
