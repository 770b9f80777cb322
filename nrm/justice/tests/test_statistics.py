"""Justice statistics on a hand-made example whose every figure is worked out below.

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
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.cases import services as case_services
from nrm.cases.tests.helpers import api, member, move, open_case, org, refer, share
from nrm.justice import selectors, services
from nrm.justice.models import Proceeding
from nrm.referrals.choices import ReferralStatus

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


def row(year, form, inv=0, pros=0, prosecuted=0, first=0, final=0):
    return {
        "year": year,
        "form": form,
        "investigations": inv,
        "prosecutions": pros,
        "prosecuted": prosecuted,
        "convicted_first_instance": first,
        "convicted": final,
    }


PROSECUTIONS = [
    row(2021, "sexual", inv=1, pros=1, prosecuted=2),
    row(2022, "begging", inv=1),
    row(2022, "labour", inv=1),
    row(2022, "sexual", first=1),  # D1; D2 was acquitted
    row(2022, "unknown", inv=1, pros=1),  # P3: smuggling is not a trafficking offence, nobody counted
    row(2023, "sexual", final=1),
]


def test_investigations_prosecutions_and_convictions_by_year_and_form(example):
    assert selectors.prosecution_rows(Proceeding.objects.all()) == PROSECUTIONS


def test_compensation_by_year_and_currency(example):
    zero = {"claims": 0, "claimed": 0, "awards": 0, "awarded": 0, "payments": 0, "paid": 0}
    assert selectors.compensation_rows(Proceeding.objects.all()) == [
        {"year": 2021, "currency": "EUR", **zero, "claims": 1, "claimed": Decimal("10000.00")},
        {"year": 2021, "currency": "RSD", **zero, "claims": 1, "claimed": Decimal("500000.00")},
        {"year": 2022, "currency": "RSD", **zero, "awards": 1, "awarded": Decimal("300000.00")},
        {"year": 2023, "currency": "RSD", **zero, "payments": 1, "paid": Decimal("100000.00")},
    ]


def test_median_days_from_identification_to_verdict(example):
    # A: 15 Jan 2021 -> 10 May 2022 = 480 days, -> 1 Feb 2023 = 747 days.
    # B:  1 Jun 2021 -> 10 May 2022 = 343 days, -> 1 Feb 2023 = 610 days. C was never identified.
    assert selectors.time_to_verdict_rows(Proceeding.objects.all()) == [
        {"instance": "first", "year": 2022, "victims": 2, "median_days": 411.5},
        {"instance": "first", "year": None, "victims": 2, "median_days": 411.5},
        {"instance": "final", "year": 2023, "victims": 2, "median_days": 678.5},
        {"instance": "final", "year": None, "victims": 2, "median_days": 678.5},
    ]


def test_who_reads_which_statistics(example):
    world = example
    assert selectors.justice_prosecutions(fresh(world["analyst"])) == PROSECUTIONS
    assert selectors.justice_prosecutions(fresh(world["police"])) == PROSECUTIONS
    # Another police directorate counts its own proceedings: none.
    assert selectors.justice_prosecutions(member("ns-officer", "pu-ns", Role.FRONTLINE)) == []
    for who in ("ngo", "socialwork", "centre", "admin"):
        with pytest.raises(PermissionDenied):
            selectors.justice_prosecutions(fresh(world[who]))


def test_the_api_suppresses_small_cells_for_national_readers_only(example):
    national = api(example["coordinator"]).get("/api/v1/justice/statistics/compensation/").json()
    assert (national["national"], national["threshold"]) == (True, 5)
    first = national["results"][0]
    # One claim: the count and its amount are hidden; zeros stay.
    assert first == {
        "year": 2021,
        "currency": "EUR",
        "claims": None,
        "claimed": None,
        "awards": 0,
        "awarded": "0.00",
        "payments": 0,
        "paid": "0.00",
    }
    own = api(example["police"]).get("/api/v1/justice/statistics/compensation/").json()
    assert own["national"] is False and own["threshold"] is None
    assert own["results"][1]["claimed"] == "500000.00"
    times = api(example["analyst"]).get("/api/v1/justice/statistics/time-to-verdict/").json()["results"]
    assert {(r["victims"], r["median_days"]) for r in times} == {(None, None)}
    assert api(example["ngo"]).get("/api/v1/justice/statistics/prosecutions/").status_code == 403
