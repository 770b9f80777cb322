"""What the helpline puts on the home page of its staff: calls not turned into a screening."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.accounts import access
from nrm.accounts.models import User
from nrm.helpline import selectors
from nrm.web.home import Block, register_home_blocks


def helpline_blocks(user: User, today: dt.date) -> list[Block]:
    """The helpline's calls not turned into a screening."""
    calls = selectors.call_list(user, converted="0")
    return [
        Block(
            "calls",
            _("Helpline calls without a screening"),
            calls.count(),
            reverse("helpline:call_list") + "?converted=0",
            _("Helpline calls"),
            empty=_("Every call that needed a screening has one."),
        )
    ]


register_home_blocks(80, lambda user, held: access.works_at_helpline(user), helpline_blocks)
