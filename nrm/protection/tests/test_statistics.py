"""GRETA's tables through the statistics engine, on a worked example whose every count is worked out.

Cases of the Centre for Social Work Belgrade (and one of the Belgrade police), each person with
the consent "use in statistics":

- A (Ukrainian, exploited in Serbia; opened 2023): reflection period requested 1 Mar 2023, granted;
  residence permit applied 1 Apr 2023, granted on humanitarian grounds; non-punishment applied 1 Jun 2023.
- D, the same person as A (same identity, so the same linkage key) at the police (opened 2023):
  reflection period requested 2 Mar 2023, granted. A and D are one person in every count.
- B (Serbian, an episode in Germany; opened 2023): reflection period requested 1 May 2023, refused;
  permit applied 10 Jan 2024, pending; assisted voluntary return 1 Feb 2024 with a risk assessment;
  non-punishment not applied (no date: counted in the year the case was opened, 2023).
- C (Serbian, exploited in Serbia; opened 2024): reflection period requested 1 Feb 2024, pending;
  forced return 1 Mar 2024 without a risk assessment; non-punishment not relevant (not counted).
- E (nothing known of countries; opened 2024): no protection measure; scope unknown.
- F (Serbian, exploited in Serbia; opened 2024), without the consent: in no count.

So: reflection periods 2023 granted 1 (A/D), 2023 refused 1 (B), 2024 pending 1 (C); permits
granted/humanitarian 1, pending/unknown 1; returns 2024 voluntary 1, 2024 forced 1 (risk yes 1,
no 1); non-punishment 2023 applied 1, not applied 1; victims 2023 cross-border 2 (A/D, B), 2024
internal 1 (C), unknown 1 (E).
"""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.cases import services as case_services
from nrm.cases.tests.helpers import IDENTITY, member, open_case, statistics_consent_of
from nrm.protection import services
from nrm.reporting.engine import TOTAL, count_table
from nrm.reporting.selectors import run_report
from nrm.reporting.tables import REPORTS

D = dt.date


@pytest.fixture
def example(world):
    sw = world["socialwork"]
    pcw = member("g-pcw", "pu-bg", Role.CASEWORKER)

    def case(name, actor=sw, org="csr-bg", consent=True, **kwargs):
        c = open_case(actor, org, identity=dict(IDENTITY, given_name=name), forms=[], **kwargs)
        if consent:
            statistics_consent_of(actor, c)
        return c

    def put(actor, c, **values):
        services.protection_set(actor=fresh(actor), case=c, **values)

    a = case("Ana", citizenship="UA", country_of_exploitation="RS", opened_on=D(2023, 2, 1))
    d = case("Ana", actor=pcw, org="pu-bg", citizenship="UA", country_of_exploitation="RS", opened_on=D(2023, 2, 20))
    b = case("Bea", citizenship="RS", opened_on=D(2023, 4, 1))
    case_services.episode_add(actor=fresh(sw), case=b, form="labour", country="DE")
    c = case("Cea", citizenship="RS", country_of_exploitation="RS", opened_on=D(2024, 1, 5))
    case("Eda", citizenship="", opened_on=D(2024, 1, 6))
    f = case("Fea", citizenship="RS", country_of_exploitation="RS", opened_on=D(2024, 1, 7), consent=False)
    granted = {"reflection_decision": "granted", "reflection_decided_on": D(2023, 3, 10), "reflection_days": 30}
    put(
        sw,
        a,
        reflection_requested_on=D(2023, 3, 1),
        **granted,
        permit_applied_on=D(2023, 4, 1),
        permit_decision="granted",
        permit_kind="humanitarian",
        permit_decided_on=D(2023, 5, 1),
        non_punishment="yes",
        non_punishment_on=D(2023, 6, 1),
        non_punishment_authority="Basic Court Belgrade",
    )
    put(pcw, d, reflection_requested_on=D(2023, 3, 2), **granted)
    put(
        sw,
        b,
        reflection_requested_on=D(2023, 5, 1),
        reflection_decision="refused",
        reflection_decided_on=D(2023, 5, 5),
        permit_applied_on=D(2024, 1, 10),
        return_kind="voluntary",
        return_on=D(2024, 2, 1),
        return_country="RS",
        return_risk_assessed="yes",
        non_punishment="no",
    )
    put(
        sw,
        c,
        reflection_requested_on=D(2024, 2, 1),
        return_kind="forced",
        return_on=D(2024, 3, 1),
        return_risk_assessed="no",
        non_punishment="not_relevant",
    )
    # Without the consent F counts nowhere, whatever it records.
    put(sw, f, reflection_requested_on=D(2024, 2, 1), return_kind="forced", non_punishment="yes")
    return world


