"""What statistics put on the analyst's home page: new data since the last publication."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts.choices import Role
from nrm.accounts.models import User
from nrm.reporting import selectors
from nrm.reporting.engine import MARKER
from nrm.web.home import Block, register_home_blocks


def analyst_blocks(user: User, today: dt.date) -> list[Block]:
    """New data since the last publication of statistics: cases and screenings added or changed, new data sets.

    Counts only, from :func:`nrm.reporting.selectors.new_since_publication`; the block says when
    and what was last published, or that nothing has been published yet.
    """
    new = selectors.new_since_publication(user)
    if new is None:
        return []
    since = new.since or (timezone.now() - dt.timedelta(days=30))
    datasets = [d for d in selectors.dataset_list(user) if d["imported_at"] and d["imported_at"] >= since]
    if new.last is None:
        note = _("No statistics have been published yet: everything recorded so far is new.")
    else:
        note = _("Since the last publication, on %(date)s (%(years)s, threshold %(threshold)s).") % {
            "date": timezone.localtime(new.last.published_at).strftime("%Y-%m-%d %H:%M"),
            "years": new.last.years,
            "threshold": new.last.threshold,
        }
    return [
        Block(
            "new_data",
            _("New data since the last publication"),
            None,
            reverse("reporting:publications"),
            _("Publications of statistics"),
            rows=[{"label": r.label, "value": r.display()} for r in new.rows],
            note=note,
            extra={"last": new.last, "datasets": datasets, "suppressed": new.suppressed, "marker": MARKER},
        )
    ]


register_home_blocks(90, lambda user, held: Role.ANALYST in held, analyst_blocks)
