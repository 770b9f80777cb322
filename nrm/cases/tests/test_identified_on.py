"""``Case.identified_on`` (issue K): the decision date statistics count by, kept on the case by every writer."""

from __future__ import annotations

import datetime as dt
import io
from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db.models import Case as Choice
from django.db.models import Count, DateField, F, OuterRef, Subquery, When
from django.db.models.functions import Coalesce, ExtractYear

from conftest import fresh
from nrm.cases import services as case_services
from nrm.cases.choices import Decision
from nrm.cases.models import Case, Identification
from nrm.cases.selectors import cases_usable_for_statistics, identified_on_disagreements
from nrm.cases.tests.helpers import org
from nrm.reporting.engine import TOTAL, count_table
from nrm.reporting.tests.helpers import decide, victim


def lookup_year():
    """The year the statistics counted a case by before the column: the per-table subquery, verbatim."""
    decided = (
        Identification.objects.filter(case_id=OuterRef("pk"), decision="identified")
        .order_by("-decided_on", "-id")
        .values("decided_on")[:1]
    )
    identified_on = Coalesce(Subquery(decided, output_field=DateField()), F("opened_on"), output_field=DateField())
    return ExtractYear(Choice(When(identification_status="identified", then=identified_on), default=F("opened_on")))


def by_year(population: str) -> dict[int, int]:
    table = count_table(by=["year"], population=population, raw=True)
    return {c.key["year"]: c.count for c in table.cells if c.count}


def looked_up(population: str) -> dict[int, int]:
    qs = cases_usable_for_statistics()
    if population == "identified":
        qs = qs.filter(identification_status="identified")
    else:
        qs = qs.exclude(identification_status="not_identified")
    rows = qs.annotate(y=lookup_year()).values("y").annotate(n=Count("person_id", distinct=True))
    return {r["y"]: r["n"] for r in rows}


def stored(case: Case) -> dt.date | None:
    return Case.objects.values_list("identified_on", flat=True).get(pk=case.pk)


def decide_again(world, case: Case, decision: str, on: dt.date) -> None:
    """A further decision of the Centre on a case it already decided (the referral stands)."""
    case_services.identification_decide(
        actor=fresh(world["centre"]),
        case=Case.objects.get(pk=case.pk),
        decision=decision,
        grounds="Review.",
        decided_on=on,
    )


def test_the_column_follows_a_decision_a_changed_one_and_an_overturned_one(world):
    case = victim(world["police"], opened_on=dt.date(2023, 12, 20))
    assert stored(case) is None  # opened: pending, counted by its opening
    decide(world, case, Decision.PENDING, on=dt.date(2023, 12, 22))
    assert stored(case) is None

    decide_again(world, case, Decision.IDENTIFIED, dt.date(2024, 1, 10))
    assert stored(case) == dt.date(2024, 1, 10)
    decide_again(world, case, Decision.IDENTIFIED, dt.date(2024, 2, 1))  # a new decision 'identified'
    assert stored(case) == dt.date(2024, 2, 1)
    decide_again(world, case, Decision.NOT_IDENTIFIED, dt.date(2024, 3, 1))  # overturned
    assert stored(case) is None
    decide_again(world, case, Decision.IDENTIFIED, dt.date(2024, 4, 1))
    assert stored(case) == dt.date(2024, 4, 1)
    decide_again(world, case, Decision.DISCONTINUED, dt.date(2024, 5, 1))  # withdrawn
    assert stored(case) is None
    # Identified again by a decision dated before an earlier one: the latest-dated stays in force,
    # as the lookup it replaces read it.
    decide_again(world, case, Decision.IDENTIFIED, dt.date(2024, 1, 20))
    assert stored(case) == dt.date(2024, 4, 1)
    assert not identified_on_disagreements().exists()


