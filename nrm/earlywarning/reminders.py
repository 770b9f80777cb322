"""Early warning's daily reminders: alerts raised and not yet acknowledged.

Registered with ``nrm.tasks.reminders.register_reminders``.
"""

from __future__ import annotations

import datetime as dt

from nrm.accounts.access import unrestricted
from nrm.earlywarning.choices import ALERT_MAIL_ROLES, AlertStatus
from nrm.earlywarning.models import Alert
from nrm.tasks.choices import ReminderTopic
from nrm.tasks.reminders import Due
from nrm.tasks.services import staff


def alerts_open(on: dt.date) -> list[Due]:
    """Early-warning alerts raised and not yet acknowledged, for the staff of the organisations they went to."""
    out = []
    for alert in unrestricted(Alert, "reminders").filter(status=AlertStatus.OPEN).select_related("group"):
        recipients = staff(alert.recipients.values_list("pk", flat=True), ALERT_MAIL_ROLES)
        reference = f"{alert.group.code}/{alert.region}"[:40]
        out.append(
            Due(
                f"alert:{alert.pk}",
                ReminderTopic.ALERT_OPEN,
                "warning_alert",
                alert.pk,
                reference,
                None,
                tuple(recipients),
            )
        )
    return out
