"""Justice statistics through the statistics engine, on hand-made examples whose every figure is worked out.

Three proceedings of the Belgrade police:

- P1 (sexual exploitation; victims A and B, identified on 15 Jan 2021 and 1 Jun 2021):
  investigated 2021, indicted 1 Sep 2021 with two defendants under Art. 388. D1 convicted at
  first instance on 10 May 2022 and finally on 1 Feb 2023; D2 acquitted on 10 May 2022.
- P2 (labour and begging; victim C, never identified): investigated 2022, no indictment.
- P3 (no form recorded): investigated 2022, indicted 1 Dec 2022, one defendant charged with
  smuggling only (Art. 350, not a trafficking offence), convicted at first instance in 2023.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.cases import services as case_services
from nrm.cases.choices import ConsentPurpose
from nrm.cases.tests.helpers import IDENTITY, api, member, move, open_case, org, refer, share, statistics_consent_of
from nrm.justice import selectors, services
from nrm.justice.models import ProceedingVictim
from nrm.justice.statistics import identified_parts
from nrm.referrals.choices import ReferralStatus
from nrm.reporting.engine import TOTAL, count_table
from nrm.reporting.selectors import run_report
from nrm.reporting.tables import REPORTS

D = dt.date


def identified(world, case, on):
    share(world["police"], case, "centre")
    move(world["centre"], refer(world["police"], case, "centre"), ReferralStatus.ACCEPTED)
    case_services.identification_decide(
        actor=fresh(world["centre"]), case=case, decision="identified", grounds="Interview.", decided_on=on
    )


@pytest.fixture
def example(justice):
    world = justice
    police = lambda: fresh(world["police"])  # noqa: E731
    a = open_case(world["police"], opened_on=D(2021, 1, 10), forms=["sexual"])
    b = open_case(world["police"], opened_on=D(2021, 5, 20), forms=["sexual"])
    c = open_case(world["police"], opened_on=D(2022, 1, 5), forms=["labour"])
    for case in (a, b, c):
        statistics_consent_of(world["police"], case)
    identified(world, a, D(2021, 1, 15))
    identified(world, b, D(2021, 6, 1))

    p1 = services.proceeding_open(
        actor=police(), organisation=org("pu-bg"), reference="P1", investigation_on=D(2021, 3, 1), cases=[a, b]
    )
    p1 = services.proceeding_advance(
        actor=police(), proceeding=p1, stage="indictment", on=D(2021, 9, 1), expected_version=1
    )
    d1 = services.defendant_add(actor=police(), proceeding=p1, name="D1", offences=["388"])
    d2 = services.defendant_add(actor=police(), proceeding=p1, name="D2", offences=["388"])
    for defendant, outcome in ((d1, "convicted"), (d2, "acquitted")):
        services.verdict_record(
            actor=police(), charge=defendant.charges.get(), instance="first", outcome=outcome, decided_on=D(2022, 5, 10)
        )
    services.verdict_record(
        actor=police(), charge=d1.charges.get(), instance="final", outcome="convicted", decided_on=D(2023, 2, 1)
    )

    services.proceeding_open(
        actor=police(),
        organisation=org("pu-bg"),
        reference="P2",
        investigation_on=D(2022, 1, 10),
        cases=[c],
        forms=["labour", "begging"],
    )

    p3 = services.proceeding_open(
        actor=police(), organisation=org("pu-bg"), reference="P3", investigation_on=D(2022, 6, 1), forms=[]
    )
    p3 = services.proceeding_advance(
        actor=police(), proceeding=p3, stage="indictment", on=D(2022, 12, 1), expected_version=1
    )
    d3 = services.defendant_add(actor=police(), proceeding=p3, name="D3", offences=["350"])
    services.verdict_record(
        actor=police(), charge=d3.charges.get(), instance="first", outcome="convicted", decided_on=D(2023, 3, 1)
    )

    part_a, part_b = p1.victims.get(case=a), p1.victims.get(case=b)
    services.victim_update(
        actor=police(),
        part=part_a,
        expected_version=1,
        compensation_currency="RSD",
        compensation_claimed="500000",
        claimed_on=D(2021, 10, 1),
        compensation_awarded="300000",
        awarded_on=D(2022, 5, 10),
        compensation_paid="100000",
        paid_on=D(2023, 1, 15),
    )
    services.victim_update(
        actor=police(),
        part=part_b,
        expected_version=1,
        compensation_currency="EUR",
        compensation_claimed="10000",
        claimed_on=D(2021, 10, 1),
    )
    return world


def raw(name: str) -> dict:
    """Return the standard table ``name`` without disclosure control, as {(dim values...): count}."""
    table = run_report(REPORTS[name], raw=True)
    return {tuple(c.key[d] for d in table.dims): c.count for c in (*table.cells, *table.totals) if c.count}


def test_investigations_prosecutions_and_convictions_by_year_and_form(example):
    # Each proceeding once: P2 has two forms, so 2022's total is 2 (P2, P3), not 3.
    assert raw("justice_investigations") == {
        (2021, "sexual"): 1,
        (2022, "begging"): 1,
        (2022, "labour"): 1,
        (2022, "unknown"): 1,
        (2021, TOTAL): 1,
        (2022, TOTAL): 2,
        (TOTAL, "sexual"): 1,
        (TOTAL, "begging"): 1,
        (TOTAL, "labour"): 1,
        (TOTAL, "unknown"): 1,
        (TOTAL, TOTAL): 3,
    }
    # P1 indicted in 2021, P3 in 2022; P2 never charged.
    assert raw("justice_prosecutions") == {
        (2021, "sexual"): 1,
        (2022, "unknown"): 1,
        (2021, TOTAL): 1,
        (2022, TOTAL): 1,
        (TOTAL, "sexual"): 1,
        (TOTAL, "unknown"): 1,
        (TOTAL, TOTAL): 2,
    }
    # D1 convicted at first instance in 2022 and finally in 2023; D2 acquitted; D3's smuggling
    # (Art. 350) is not a trafficking offence.
    assert raw("justice_convictions") == {
        (2023, "sexual"): 1,
        (2023, TOTAL): 1,
        (TOTAL, "sexual"): 1,
        (TOTAL, TOTAL): 1,
    }
    first = raw("justice_convictions_first_instance")
    assert first[(2022, "sexual")] == 1 and first[(TOTAL, TOTAL)] == 1


def test_victims_by_compensation_and_the_median_days(example):
    # A paid (in part), B claimed, C (P2, 2022) none. The three test cases share one identity,
    # so the engine counts one person in each total.
    assert raw("justice_victims_compensation") == {
        (2021, "paid"): 1,
        (2021, "claimed"): 1,
        (2022, "none"): 1,
        (2021, TOTAL): 1,
        (2022, TOTAL): 1,
        (TOTAL, "paid"): 1,
        (TOTAL, "claimed"): 1,
        (TOTAL, "none"): 1,
        (TOTAL, TOTAL): 1,
    }
    # A: 15 Jan 2021 -> 10 May 2022 = 480 days; B: 1 Jun 2021 -> 10 May 2022 = 343 days; C never identified.
    assert identified_parts().count() == 2
    table = run_report(REPORTS["justice_time_to_verdict"], raw=True)
    medians = {m["year"]: m["median_days"] for m in selectors.verdict_medians(table)}
    assert medians == {2022: 411.5, None: 411.5}
    amounts = {
        (a["year"], a["compensation_status"]): a["amounts"]
        for a in selectors.compensation_amounts(run_report(REPORTS["justice_victims_compensation"], raw=True))
    }
    assert amounts[(2021, "paid")] == [{"currency": "RSD", "awarded": "300000.00", "paid": "100000.00"}]
    assert amounts[(2021, "claimed")] == []


def test_a_victim_without_statistics_consent_is_in_no_justice_count(example):
    # A withdraws the consent to "use in statistics": A's part leaves the counts, the medians
    # and the amounts; B (claimed, 343 days) and C (none) stay.
    a = ProceedingVictim.objects.get(proceeding__reference="P1", case__opened_on=D(2021, 1, 10)).case
    consent = a.consents.get(purpose=ConsentPurpose.STATISTICS)
    case_services.consent_withdraw(actor=fresh(example["police"]), consent=consent, withdrawn_on=D(2024, 1, 1))

    counts = raw("justice_victims_compensation")
    assert (2021, "paid") not in counts and counts[(2021, "claimed")] == 1
    assert identified_parts().count() == 1
    table = run_report(REPORTS["justice_time_to_verdict"], raw=True)
    assert {m["year"]: m["median_days"] for m in selectors.verdict_medians(table)} == {2022: 343.0, None: 343.0}
    amounts = {
        (a["year"], a["compensation_status"]): a["amounts"]
        for a in selectors.compensation_amounts(run_report(REPORTS["justice_victims_compensation"], raw=True))
    }
    assert amounts[(TOTAL, TOTAL)] == []


def test_small_counts_hide_their_amounts_and_medians(example):
    tables = {t.table.name: t for t in selectors.justice_statistics(fresh(example["analyst"]))}
    compensation = tables["justice_victims_compensation"]
    # Every count of one victim is suppressed, and so are the amounts beside it.
    assert all(a["suppressed"] and a["amounts"] is None for a in compensation.amounts if a["count"] != 0)
    assert all(m["suppressed"] and m["median_days"] is None for m in tables["justice_time_to_verdict"].medians)
    assert "Amounts awarded and paid are published only beside a count that is published." in (compensation.table.notes)


def test_who_reads_the_statistics(example):
    world = example
    for who in ("analyst", "coordinator", "police"):
        assert {t.table.name for t in selectors.justice_statistics(fresh(world[who]))} >= {"justice_convictions"}
    # Another police directorate reads the same national, suppressed tables.
    assert selectors.justice_statistics(member("ns-officer", "pu-ns", Role.FRONTLINE))
    for who in ("ngo", "socialwork", "centre", "admin"):
        with pytest.raises(PermissionDenied):
            selectors.justice_statistics(fresh(world[who]))


def test_the_api_and_page_publish_the_engine_tables(example):
    national = api(example["coordinator"]).get("/api/v1/justice/statistics/").json()
    assert national["threshold"] == 5
    by_name = {t["name"]: t for t in national["tables"]}
    cell = next(
        c for c in by_name["justice_prosecutions"]["cells"] if c["year"] == 2021 and c["exploitation"] == "sexual"
    )
    assert cell == {"year": 2021, "exploitation": "sexual", "count": None, "suppressed": True}
    assert all(m["median_days"] is None for m in by_name["justice_time_to_verdict"]["medians"])
    assert api(example["coordinator"]).get("/api/v1/justice/statistics/?year=2022").json()["tables"][0]["filters"] == {
        "year": [2022]
    }
    bad = api(example["coordinator"]).get("/api/v1/justice/statistics/?year=last")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["year"]
    assert api(example["ngo"]).get("/api/v1/justice/statistics/").status_code == 403

    client = Client()
    client.force_login(example["analyst"])
    page = client.get("/justice/statistics/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "/statistics/tables/justice_convictions/table.csv" in body and "300000" not in body
    for who in ("ngo", "socialwork"):
        client.force_login(example[who])
        assert client.get("/justice/statistics/").status_code == 404
    assert Client().get("/justice/statistics/").status_code == 302


def test_a_year_of_three_convictions_is_suppressed_and_cannot_be_worked_out(justice):
    police = justice["police"]
    p = services.proceeding_open(
        actor=fresh(police), organisation=org("pu-bg"), reference="F1", investigation_on=D(2022, 1, 5), forms=["sexual"]
    )
    q = services.proceeding_open(
        actor=fresh(police), organisation=org("pu-bg"), reference="F2", investigation_on=D(2022, 1, 5), forms=["sexual"]
    )
    for proceeding, year, n in ((p, 2023, 8), (q, 2024, 3)):
        for i in range(n):
            d = services.defendant_add(actor=fresh(police), proceeding=proceeding, name=f"D{i}", offences=["388"])
            services.verdict_record(
                actor=fresh(police),
                charge=d.charges.get(),
                instance="final",
                outcome="convicted",
                decided_on=D(year, 6, 1),
            )
    tables = {t.table.name: t.table for t in selectors.justice_statistics(fresh(justice["analyst"]))}
    table = tables["justice_convictions"]
    cells = {(c.key["year"], c.key["exploitation"]): c for c in (*table.cells, *table.totals)}
    assert cells[(2023, "sexual")].count == 8 or cells[(2023, "sexual")].suppressed
    assert cells[(2024, "sexual")].suppressed and cells[(2024, TOTAL)].suppressed
    # No line of the table gives the 3 away: wherever a count is hidden, a second one on its
    # row and on its column is hidden too.
    years, forms = [*table.domains[0], TOTAL], [*table.domains[1], TOTAL]
    for (year, form), cell in cells.items():
        if not cell.suppressed or cell.count == 0:
            continue
        row = [cells[(year, f)] for f in forms if f != form]
        column = [cells[(y, form)] for y in years if y != year]
        assert sum(c.suppressed for c in row) >= 1 and sum(c.suppressed for c in column) >= 1
    # Raw, the counts are as recorded.
    raw_table = count_table(by=["year", "exploitation"], population="convictions", raw=True)
    assert {(c.key["year"], c.key["exploitation"]): c.count for c in raw_table.cells if c.count} == {
        (2023, "sexual"): 8,
        (2024, "sexual"): 3,
    }


def test_amounts_are_published_beside_a_published_count(justice):
    police = justice["police"]
    cases = [
        open_case(police, identity={**IDENTITY, "given_name": f"Victim{i}", "document_number": f"X{i}"})
        for i in range(6)
    ]
    for case in cases:
        statistics_consent_of(police, case)
    p = services.proceeding_open(
        actor=fresh(police), organisation=org("pu-bg"), reference="C1", investigation_on=D(2024, 5, 1), cases=cases
    )
    for part in p.victims.all():
        services.victim_update(
            actor=fresh(police),
            part=part,
            expected_version=part.version,
            compensation_currency="RSD",
            compensation_claimed="2000",
            claimed_on=D(2024, 6, 1),
            compensation_awarded="1000",
            awarded_on=D(2024, 9, 1),
        )
    tables = {t.table.name: t for t in selectors.justice_statistics(fresh(justice["analyst"]))}
    amounts = {(a["year"], a["compensation_status"]): a for a in tables["justice_victims_compensation"].amounts}
    assert amounts[(2024, "awarded")]["count"] == 6
    assert amounts[(2024, "awarded")]["amounts"] == [{"currency": "RSD", "awarded": "6000.00", "paid": "0.00"}]
    assert amounts[(None, None)]["amounts"] == [{"currency": "RSD", "awarded": "6000.00", "paid": "0.00"}]


@pytest.mark.parametrize("name", [r for r in REPORTS if r.startswith(("justice_", "helpline_"))])
def test_the_tables_appear_on_the_statistics_pages(example, name):
    client = Client()
    client.force_login(example["analyst"])
    assert name in client.get("/statistics/").content.decode()
    assert client.get(f"/statistics/tables/{name}/").status_code == 200
    csv = client.get(f"/statistics/tables/{name}/table.csv?year_from=2022&year_to=2022")
    assert csv.status_code == 200
    assert api(example["analyst"]).get(f"/api/v1/stats/tables/{name}/").status_code == 200


def test_the_api_schema_builds(justice):
    response = api(justice["analyst"]).get("/api/v1/schema/")
    assert response.status_code == 200
