"""Issue K: migration and asylum tables, and one definition per count (the date each table counts by)."""

from __future__ import annotations

import datetime as dt

import pytest

from nrm.cases.models import Case
from nrm.cases.tests.helpers import api, refer, share
from nrm.referrals.choices import ReferralKind
from nrm.reporting.selectors import run_report
from nrm.reporting.tables import REPORTS, Report, register
from nrm.reporting.tests.helpers import decide, victim


def counts(name: str) -> dict[tuple, int]:
    """Return the raw cells of standard table ``name`` by their categories (margins left out)."""
    table = run_report(REPORTS[name], raw=True)
    return {tuple(c.key[d] for d in table.dims): c.count for c in table.cells if c.count}


def total_by_year(name: str, **fixed) -> dict[int, int]:
    """Return the raw year margin of ``name`` (other dimensions summed over, or ``fixed`` to a category)."""
    table = run_report(REPORTS[name], raw=True)
    found = {}
    for c in (*table.cells, *table.totals):
        others = {d: v for d, v in c.key.items() if d != "year"}
        if c.key["year"] is not None and all(others[d] == fixed.get(d) for d in others):
            found[c.key["year"]] = c.count
    return {y: n for y, n in found.items() if n}


@pytest.fixture
def december(world):
    """Worked example: opened 20 December 2023, identified 10 January 2024; and one within 2023."""
    late = victim(world["police"], opened_on=dt.date(2023, 12, 20))
    decide(world, late, on=dt.date(2024, 1, 10))
    early = victim(world["police"], opened_on=dt.date(2023, 3, 1), sex="M")
    decide(world, early, on=dt.date(2023, 3, 20))
    victim(world["police"], opened_on=dt.date(2023, 12, 28))  # presumed: counted by its opening
    return late, early


def test_identified_victims_in_a_year_are_one_definition_across_the_centre_eurostat_and_greta(december):
    """Before issue K the Centre counted the December case in 2024 and Eurostat/GRETA in 2023."""
    expected = {2023: 1, 2024: 1}
    assert total_by_year("centre_identified_by_source") == expected
    assert total_by_year("centre_identified_by_citizenship") == expected
    assert total_by_year("greta_identified_sex_citizenship") == expected
    assert total_by_year("greta_identified_form_age") == expected
    assert total_by_year("eurostat_registered_status", victim_status="identified") == expected
    assert total_by_year("greta_presumed_identified", victim_status="identified") == expected
    # The presumed victim of 28 December stays in 2023: registered = identified + presumed each year.
    assert total_by_year("eurostat_registered_status") == {2023: 2, 2024: 1}


def test_every_standard_table_states_its_date_basis():
    assert all(str(r.counts_by) for r in REPORTS.values()), [n for n, r in REPORTS.items() if not r.counts_by]
    assert str(REPORTS["centre_identified_by_source"].counts_by) == "identification decision date"
    assert str(REPORTS["greta_identified_form_age"].counts_by) == "identification decision date"
    assert str(REPORTS["centre_referrals_by_source"].counts_by) == "referral date"
    assert str(REPORTS["greta_returns"].counts_by) == "return date"


def test_a_table_of_a_population_without_a_date_basis_is_refused(monkeypatch):
    from nrm.reporting import engine

    monkeypatch.setitem(engine.POPULATIONS, "undated", engine.Population("undated", "Undated", "No date."))
    with pytest.raises(ValueError, match="counts_by"):
        register(Report("undated_table", "Undated", ("year",), "undated"))
    assert "undated_table" not in REPORTS


def test_the_date_basis_is_on_the_page_the_api_and_the_csv(client, world, december):
    client.force_login(world["analyst"])
    page = client.get("/statistics/tables/greta_identified_form_age/").content.decode()
    assert "Counted by: identification decision date" in page
    body = api(world["analyst"]).get("/api/v1/stats/tables/migration_asylum_referrals/").json()
    assert body["counts_by"] == "referral date"
    assert "Counted by: referral date." in body["notes"]
    listing = api(world["analyst"]).get("/api/v1/stats/tables/?page_size=200").json()
    assert {r["name"]: r["counts_by"] for r in listing["results"]}["centre_decisions"] == (
        "identification decision date"
    )
    csv = api(world["analyst"]).get("/api/v1/stats/tables/centre_decisions/?format=csv").content.decode()
    assert csv.splitlines()[0] == "year,decision,count,suppressed,counts_by"


def test_victims_by_migration_status_asylum_procedure_and_unaccompanied_children(world):
    police = world["police"]
    victim(police, migration_status="asylum_seeker", citizenship="AF", opened_on=dt.date(2024, 2, 1))
    victim(police, migration_status="asylum_seeker", citizenship="SY", opened_on=dt.date(2024, 5, 1))
    victim(police, migration_status="national", opened_on=dt.date(2025, 1, 1))
    child = victim(police, born="2009-01-01", is_child=True, sex="M", citizenship="AF", opened_on=dt.date(2024, 3, 3))
    other_child = victim(police, born="2010-01-01", is_child=True, sex="F", opened_on=dt.date(2024, 4, 4))
    # The case worker's fields (their services are tested in nrm/cases and nrm/children).
    Case.objects.filter(pk=child.pk).update(child_status="unaccompanied", asylum_status="ongoing")
    Case.objects.filter(pk=other_child.pk).update(child_status="no")

    assert counts("migration_victims_by_status") == {
        (2024, "asylum_seeker"): 2,
        (2024, "unknown"): 2,
        (2025, "national"): 1,
    }
    assert counts("migration_victims_by_asylum_procedure") == {
        (2024, "ongoing"): 1,
        (2024, "unknown"): 3,
        (2025, "unknown"): 1,
    }
    # Only the unaccompanied or separated: the child with a parent is not in the table.
    assert counts("migration_unaccompanied_separated_children") == {(2024, "unaccompanied", "M"): 1}


def test_asylum_referrals_by_year_and_outcome(world):
    police = world["police"]
    case = victim(police, migration_status="asylum_seeker", citizenship="AF", opened_on=dt.date(2024, 2, 1))
    share(police, case, "asylum-office")
    refer(police, case, "asylum-office", kind=ReferralKind.ASYLUM, sent_on=dt.date(2024, 2, 5))
    other = victim(police, opened_on=dt.date(2024, 2, 1))
    share(police, other, "centre")
    refer(police, other, "centre")  # an identification referral: not of the asylum kind
    assert counts("migration_asylum_referrals") == {(2024, "sent"): 1}


def test_the_migration_tables_are_suppressed_when_published(world):
    victim(world["police"], migration_status="refugee", citizenship="SY", opened_on=dt.date(2024, 2, 1))
    body = api(world["analyst"]).get("/api/v1/stats/tables/migration_victims_by_status/").json()
    [cell] = [c for c in body["cells"] if c["migration_status"] == "refugee" and c["year"] == 2024]
    assert cell["suppressed"] and cell["count"] is None
