"""Eurostat's groupings: citizenship as national / other EU / non-EU, forms as sexual / labour / other / multiple."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import override_settings

from nrm.cases.models import ExploitationForm
from nrm.reporting import country_groups
from nrm.reporting.engine import TOTAL, count_table
from nrm.reporting.tables import REPORTS
from nrm.reporting.tests.helpers import decide, victim


def raw(by, **kwargs) -> dict[tuple, int]:
    table = count_table(by=by, raw=True, **kwargs)
    return {tuple(c.key[d] for d in table.dims): c.count for c in table.cells + table.totals}


def test_the_eu_list_is_data_with_27_members_valid_from_a_date():
    data = json.loads(country_groups.FILE.read_text(encoding="utf-8"))
    current = data["groups"]["eu"][-1]
    assert len(current["members"]) == len(set(current["members"])) == 27
    assert country_groups.valid_from("eu") == current["valid_from"] == "2020-02-01"
    assert "GB" not in country_groups.members("eu")
    assert "GB" in country_groups.members("eu", on=dt.date(2019, 1, 1))
    assert "HR" not in country_groups.members("eu", on=dt.date(2013, 6, 30))
    assert country_groups.members("eu", on=dt.date(2004, 4, 30)) == []  # before the list's first version


def test_each_year_counts_by_the_members_at_its_end():
    spans = {
        first: (last, len(members), "GB" in members, "HR" in members)
        for first, last, members in country_groups.by_year("eu")
    }
    assert spans == {
        2004: (2006, 25, True, False),
        2007: (2012, 27, True, False),
        2013: (2019, 28, True, True),  # Croatia joined on 1 July 2013: the year's end counts
        2020: (None, 27, False, True),  # the United Kingdom left on 1 February 2020
    }


def test_a_british_victim_is_other_eu_in_2019_and_non_eu_in_2020(world):
    """The year is the population's own: for identified victims the year of the decision."""
    police = world["police"]
    for year in (2019, 2020):
        case = victim(police, citizenship="GB", opened_on=dt.date(year, 3, 1))
        decide(world, case, on=dt.date(year, 3, 10))
    cells = raw(["year", "citizenship_group"], population="identified")
    assert (cells[(2019, "eu")], cells.get((2019, "non_eu"), 0)) == (1, 0)
    assert (cells[(2020, "non_eu")], cells.get((2020, "eu"), 0)) == (1, 0)


def test_citizenship_groups_worked_example(world):
    """Serbia (RS): 2 Serbians, 1 German and 1 Romanian (other EU), 1 Ukrainian and 1 Albanian (non-EU), 1 unknown."""
    police = world["police"]
    for citizenship in ["RS", "RS", "DE", "RO", "UA", "AL", ""]:
        victim(police, citizenship=citizenship)

    assert raw(["citizenship_group"]) == {
        ("national",): 2,
        ("eu",): 2,
        ("non_eu",): 2,
        ("unknown",): 1,
        (TOTAL,): 7,
    }


@override_settings(NRM_COUNTRY="DE")
def test_a_member_state_counts_its_own_citizens_as_national_not_eu(world):
    police = world["police"]
    for citizenship in ["DE", "AT", "RS"]:
        victim(police, citizenship=citizenship)
    assert raw(["citizenship_group"]) == {("national",): 1, ("eu",): 1, ("non_eu",): 1, (TOTAL,): 3}


def test_form_groups_count_each_person_once_so_rows_sum_to_persons(world):
    """Five persons with six forms: the table by form counts 7 person-forms, the groups 5 persons."""
    police = world["police"]
    victim(police, forms=("sexual",))
    victim(police, forms=("sexual", "pornography"))  # two forms, one group: sexual
    victim(police, forms=("labour", "begging"))  # labour and other: multiple
    victim(police, forms=("begging",))
    victim(police, forms=())

    by_group = raw(["form_group"])
    assert by_group == {
        ("sexual",): 2,
        ("labour",): 0,
        ("other",): 1,
        ("multiple",): 1,
        ("unknown",): 1,
        (TOTAL,): 5,
    }
    assert sum(n for key, n in by_group.items() if key != (TOTAL,)) == by_group[(TOTAL,)]
    by_form = raw(["exploitation"])
    assert sum(n for key, n in by_form.items() if key != (TOTAL,)) == 7  # a person in each of their forms
    assert by_form[(TOTAL,)] == 5