def counts(name: str) -> dict:
    """Return the raw cells and margins of the standard table ``name``, zeros left out."""
    report = REPORTS[name]
    table = count_table(by=list(report.dims), population=report.population, raw=True)
    return {tuple(c.key.values()): c.count for c in (*table.cells, *table.totals) if c.count}


def test_reflection_periods_by_year_and_decision(example):
    assert counts("greta_reflection_periods") == {
        (2023, "granted"): 1,
        (2023, "refused"): 1,
        (2024, "pending"): 1,
        (2023, TOTAL): 2,
        (2024, TOTAL): 1,
        (TOTAL, "granted"): 1,
        (TOTAL, "refused"): 1,
        (TOTAL, "pending"): 1,
        (TOTAL, TOTAL): 3,  # the requests: A and D are one person
    }


def test_residence_permits_by_decision_and_kind(example):
    assert counts("greta_residence_permits") == {
        ("granted", "humanitarian"): 1,
        ("pending", "unknown"): 1,
        ("granted", TOTAL): 1,
        ("pending", TOTAL): 1,
        (TOTAL, "humanitarian"): 1,
        (TOTAL, "unknown"): 1,
        (TOTAL, TOTAL): 2,
    }


def test_returns_by_kind_and_risk_assessment(example):
    assert counts("greta_returns") == {
        (2024, "voluntary"): 1,
        (2024, "forced"): 1,
        (2024, TOTAL): 2,
        (TOTAL, "voluntary"): 1,
        (TOTAL, "forced"): 1,
        (TOTAL, TOTAL): 2,
    }
    cells = counts("greta_returns_risk")
    assert cells[("voluntary", "yes")] == 1 and cells[("forced", "no")] == 1 and cells[(TOTAL, TOTAL)] == 2
    assert ("voluntary", "no") not in cells


def test_non_punishment_applied_or_not(example):
    assert counts("greta_non_punishment") == {
        (2023, "yes"): 1,
        (2023, "no"): 1,
        (2023, TOTAL): 2,
        (TOTAL, "yes"): 1,
        (TOTAL, "no"): 1,
        (TOTAL, TOTAL): 2,
    }


def test_internal_and_cross_border_victims_by_year(example):
    assert counts("greta_scope") == {
        (2023, "cross_border"): 2,
        (2024, "internal"): 1,
        (2024, "unknown"): 1,
        (2023, TOTAL): 2,
        (2024, TOTAL): 2,
        (TOTAL, "cross_border"): 2,
        (TOTAL, "internal"): 1,
        (TOTAL, "unknown"): 1,
        (TOTAL, TOTAL): 4,
    }


@pytest.mark.parametrize(
    "name", [n for n, r in REPORTS.items() if r.family == "greta" and r.population.startswith("greta_")]
)
def test_published_tables_pass_disclosure_control(example, name):
    """Published, every count of the example is under the threshold: nothing leaves but zeros."""
    table = run_report(REPORTS[name])
    assert table.grand_total().suppressed
    assert all(c.suppressed or c.count == 0 for c in (*table.cells, *table.totals))
