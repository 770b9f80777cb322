"""Issue E: the rules written for one case select the same rows as the rules for lists.

Reading one case (and the records hanging on it) looks the case's referrals up by the case
(``case_filter(..., one=True)``, :func:`on_case`) instead of listing every case the reader may
see first. Same answers for every persona, action and kind of case; and on SQLite the plans of
a case read by the identification centre no longer walk its referrals.
"""

from __future__ import annotations

import pytest
from django.db import connection

from conftest import fresh
from nrm.accounts import access
from nrm.accounts.access import Action, registered_models, restrict, rule_for
from nrm.accounts.tests.test_access_loaded import _cases
from nrm.cases import access as case_access
from nrm.cases.access import case_filter, case_record_rule
from nrm.cases.models import Case
from nrm.cases.tests.helpers import member, open_case

pytestmark = pytest.mark.django_db


def _users(world):
    both = member("two-hats", "centre", "frontline")
    member("two-hats", "ngo-sigurna", "caseworker")
    return [fresh(u) for u in (*world.values(), both)]


def _with_a_merged_case(world) -> list[Case]:
    cases = _cases(world)
    absorbed = open_case(world["socialwork"], "csr-bg")
    Case.objects.filter(pk=absorbed.pk).update(merged_into=cases[0])  # gone for everyone, as after a merge
    return [*cases, absorbed]


def test_one_case_rule_selects_the_cases_of_the_list_rule(world):
    cases = _with_a_merged_case(world)
    ids = [c.pk for c in cases]
    compared = 0
    for user in _users(world):
        for action in Action:
            listed = set(Case.objects.filter(case_filter(user, action), pk__in=ids).values_list("pk", flat=True))
            one = set(Case.objects.filter(case_filter(user, action, one=True), pk__in=ids).values_list("pk", flat=True))
            assert one == listed, (user.username, action)
            for pk in ids:  # and case by case, as a read of one case asks
                found = restrict(Case.objects.filter(pk=pk), user, action, one=True).exists()
                assert found == (pk in listed), (user.username, action, pk)
            compared += 1
    assert compared == len(_users(world)) * len(Action)
    assert access.one_row_rule_for(Case) is case_access.one_case_rule


def test_records_on_a_case_follow_the_case_rule(world):
    cases = _with_a_merged_case(world)
    models = [m for m in registered_models() if rule_for(m) is case_record_rule]
    assert {m.__name__ for m in models} >= {"CaseFlag", "Consent"}
    seen_rows = 0
    for user in _users(world):
        for action in (Action.VIEW, Action.MANAGE):
            visible = set(Case.objects.filter(case_filter(user, action)).values_list("pk", flat=True))
            for model in models:
                rows = model.objects.filter(case__in=[c.pk for c in cases])
                expected = {pk for pk, case_id in rows.values_list("pk", "case_id") if case_id in visible}
                got = set(restrict(rows, user, action).values_list("pk", flat=True))
                assert got == expected, (user.username, action, model.__name__)
                seen_rows += len(got)
    assert seen_rows > 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plans (EXPLAIN QUERY PLAN)")
def test_reading_one_case_does_not_walk_the_readers_referrals(world):
    from nrm.cases.selectors import case_get

    cases = _cases(world)
    statements = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    centre = fresh(world["centre"])
    with connection.execute_wrapper(capture):
        case_get(centre, cases[0].pk)
    walks = []
    with connection.cursor() as cursor:
        for sql, params in statements:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            for *_ids, detail in cursor.fetchall():
                # A search of the referrals by their receiver alone reads every referral to it.
                if "referrals_r" in detail and "(to_org_id=?" in detail and "case_id=?" not in detail:
                    walks.append(detail)
    assert statements and not walks, walks
