"""Early-warning enumerations and the risk scale.

The risk scheme (documented here, shown on the matrix page): a cell's *likelihood* is the mean of
its observations' likelihoods rounded up, its *impact* the highest impact observed, and its
*score* likelihood x impact (1-25). Levels: low 1-4, medium 5-9, high 10-16, very high 20-25
(no product of two numbers from 1 to 5 falls between 16 and 20).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

SCALE = (1, 2, 3, 4, 5)


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    VERY_HIGH = "very_high", _("Very high")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed")


ACTIVE_ALERT_STATES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


class EventKind(models.TextChoices):
    RAISED = "raised", _("Raised")
    ESCALATED = "escalated", _("Escalated")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")


def risk_level(score: int) -> str:
    """Return the level of a score from 1 to 25 (see the module docstring)."""
    if score <= 4:
        return RiskLevel.LOW
    if score <= 9:
        return RiskLevel.MEDIUM
    if score <= 16:
        return RiskLevel.HIGH
    return RiskLevel.VERY_HIGH


# Roles whose members are e-mailed when an alert is raised to their organisation.
ALERT_MAIL_ROLES = ("coordinator", "caseworker", "frontline")
