"""The risk matrix on hand-made observations: mean rounded up, highest impact, window edges, levels, grid."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import fresh
from nrm.core.errors import NotFound
from nrm.earlywarning import selectors
from nrm.earlywarning.choices import risk_level
from nrm.earlywarning.tests.conftest import REGION, observe

AS_OF = dt.date(2026, 6, 30)


def rows(user, **kwargs) -> dict:
    m = selectors.risk_matrix(fresh(user), as_of=AS_OF, **kwargs)
    return {(r.group.code, r.region): r for r in m.rows}


def test_likelihood_is_the_mean_rounded_up_and_impact_the_highest(people):
    # Likelihoods 2, 2, 3: mean 7/3 = 2.33 -> 3. Impacts 3 (given), 5 (indicator default), 2.
    observe(people["novisad"], likelihood=2, impact=3, observed_on=AS_OF, persons_concerned=4)
    observe(people["novisad"], likelihood=2, observed_on=AS_OF - dt.timedelta(days=10))
    observe(people["novisad"], likelihood=3, impact=2, observed_on=AS_OF - dt.timedelta(days=20), persons_concerned=2)
    row = rows(people["coordinator"])[("migrants_in_transit", REGION)]
    assert (row.likelihood, row.impact, row.score, row.level, row.observations, row.persons) == (
        3, 5, 15, "high", 3, 6,
    )  # fmt: skip


def test_an_exact_mean_is_not_rounded_up(people):
    observe(people["novisad"], likelihood=2, observed_on=AS_OF)
    observe(people["novisad"], likelihood=4, observed_on=AS_OF)
    assert rows(people["coordinator"])[("migrants_in_transit", REGION)].likelihood == 3


def test_window_edges(people):
    # 90 days ending 30 June 2026 run from 2 April 2026 to 30 June, both included.
    observe(people["novisad"], likelihood=5, observed_on=dt.date(2026, 4, 1))  # one day too early
    observe(people["novisad"], likelihood=1, observed_on=dt.date(2026, 4, 2))  # first day
    observe(people["novisad"], likelihood=1, observed_on=AS_OF)  # last day
    observe(people["novisad"], likelihood=5, observed_on=dt.date(2026, 6, 28))
    row = rows(people["coordinator"])[("migrants_in_transit", REGION)]
    assert (row.observations, row.likelihood) == (3, 3)  # (1 + 1 + 5) / 3 -> 3
    narrow = rows(people["coordinator"], window_days=1)[("migrants_in_transit", REGION)]
    assert (narrow.observations, narrow.likelihood) == (1, 1)
    m = selectors.risk_matrix(fresh(people["coordinator"]), as_of=AS_OF)
    assert m.start == dt.date(2026, 4, 2)


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (1, "low"),
        (4, "low"),
        (5, "medium"),
        (9, "medium"),
        (10, "high"),
        (16, "high"),
        (20, "very_high"),
        (25, "very_high"),
    ],
)
def test_levels(score, level):
    assert risk_level(score) == level


def test_the_grid_places_regions_by_likelihood_and_impact(people):
    observe(people["novisad"], likelihood=2, observed_on=AS_OF)
    observe(
        people["asylum"],
        org_code="asylum-office",
        region="Belgrade",
        indicator="asylum_leaving_centres",
        likelihood=4,
        observed_on=AS_OF,
    )
    m = selectors.risk_matrix(fresh(people["coordinator"]), as_of=AS_OF, group="migrants_in_transit")
    grid = m.grid()
    assert [c.likelihood for c in (row[0] for row in grid)] == [5, 4, 3, 2, 1]
    assert [c.impact for c in grid[0]] == [1, 2, 3, 4, 5]
    placed = {(c.likelihood, c.impact): c.regions for row in grid for c in row if c.regions}
    assert placed == {(2, 5): [REGION]}
    every = selectors.risk_matrix(fresh(people["coordinator"]), as_of=AS_OF).grid()
    placed = {(c.likelihood, c.impact): c.regions for row in every for c in row if c.regions}
    assert placed == {(2, 5): [f"{REGION} (Migrants in transit)"], (4, 3): ["Belgrade (Asylum seekers)"]}


def test_the_matrix_counts_what_the_user_sees(people):
    observe(people["novisad"], likelihood=2, observed_on=AS_OF)
    observe(
        people["asylum"],
        org_code="asylum-office",
        region="Belgrade",
        indicator="asylum_leaving_centres",
        observed_on=AS_OF,
    )
    assert set(rows(people["novisad"])) == {("migrants_in_transit", REGION)}
    assert len(rows(people["analyst"])) == 2
    assert rows(people["police"]) == {}
    for outsider in ("ns_reporter", "admin"):
        with pytest.raises(NotFound):
            selectors.risk_matrix(fresh(people[outsider]))
