"""The risk arithmetic shared by the matrix (selectors) and the alerts (services); no access rule here.

A window of ``window_days`` days ending on ``as_of`` holds the observations dated from
``as_of - window_days + 1`` to ``as_of``, both included: 90 days as of 31 March start on 1 January.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from nrm.accounts.models import Organisation
from nrm.earlywarning.choices import risk_level


def regions() -> list[str]:
    """Return the regions observations are recorded in: those of the organisations, sorted."""
    return sorted(set(Organisation.objects.exclude(region="").values_list("region", flat=True)))


def window_start(as_of: dt.date, window_days: int) -> dt.date:
    """Return the first day of the window of ``window_days`` days that ends on ``as_of``."""
    return as_of - dt.timedelta(days=window_days - 1)


@dataclass(frozen=True)
class Cell:
    """One (group, region) of the matrix over a window."""

    group_id: int
    region: str
    likelihood: int
    impact: int
    observations: int
    persons: int

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def level(self) -> str:
        return risk_level(self.score)


def cells(observations: QuerySet, *, as_of: dt.date, window_days: int) -> list[Cell]:
    """Return the cells of ``observations`` dated in the window, sorted by group and region.

    Likelihood is the mean of the likelihoods rounded up (integer arithmetic, no float error),
    impact the highest impact.
    """
    rows = (
        observations.filter(observed_on__gte=window_start(as_of, window_days), observed_on__lte=as_of)
        .order_by()
        .values("group_id", "region")
        .annotate(
            n=Count("pk"),
            lsum=Sum("likelihood"),
            imax=Max("impact"),
            persons=Sum(Coalesce("persons_concerned", Value(0))),
        )
    )
    out = [
        Cell(
            group_id=r["group_id"],
            region=r["region"],
            likelihood=-(-r["lsum"] // r["n"]),
            impact=r["imax"],
            observations=r["n"],
            persons=r["persons"] or 0,
        )
        for r in rows
    ]
    return sorted(out, key=lambda c: (c.group_id, c.region))
