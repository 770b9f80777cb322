"""What referrals put on the home page: referrals sent without consent, waiting for the owner's review."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.accounts.choices import Role
from nrm.accounts.models import User
from nrm.referrals import selectors
from nrm.web.home import ROWS, Block, register_home_blocks


def ground_review_blocks(user: User, today: dt.date) -> list[Block]:
    """The owner's case workers: referrals of their cases sent without consent, waiting for review.

    Shown only while some wait: most organisations rarely refer without consent.
    """
    pending = selectors.legal_grounds_to_review(user)
    count = pending.count()
    if not count:
        return []
    rows = [
        {
            "label": f"{r.case.reference}: {r.get_legal_ground_display()}",
            "url": reverse("web:legal_grounds") + f"#ground-{r.pk}",
            "status": r.to_org.name,
        }
        for r in pending[:ROWS]
    ]
    return [
        Block(
            "ground_review",
            _("Referrals without consent to review"),
            count,
            reverse("web:legal_grounds"),
            _("Review them"),
            rows=rows,
            warn=True,
            note=_("Sent on a legal ground instead of the person's consent: record whether each ground was justified."),
        )
    ]


register_home_blocks(70, lambda user, held: bool(held & {Role.CASEWORKER, Role.IDENTIFIER}), ground_review_blocks)
