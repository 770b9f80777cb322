"""The access rules of prevention records (registered from ``PreventionConfig.ready``)."""

from nrm.accounts.access import prevention_feed_rule, prevention_filter, prevention_rule, register_rule, through
from nrm.prevention.models import Attendance, AwarenessAction, Event, IndicatorFeed, KapResult, KapSurvey, Material

for model in (Event, AwarenessAction, KapSurvey):
    register_rule(model, prevention_rule)
register_rule(Attendance, through(prevention_filter, "event__"))
register_rule(Material, through(prevention_filter, "action__"))
register_rule(KapResult, through(prevention_filter, "survey__"))
register_rule(IndicatorFeed, prevention_feed_rule)
