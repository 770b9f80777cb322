"""The access rules of action-plan reports and briefings (registered from ``ActionPlanConfig.ready``)."""

from nrm.accounts.access import (
    actionplan_coordination_rule,
    actionplan_report_rule,
    actionplan_reports_filter,
    register_rule,
    through,
)
from nrm.actionplan.models import Briefing, IndicatorValue, Report, ReportEntry, ReportTransition

register_rule(Report, actionplan_report_rule)
register_rule(ReportEntry, through(actionplan_reports_filter, "report__"))
register_rule(ReportTransition, through(actionplan_reports_filter, "report__"))
register_rule(IndicatorValue, through(actionplan_reports_filter, "entry__report__"))
register_rule(Briefing, actionplan_coordination_rule)
