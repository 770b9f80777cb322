"""Issue E: reading one case finds it by its key, not by listing every case its reader may see."""

from __future__ import annotations

import pytest
from django.db import connection

from nrm.accounts.access import Action, restrict
from nrm.cases.models import Case

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan (EXPLAIN QUERY PLAN)")


@pytest.mark.parametrize("who", ["socialwork", "ngo", "centre"])
def test_the_case_rule_reads_one_case_not_every_visible_one(world, who):
    # At 40,000 cases the rule's old form (pk IN every visible case, joined to their referrals)
    # cost 26 ms a read, materialised on every request; the key alone must decide.
    sql, params = restrict(Case.objects.all(), world[who], Action.VIEW).filter(pk=7).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = [row[-1] for row in cursor.fetchall()]
    on_cases = [step for step in plan if "cases_case" in step]
    assert on_cases == ["SEARCH cases_case USING INTEGER PRIMARY KEY (rowid=?)"], plan
