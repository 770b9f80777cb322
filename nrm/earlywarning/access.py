"""The access rules of observations, alerts and thresholds (registered from ``EarlyWarningConfig.ready``)."""

from __future__ import annotations

from django.db.models import Q

from nrm.accounts.access import (
    NOTHING,
    WarningAction,
    manages_early_warning,
    observation_rule,
    reads_national_statistics,
    register_rule,
    threshold_rule,
    warning_organisations,
)
from nrm.accounts.models import User
from nrm.earlywarning.models import Alert, AlertEvent, AlertThreshold, Observation


def alert_filter(user: User, prefix: str = "") -> Q:
    """Return the Q selecting the alerts ``user`` may see: all nationally, else those raised to their organisations.

    ``prefix`` reaches an alert through a relation (``"alert__"``).
    """
    if reads_national_statistics(user):
        return Q()
    orgs = warning_organisations(user, WarningAction.VIEW)
    raised_to = Alert.recipients.through.objects.filter(organisation__in=orgs).values("alert_id")
    return Q(**{f"{prefix}pk__in": raised_to})


def alert_rule(user: User, action: WarningAction = WarningAction.VIEW) -> Q:
    """Alerts: seen nationally and by the organisations they were raised to; managed by the Coordinator's office."""
    if WarningAction(action) == WarningAction.MANAGE:
        return Q() if manages_early_warning(user) else NOTHING
    return alert_filter(user)


def alert_event_rule(user: User, action: WarningAction = WarningAction.VIEW) -> Q:
    return alert_filter(user, prefix="alert__")


register_rule(Observation, observation_rule)
register_rule(Alert, alert_rule)
register_rule(AlertEvent, alert_event_rule)
register_rule(AlertThreshold, threshold_rule)
