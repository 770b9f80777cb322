"""The access rules of prevention records (registered from ``PreventionConfig.ready``)."""

from nrm.accounts.access import prevention_feed_rule, prevention_part_rule, prevention_rule, register_rule
from nrm.prevention.models import Attendance, AwarenessAction, Event, IndicatorFeed, KapResult, KapSurvey, Material

for model in (Event, AwarenessAction, KapSurvey):
    register_rule(model, prevention_rule)
register_rule(Attendance, prevention_part_rule("event__"))
register_rule(Material, prevention_part_rule("action__"))
register_rule(KapResult, prevention_part_rule("survey__"))
register_rule(IndicatorFeed, prevention_feed_rule)
