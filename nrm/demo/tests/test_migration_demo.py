"""The demo fills the migration tables (issue K): asylum procedures, unaccompanied or separated children."""

from __future__ import annotations

import datetime as dt

from nrm.cases.models import Case
from nrm.cases.selectors import identified_on_disagreements
from nrm.children.models import Guardian
from nrm.demo.generator import generate
from nrm.reporting.selectors import run_report
from nrm.reporting.tables import REPORTS

END = dt.date(2025, 6, 1)


def cells(name: str) -> dict[tuple, int]:
    table = run_report(REPORTS[name], raw=True)
    return {tuple(c.key[d] for d in table.dims): c.count for c in table.cells if c.count}


def test_the_demo_fills_the_asylum_and_unaccompanied_children_tables(world):
    generate(seed=2017, start_year=2022, end_date=END, per_year=(40, 40))

    procedures = {status for (_year, status) in cells("migration_victims_by_asylum_procedure")}
    assert procedures & {"ongoing", "refugee", "subsidiary", "refused", "withdrawn"}, procedures
    assert "not_applied" in procedures
    children = cells("migration_unaccompanied_separated_children")
    assert children and {status for (_y, status, _sex) in children} <= {"unaccompanied", "separated"}
    assert {status for (_y, status) in cells("migration_victims_by_status")} - {"national", "unknown"}
    assert cells("migration_asylum_referrals")
    # Only foreign victims are in an asylum procedure; an unaccompanied child has a guardian, mostly.
    assert not Case.objects.filter(person__citizenship="RS").exclude(asylum_status="unknown").exists()
    alone = Case.objects.filter(child_status__in=["unaccompanied", "separated"])
    assert Guardian.objects.filter(case__in=alone).exists()
    assert not Case.objects.filter(is_child=False).exclude(child_status="unknown").exists()
    # The demo's decisions leave identified_on as the decision service does.
    assert Case.objects.filter(identified_on__isnull=False).exists()
    assert not identified_on_disagreements().exists()
