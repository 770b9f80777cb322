"""The access rules of observations, alerts and thresholds (registered from ``EarlyWarningConfig.ready``)."""

from nrm.accounts.access import alert_event_rule, alert_rule, observation_rule, register_rule, threshold_rule
from nrm.earlywarning.models import Alert, AlertEvent, AlertThreshold, Observation

register_rule(Observation, observation_rule)
register_rule(Alert, alert_rule)
register_rule(AlertEvent, alert_event_rule)
register_rule(AlertThreshold, threshold_rule)
