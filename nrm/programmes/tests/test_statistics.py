"""Programme figures through the statistics engine: raw counts and sums exact, small cells suppressed."""

from __future__ import annotations

from nrm.reporting.engine import TOTAL, count_table
from nrm.reporting.tables import REPORTS

from .conftest import JOINT


def test_reports_are_registered_in_the_programmes_family():
    names = {r.name for r in REPORTS.values() if r.family == "programmes"}
    assert {"programmes_by_year", "programme_funding_by_donor", "programme_values_by_programme"} <= names


def test_funding_is_summed_per_donor_and_currency(programmes):
    table = count_table(by=["programme_donor", "programme_currency"], population="programme_funding", raw=True)
    cells = {(c.key["programme_donor"], c.key["programme_currency"]): c.count for c in table.cells}
    assert cells[("Belgium", "USD")] == 680097
    assert cells[("Switzerland", "USD")] == 200000
    total = next(t for t in table.totals if t.key["programme_donor"] is TOTAL and t.key["programme_currency"] == "USD")
    assert total.count == int(programmes[JOINT].budget_amount)


def test_small_counts_are_suppressed_when_published(programmes):
    raw = count_table(by=["year"], population="programmes", raw=True)
    assert {c.key["year"]: c.count for c in raw.cells if c.count} == {2010: 1, 2018: 1, 2019: 1}
    published = count_table(by=["year"], population="programmes")
    assert all(c.suppressed and c.count is None for c in published.cells if c.key["year"] in (2010, 2018, 2019))
    values = count_table(by=["year", "programme_code"], population="programme_values", raw=True)
    assert sum(c.count for c in values.cells) == 12 + 2  # IRC (seed 004) and the Council of Europe action (003)


def test_statistics_page_lists_the_tables(people):
    from django.test import Client

    client = Client()
    client.force_login(people["analyst"])
    response = client.get("/statistics/")
    assert response.status_code == 200
    assert "programme_funding_by_donor" in response.content.decode()