def test_a_form_without_a_group_is_left_out_of_the_grouping(world):
    ExploitationForm.objects.filter(code="begging").update(eurostat_group="")
    victim(world["police"], forms=("labour", "begging"))
    victim(world["police"], forms=("begging",))
    assert raw(["form_group"])[("labour",)] == 1
    assert raw(["form_group"])[("unknown",)] == 1


def test_the_reference_data_maps_every_form_to_a_group(db):
    assert not ExploitationForm.objects.filter(eurostat_group="").exists()
    assert set(ExploitationForm.objects.values_list("eurostat_group", flat=True)) == {"sexual", "labour", "other"}


def test_registered_victims_kept_apart_and_summed(world):
    police = world["police"]
    identified = victim(police, sex="F", citizenship="RS", forms=("sexual",), opened_on=dt.date(2024, 2, 1))
    decide(world, identified)
    victim(police, sex="F", citizenship="DE", forms=("labour", "sexual"), opened_on=dt.date(2024, 2, 1))
    victim(police, sex="M", born="2012-01-01", citizenship="UA", forms=("labour",), opened_on=dt.date(2024, 2, 1))

    cells = raw(["victim_status", "citizenship_group"])
    assert cells[("identified", "national")] == 1
    assert cells[("presumed", "eu")] == 1
    assert cells[("presumed", "non_eu")] == 1
    assert cells[(TOTAL, TOTAL)] == 3  # registered = identified + presumed
    assert cells[("identified", TOTAL)] + cells[("presumed", TOTAL)] == 3
    forms = raw(["victim_status", "form_group"])
    assert forms[("presumed", "multiple")] == 1
    assert forms[("presumed", "labour")] == 1
    assert forms[("identified", "sexual")] == 1


@pytest.mark.parametrize(
    "name",
    ["eurostat_registered_status_sex_age", "eurostat_registered_status_citizenship", "eurostat_registered_form_group"],
)
def test_the_eurostat_tables_are_published_through_disclosure_control(world, name):
    report = REPORTS[name]
    assert report.family == "eurostat"
    assert "victim_status" in report.dims
    victim(world["police"], citizenship="DE", forms=("labour", "sexual"))
    table = count_table(by=list(report.dims), population=report.population, name=name)
    assert not table.raw
    assert table.grand_total().suppressed  # one person: under the threshold, so hidden


def test_the_table_by_form_says_it_counts_a_person_in_each_form():
    assert "each" in str(REPORTS["eurostat_registered_form"].title)


def test_an_external_data_set_is_grouped_by_form_too(world):
    from nrm.reporting.tests.helpers import external

    external(
        "ctdc-groups",
        [
            {"year": 2019, "sex": "F", "exploitation": ["sexual"]},
            {"year": 2019, "sex": "F", "exploitation": ["sexual", "labour"]},
            {"year": 2019, "sex": "M", "exploitation": ["labour", "forced_labour"]},
            {"year": 2019, "sex": "M", "exploitation": []},
        ],
    )
    by_group = raw(["form_group", "sex"], source="ctdc-groups")
    assert by_group[("sexual", "F")] == 1
    assert by_group[("multiple", "F")] == 1
    assert by_group[("labour", "M")] == 1
    assert by_group[("unknown", "M")] == 1
    assert by_group[(TOTAL, TOTAL)] == 4
    assert raw(["sex"], source="ctdc-groups", filters={"form_group": "multiple"}) == {("F",): 1, (TOTAL,): 1}