def test_the_tables_count_as_the_lookup_they_replace(world):
    """Worked example: the year each table gives is the one the per-table subquery gave."""
    police = world["police"]
    late = victim(police, opened_on=dt.date(2023, 12, 20))
    decide(world, late, on=dt.date(2024, 1, 10))  # identified in 2024
    early = victim(police, opened_on=dt.date(2023, 3, 1), sex="M")
    decide(world, early, on=dt.date(2023, 3, 20))  # identified in 2023
    overturned = victim(police, opened_on=dt.date(2022, 6, 1))
    decide(world, overturned, on=dt.date(2022, 7, 1))
    decide_again(world, overturned, Decision.NOT_IDENTIFIED, dt.date(2023, 2, 1))  # out of both
    twice = victim(police, opened_on=dt.date(2021, 11, 1))
    decide(world, twice, Decision.DISCONTINUED, on=dt.date(2021, 12, 1))
    decide_again(world, twice, Decision.IDENTIFIED, dt.date(2022, 1, 5))  # identified in 2022
    victim(police, opened_on=dt.date(2023, 12, 28))  # presumed: by its opening
    # An identified case whose decision is not recorded (an old import): by its opening, as before.
    bare = victim(police, opened_on=dt.date(2020, 5, 5))
    Case.objects.filter(pk=bare.pk).update(identification_status="identified")

    assert by_year("identified") == looked_up("identified") == {2020: 1, 2022: 1, 2023: 1, 2024: 1}
    assert by_year("registered") == looked_up("registered") == {2020: 1, 2022: 1, 2023: 2, 2024: 1}
    table = count_table(by=["year", "victim_status"], population="registered", raw=True)
    identified = {c.key["year"]: c.count for c in table.cells if c.key["victim_status"] == "identified" and c.count}
    assert identified == {2020: 1, 2022: 1, 2023: 1, 2024: 1}
    assert {c.key["year"]: c.count for c in table.totals if c.key["victim_status"] == TOTAL}[TOTAL] == 5


def test_bulk_opening_with_a_decision_sets_the_column(world):
    drafts = [
        case_services.CaseDraft(
            open={"opened_on": dt.date(2024, 1, 3), "identity": {"given_name": "Bulk", "family_name": f"Id{i}"}},
            decision=decision,
            grounds="Imported decision.",
            decided_on=dt.date(2024, 2, i + 1),
        )
        for i, decision in enumerate([Decision.IDENTIFIED, Decision.NOT_IDENTIFIED, Decision.PENDING])
    ]
    cases = case_services.cases_open_bulk(
        actor=fresh(world["centre"]), organisation=org("centre"), drafts=drafts, source="test"
    )
    assert [stored(c) for c in cases] == [dt.date(2024, 2, 1), None, None]
    assert not identified_on_disagreements().exists()


def stats(*args) -> str:
    out = io.StringIO()
    call_command("stats", *args, stdout=out)
    return out.getvalue()


def test_the_check_names_cases_that_disagree_and_rebuild_sets_them(world):
    case = victim(world["police"], opened_on=dt.date(2024, 1, 3))
    decide(world, case, on=dt.date(2024, 2, 1))
    other = victim(world["police"], opened_on=dt.date(2024, 1, 3))
    assert "every case agrees" in stats("--check")

    # Written around the services: a wrong date on one, a date on a case not identified.
    Case.objects.filter(pk=case.pk).update(identified_on=dt.date(2023, 1, 1))
    Case.objects.filter(pk=other.pk).update(identified_on=dt.date(2024, 1, 5))
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 case"):
        call_command("stats", "--check", stdout=out)
    case.refresh_from_db()
    other.refresh_from_db()
    assert f"{case.reference}: identified_on 2023-01-01, decisions give 2024-02-01" in out.getvalue()
    assert f"{other.reference}: identified_on 2024-01-05, decisions give empty" in out.getvalue()
    assert stored(case) == dt.date(2023, 1, 1)  # the check changes nothing

    assert "identified_on: 2 cases disagreed" in stats("--rebuild")
    assert (stored(case), stored(other)) == (dt.date(2024, 2, 1), None)
    assert "every case agrees" in stats("--check")


def test_the_migration_fills_existing_cases(world):
    identified = victim(world["police"], opened_on=dt.date(2023, 5, 1))
    decide(world, identified, on=dt.date(2023, 6, 1))
    overturned = victim(world["police"], opened_on=dt.date(2023, 5, 1))
    decide(world, overturned, on=dt.date(2023, 6, 1))
    decide_again(world, overturned, Decision.NOT_IDENTIFIED, dt.date(2023, 7, 1))
    Case.objects.update(identified_on=None)  # as the column is when added

    import_module("nrm.cases.migrations.0017_case_identified_on").fill(apps, None)
    assert (stored(identified), stored(overturned)) == (dt.date(2023, 6, 1), None)
    assert not identified_on_disagreements().exists()
