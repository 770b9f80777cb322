"""The screenings' analytics table equals a fresh GROUP BY after every kind of write.

Each test writes screenings one way (the service, the bulk generator, an edit, an update that
moves no count, deletes one by one and in bulk, raw SQL, restore), then compares the table with
a GROUP BY of the screenings, and the engine's tables with counts made from the rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection

from conftest import PRESUMED_ADULT, fresh
from nrm.accounts.models import Organisation, OrganisationType
from nrm.cases import services
from nrm.cases.models import Screening
from nrm.cases.tests.helpers import org
from nrm.demo.bulk import generate_bulk
from nrm.reporting import aggregates
from nrm.reporting.engine import TOTAL, compute
from nrm.reporting.models import ScreeningCount


def exact() -> None:
    """Assert the table equals a GROUP BY of the screenings, holds no zero row, and the engine agrees."""
    assert aggregates.differences() == {}
    assert not ScreeningCount.objects.filter(n__lte=0).exists()
    cube = compute(by=["year", "sex", "referral_source"], population="screenings")
    rows = Counter(
        (on.year, sex or "unknown", code)
        for on, sex, code in Screening.objects.values_list("screened_on", "sex", "organisation__type__code")
    )
    assert {k: v for k, v in cube.counts.items() if TOTAL not in k and v} == dict(rows)
    assert cube.counts.get((TOTAL, TOTAL, TOTAL), 0) == sum(rows.values())


def screen(world, code: str = "pu-bg", **kwargs) -> Screening:
    values = {"answers": PRESUMED_ADULT, "is_child": False, "anonymous": True} | kwargs
    return services.screening_record(actor=fresh(world["police"]), organisation=org(code), **values)


def test_the_services_write_the_counts_in_their_transaction(world):
    assert aggregates.total() == Screening.objects.count()
    before = aggregates.total()
    screen(world, sex="F", age_band="25-34", citizenship="UA", screened_on=dt.date(2023, 5, 1))
    screen(world, sex="F", age_band="25-34", citizenship="UA", screened_on=dt.date(2023, 9, 1))
    screen(world, sex="M", screened_on=dt.date(2024, 1, 2), region="Beograd")
    assert aggregates.total() == before + 3
    key = {"year": 2023, "sex": "F", "age_band": "25-34", "citizenship": "UA", "is_child": False}
    assert ScreeningCount.objects.get(**key, organisation=org("pu-bg")).n == 2
    exact()


def test_the_bulk_generator(world):
    generate_bulk(screenings=300, seed=3)
    assert aggregates.total() == Screening.objects.count() >= 300
    exact()


def test_edits_move_a_count_and_other_updates_leave_it(world):
    a = screen(world, sex="F", screened_on=dt.date(2023, 5, 1))
    b = screen(world, sex="F", screened_on=dt.date(2023, 5, 1))
    # A dimension changed on one row (save) and on several (update): the counts move.
    a.sex, a.screened_on = "M", dt.date(2022, 12, 31)
    a.save()
    exact()
    Screening.objects.filter(pk__in=[a.pk, b.pk]).update(age_band="45+", is_child=True, citizenship="AF")
    exact()
    Screening.objects.filter(pk=b.pk).update(organisation=org("ngo-sigurna"), region="Novi Sad")
    exact()
    # The same year, or columns no count holds (retention blanks the notes so): nothing moves.
    stored = aggregates.stored()
    Screening.objects.filter(pk=b.pk).update(screened_on=dt.date(2023, 12, 1), notes="", channel="outreach")
    assert aggregates.stored() == stored
    exact()


def test_deletes_one_by_one_and_in_bulk_leave_no_zero_row(world):
    rows = [screen(world, sex="X", screened_on=dt.date(2021, 1, 1)) for _ in range(3)]
    rows[0].delete()
    exact()
    Screening.objects.filter(pk__in=[r.pk for r in rows[1:]]).delete()
    assert not ScreeningCount.objects.filter(sex="X", year=2021).exists()
    exact()
    Screening.objects.all().delete()
    assert not ScreeningCount.objects.exists()
    exact()


def test_raw_sql_writes_are_counted_too(world):
    s = screen(world, sex="F", screened_on=dt.date(2024, 2, 2))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_screening SET sex = %s WHERE id = %s", ["M", s.pk])
        cursor.execute("DELETE FROM cases_screening WHERE id = %s", [s.pk])
    exact()


def test_an_organisation_changing_type_moves_its_screenings_at_once(world):
    screen(world, code="pu-bg", sex="F")
    ngo = OrganisationType.objects.get(code="ngo")
    Organisation.objects.filter(code="pu-bg").update(type=ngo)
    exact()


def test_rebuild_finds_and_repairs_what_was_written_around_the_triggers(world):
    screen(world, sex="F", screened_on=dt.date(2024, 2, 2))
    ScreeningCount.objects.filter(year=2024, sex="F").update(n=99)
    ScreeningCount.objects.create(
        year=1999, sex="M", age_band="", is_child=False, citizenship="", region="", organisation=org("pu-bg"), n=4
    )
    assert len(aggregates.differences()) == 2
    assert aggregates.rebuild() == 2
    exact()
    assert aggregates.rebuild() == 0


def test_the_command_rebuilds_and_says_what_was_wrong(world, capsys):
    screen(world)
    ScreeningCount.objects.all().delete()
    call_command("stats", "--rebuild")
    assert "1 count was wrong" in capsys.readouterr().out  # the finest table's one row; the coarse one was right
    exact()


@pytest.mark.parametrize(
    "dims",
    [
        ["year"],
        ["year", "sex", "age_band", "region"],
        ["sex", "age_group", "citizenship_group"],
        ["region", "referral_source"],
    ],
)
def test_the_engine_counts_from_the_table_what_it_counted_from_the_rows(world, dims):
    generate_bulk(screenings=200, seed=5)
    screen(world, sex="F", age_band="14-17", is_child=True, citizenship="")
    cube = compute(by=dims, population="screenings", filters={"year": "2017,2018,2019,2020,2021,2022,2023,2024"})
    # The same table from the screenings themselves, through the engine's own expressions.
    from nrm.reporting import engine

    src = engine._source(engine.NATIONAL, "screenings")
    rows_source = engine.Source(
        Screening.objects.all(),
        # The EU's members by each row's own year (the table's were built from its year column).
        {**src.exprs, "year": engine.Year("screened_on"), "citizenship_group": engine.citizenship_group("citizenship")},
        None,
        "screenings",
        src.definition,
    )
    expected: Counter = Counter()
    filters = engine.parse_filters({"year": "2017,2018,2019,2020,2021,2022,2023,2024"})
    for row in engine._grouped(rows_source, dims, filters):
        expected[tuple(engine._value(d, row[f"d_{d}"]) for d in dims)] += row["n"]
    engine._add_margins(dims, expected)
    assert {k: v for k, v in cube.counts.items() if v} == {k: v for k, v in expected.items() if v}
