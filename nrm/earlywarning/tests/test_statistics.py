"""Early-warning counts through the statistics engine: dimensions, populations, tables, suppression."""

from __future__ import annotations

import datetime as dt

from conftest import fresh
from nrm.earlywarning.models import Alert
from nrm.earlywarning.tests.conftest import REGION, observe
from nrm.reporting import engine
from nrm.reporting.engine import TOTAL, count_table
from nrm.reporting.selectors import report_table
from nrm.reporting.tables import REPORTS


def test_registered_with_the_engine():
    assert {"vulnerable_group", "risk_level"} <= set(engine.DIMENSIONS)
    assert {"risk_observations", "alerts_raised"} <= set(engine.POPULATIONS)
    families = {r.name: r.family for r in REPORTS.values() if r.name.startswith("earlywarning_")}
    assert set(families.values()) == {"earlywarning"} and len(families) >= 2


def test_observations_by_group_and_level_raw(people):
    for likelihood in (1, 2, 4):  # impact 5: scores 5 (medium), 10 (high), 20 (very high)
        observe(people["novisad"], likelihood=likelihood, observed_on=dt.date(2026, 3, 1))
    for _ in range(6):
        observe(
            people["novisad"], indicator="job_offers_social_networks", likelihood=1, observed_on=dt.date(2025, 6, 1)
        )
    table = count_table(by=["year", "vulnerable_group", "risk_level"], population="risk_observations", raw=True)
    counts = {(c.key["year"], c.key["vulnerable_group"], c.key["risk_level"]): c.count for c in table.cells if c.count}
    assert counts == {
        (2026, "migrants_in_transit", "medium"): 1,
        (2026, "migrants_in_transit", "high"): 1,
        (2026, "migrants_in_transit", "very_high"): 1,
        (2025, "workers_abroad", "low"): 6,
    }
    assert table.labels["vulnerable_group"]["workers_abroad"] == "Workers recruited abroad"
    by_region = count_table(by=["region"], population="risk_observations", raw=True)
    assert {c.key["region"]: c.count for c in by_region.cells} == {REGION: 9}


def test_small_cells_are_suppressed_when_published(people):
    for _ in range(3):
        observe(people["novisad"], likelihood=2, observed_on=dt.date(2026, 3, 1))
    for _ in range(6):
        observe(
            people["novisad"], indicator="job_offers_social_networks", likelihood=1, observed_on=dt.date(2026, 4, 1)
        )
    table = report_table(fresh(people["analyst"]), "earlywarning_observations_by_group")
    cells = {(c.key["year"], c.key["vulnerable_group"]): c for c in table.cells + table.totals}
    assert cells[(2026, "migrants_in_transit")].suppressed and cells[(2026, "migrants_in_transit")].count is None
    # The year's total would give the small cell away (9 - 6 = 3): it is hidden as well, or the 6 is.
    visible = [c for c in (cells[(2026, "workers_abroad")], cells[(2026, TOTAL)]) if c.count is not None]
    assert len(visible) < 2


def test_alerts_raised_are_counted(people, threshold):
    for _ in range(3):
        observe(people["novisad"], likelihood=4)
    alert = Alert.objects.get()
    table = count_table(by=["year", "vulnerable_group", "region"], population="alerts_raised", raw=True)
    counts = {tuple(c.key.values()): c.count for c in table.cells if c.count}
    assert counts == {(alert.raised_at.year, "migrants_in_transit", REGION): 1}
    published = report_table(fresh(people["coordinator"]), "earlywarning_alerts_by_group")
    assert all(c.count is None for c in published.cells if c.key["vulnerable_group"] == "migrants_in_transit")
