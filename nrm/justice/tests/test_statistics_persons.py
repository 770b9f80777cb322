"""Eurostat's justice counts: suspected, prosecuted and convicted persons by sex, age group and citizenship group."""

from __future__ import annotations

import datetime as dt

from conftest import fresh
from nrm.cases.tests.helpers import org
from nrm.justice import services
from nrm.reporting.engine import TOTAL, count_table
from nrm.reporting.selectors import run_report
from nrm.reporting.tables import REPORTS

D = dt.date


def raw(name: str) -> dict:
    table = run_report(REPORTS[name], raw=True)
    return {tuple(c.key[d] for d in table.dims): c.count for c in (*table.cells, *table.totals) if c.count}


def scene(world) -> None:
    """P1 (2021): A (woman, Serbian, 1980), B (man, German, 2005: 16 in 2021), C (man, Ukrainian, unknown age),
    E (man, smuggling only, not a trafficking suspect). Indicted in 2022; A convicted finally in 2023, B
    acquitted, C convicted at first instance only. P2 (2022): F (man, Serbian), never charged.
    """
    police = lambda: fresh(world["police"])  # noqa: E731
    p1 = services.proceeding_open(
        actor=police(), organisation=org("pu-bg"), reference="E1", investigation_on=D(2021, 3, 1)
    )
    a = services.defendant_add(
        actor=police(), proceeding=p1, name="A", sex="F", birth_year=1980, citizenship="RS", offences=["388"]
    )
    b = services.defendant_add(
        actor=police(), proceeding=p1, name="B", sex="M", birth_year=2005, citizenship="DE", offences=["388"]
    )
    c = services.defendant_add(
        actor=police(), proceeding=p1, name="C", sex="M", citizenship="UA", offences=["388", "350"]
    )
    services.defendant_add(actor=police(), proceeding=p1, name="E", sex="M", citizenship="RS", offences=["350"])
    p1 = services.proceeding_advance(
        actor=police(), proceeding=p1, stage="indictment", on=D(2022, 2, 1), expected_version=p1.version
    )
    for defendant, outcome in ((a, "convicted"), (b, "acquitted"), (c, "convicted")):
        services.verdict_record(
            actor=police(),
            charge=defendant.charges.get(offence__code="388"),
            instance="first",
            outcome=outcome,
            decided_on=D(2022, 9, 1),
        )
    services.verdict_record(
        actor=police(), charge=a.charges.get(), instance="final", outcome="convicted", decided_on=D(2023, 4, 1)
    )
    p2 = services.proceeding_open(
        actor=police(), organisation=org("pu-bg"), reference="E2", investigation_on=D(2022, 5, 1)
    )
    services.defendant_add(
        actor=police(), proceeding=p2, name="F", sex="M", birth_year=1990, citizenship="RS", offences=["389"]
    )


def test_suspected_prosecuted_and_convicted_persons_worked_example(justice):
    scene(justice)

    suspected = raw("justice_suspected_sex_age")
    assert suspected[(2021, "F", "adult")] == 1  # A
    assert suspected[(2021, "M", "child")] == 1  # B, 16 in 2021
    assert suspected[(2021, "M", "unknown")] == 1  # C
    assert suspected[(2021, TOTAL, TOTAL)] == 3  # E (smuggling only) is not a trafficking suspect
    assert suspected[(2022, "M", "adult")] == 1  # F
    assert suspected[(TOTAL, TOTAL, TOTAL)] == 4

    prosecuted = raw("justice_prosecuted_sex_age")
    assert prosecuted[(2022, "F", "adult")] == 1
    assert prosecuted[(2022, "M", "child")] == 1  # B: 17 in the year of the indictment
    assert prosecuted[(2022, "M", "unknown")] == 1  # C
    assert prosecuted[(TOTAL, TOTAL, TOTAL)] == 3  # A, B, C: F never charged

    convicted = raw("justice_convicted_sex_age")  # final verdicts only: C's first-instance one is not
    assert convicted == {
        (2023, "F", "adult"): 1,
        (2023, "F", TOTAL): 1,
        (2023, TOTAL, "adult"): 1,
        (2023, TOTAL, TOTAL): 1,
        (TOTAL, "F", "adult"): 1,
        (TOTAL, "F", TOTAL): 1,
        (TOTAL, TOTAL, "adult"): 1,
        (TOTAL, TOTAL, TOTAL): 1,
    }

    by_group = raw("justice_suspected_citizenship")
    assert by_group[(TOTAL, "national", TOTAL)] == 2  # A, F
    assert by_group[(TOTAL, "eu", "M")] == 1  # B
    assert by_group[(TOTAL, "non_eu", "M")] == 1  # C
    assert raw("justice_prosecuted_citizenship")[(2022, TOTAL, TOTAL)] == 3
    assert raw("justice_convicted_citizenship")[(2023, "national", "F")] == 1


def test_the_persons_tables_go_through_disclosure_control(justice):
    scene(justice)
    for name in [n for n in REPORTS if n.startswith(("justice_suspected", "justice_prosecuted", "justice_convicted"))]:
        report = REPORTS[name]
        table = count_table(by=list(report.dims), population=report.population, fixed=report.filters, name=name)
        assert table.grand_total().suppressed, name  # 1 to 4 persons: under the threshold
