"""Populations and dimensions other apps register: counted, measured and suppressed like the engine's own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F, Sum, Value, When
from django.db.models.functions import Mod

from nrm.cases.models import Case
from nrm.reporting import engine
from nrm.reporting.engine import TOTAL, Population, Source, count_table, register_dimension, register_population
from nrm.reporting.tests.helpers import victim


@pytest.fixture
def plugged():
    """Register a test population over cases, measured by a number per row, and remove it afterwards."""
    before = (dict(engine.DIMENSIONS), dict(engine.ORDER), dict(engine._LABELLERS))
    register_dimension("test_parity", "Parity of the case number", order=["odd", "even"], labels=lambda: {"odd": "Odd"})

    def build() -> Source:
        from django.db.models import Case as When_

        parity = When_(When(Mod_pk=0, then=Value("even")), default=Value("odd"))
        qs = Case.objects.annotate(Mod_pk=Mod(F("pk"), 2))
        return Source(
            qs,
            {"year": engine.Year("opened_on"), "test_parity": parity},
            None,
            "units",
            "Test units.",
            measure=Sum(Value(3)),
        )

    register_population(Population("test_units", "Test units", "Test units.", external=False), build)
    yield
    engine.POPULATIONS.pop("test_units")
    engine._BUILDERS.pop("test_units")
    engine.DIMENSIONS.clear()
    engine.DIMENSIONS.update(before[0])
    engine.ORDER.clear()
    engine.ORDER.update(before[1])
    engine._LABELLERS.clear()
    engine._LABELLERS.update(before[2])


def test_a_registered_population_is_measured_and_has_margins(world, plugged):
    police = world["police"]
    for day in range(1, 5):
        victim(police, opened_on=dt.date(2024, 3, day))
    table = count_table(by=["test_parity"], population="test_units", raw=True)
    counts = {c.key["test_parity"]: c.count for c in table.cells + table.totals}
    # Each case weighs 3: four cases, two of each parity.
    assert counts == {"odd": 6, "even": 6, TOTAL: 12}
    assert table.domains == [["odd", "even"]]
    assert table.labels["test_parity"]["odd"] == "Odd"


def test_a_registered_population_is_suppressed_when_published(world, plugged):
    police = world["police"]
    victim(police, opened_on=dt.date(2024, 3, 1))
    table = count_table(by=["year"], population="test_units")
    cell = next(c for c in table.cells if c.key["year"] == 2024)
    # 3 is under the threshold of 5: hidden, and so is the total that would give it away.
    assert cell.suppressed and cell.count is None
    assert all(t.count is None for t in table.totals)


def test_registering_is_checked():
    with pytest.raises(ValueError):  # a name taken (the cases' own population) by another population
        register_population(Population("registered", "X", "X.", external=False), lambda: None)
    with pytest.raises(ValueError):
        register_dimension("year", "Another title")
