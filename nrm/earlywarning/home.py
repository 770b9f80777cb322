"""What early warning puts on the Coordinator's home page: the open alerts by risk level."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.accounts.choices import Role
from nrm.accounts.models import User
from nrm.earlywarning import selectors
from nrm.earlywarning.choices import ACTIVE_ALERT_STATES, RiskLevel, risk_level
from nrm.web.home import Block, register_home_blocks


def alert_blocks(user: User, today: dt.date) -> list[Block]:
    """Open alerts (open or acknowledged) by risk level, highest first."""
    scores = selectors.alert_list(user).filter(status__in=ACTIVE_ALERT_STATES).values_list("score", flat=True)
    levels = Counter(risk_level(s) for s in scores)
    rows = [
        {"label": str(label), "count": levels[value], "level": value}
        for value, label in reversed(RiskLevel.choices)
        if levels[value]
    ]
    block = Block(
        "alerts",
        _("Open early-warning alerts"),
        sum(levels.values()),
        reverse("earlywarning:alert_list") + "?status=open",
        _("Alerts"),
        rows=rows,
        warn=bool(levels[RiskLevel.HIGH] or levels[RiskLevel.VERY_HIGH]),
        empty=_("No alert is open."),
    )
    return [block]


register_home_blocks(20, lambda user, held: Role.COORDINATOR in held, alert_blocks)
