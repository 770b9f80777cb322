"""The statistics engine over hand-made cases: counts, persons once, forms, populations, data sets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import fresh
from nrm.cases import services as case_services
from nrm.cases.choices import Decision
from nrm.cases.models import Case, Episode, Person
from nrm.reporting import engine
from nrm.reporting.engine import TOTAL, compute, count_table
from nrm.reporting.tables import REPORTS
from nrm.reporting.tests.helpers import decide, external, victim


def raw(by, **kwargs) -> dict[tuple, int]:
    """Return the raw counts of a table, cells and margins, keyed by category values."""
    table = count_table(by=by, raw=True, **kwargs)
    return {tuple(c.key[d] for d in table.dims): c.count for c in table.cells + table.totals}


# --- Counts ----------------------------------------------------------------------------------


def test_counts_by_year_sex_and_age_group(world):
    police = world["police"]
    victim(police, sex="F", born="1990-01-01", opened_on=dt.date(2023, 5, 1))
    victim(police, sex="F", born="1991-01-01", opened_on=dt.date(2023, 6, 1))
    victim(police, sex="M", born="2012-01-01", opened_on=dt.date(2023, 7, 1))
    victim(police, sex="F", born="2010-02-01", opened_on=dt.date(2024, 1, 9))
    victim(police, sex="M", born="", birth_year=None, opened_on=dt.date(2024, 2, 9))

    counts = raw(["year", "sex", "age_group"])

    assert counts[(2023, "F", "adult")] == 2
    assert counts[(2023, "M", "child")] == 1
    assert counts[(2024, "F", "child")] == 1
    assert counts[(2024, "M", "unknown")] == 1
    assert counts[(2023, "M", "adult")] == 0  # a zero cell of the full cross product
    assert counts[(2023, TOTAL, TOTAL)] == 3
    assert counts[(TOTAL, "F", TOTAL)] == 3
    assert counts[(TOTAL, TOTAL, "child")] == 2
    assert counts[(TOTAL, TOTAL, TOTAL)] == 5


def test_years_between_are_shown_as_zeros(world):
    victim(world["police"], opened_on=dt.date(2020, 1, 5))
    victim(world["police"], opened_on=dt.date(2023, 1, 5))
    cube = compute(by=["year"])
    assert cube.domains == [[2020, 2021, 2022, 2023]]


def test_age_bands_citizenship_and_country(world):
    police = world["police"]
    victim(police, born="2000-01-01", citizenship="RS", opened_on=dt.date(2024, 1, 2), country_of_exploitation="DE")
    victim(police, born="1980-01-01", citizenship="AF", opened_on=dt.date(2024, 1, 2), country_of_exploitation="RS")
    victim(police, born="1980-01-01", citizenship="", opened_on=dt.date(2024, 1, 2))

    assert raw(["age_band"]) == {("18-24",): 1, ("35-44",): 2, (TOTAL,): 3}
    assert raw(["citizenship_group"]) == {("national",): 1, ("eu",): 0, ("non_eu",): 1, ("unknown",): 1, (TOTAL,): 3}
    assert raw(["citizenship"]) == {("AF",): 1, ("RS",): 1, ("unknown",): 1, (TOTAL,): 3}
    assert raw(["country_of_exploitation"])[("DE",)] == 1


def test_the_same_person_entered_by_two_organisations_counts_once(world):
    """Cyrillic at the police, Latin at the NGO: one linkage key, one person."""
    a = victim(world["police"], "pu-bg", given_name="Јелена", family_name="Петровић", born="1990-05-01", sex="F")
    b = victim(world["ngo"], "ngo-sigurna", given_name="Jelena", family_name="Petrović", born="1990-05-01", sex="F")
    assert a.person_id != b.person_id
    assert Person.objects.get(pk=a.person_id).linkage_key == Person.objects.get(pk=b.person_id).linkage_key
    assert Case.objects.count() == 2

    assert raw(["year"]) == {(2024,): 1, (TOTAL,): 1}
    by_source = raw(["referral_source"])
    # Each organisation's count includes her; the total counts her once.
    assert by_source == {("ngo",): 1, ("police",): 1, (TOTAL,): 1}
    notes = " ".join(count_table(by=["referral_source"], raw=True).notes)
    assert "counted once" in notes


def test_people_without_a_linkage_key_count_by_person(world):
    for _ in range(3):
        victim(world["police"])
    Person.objects.update(linkage_key="")  # as for a person recorded without a name
    assert raw([]) == {(): 3}


def test_a_case_with_two_forms_counts_under_both(world):
    police = world["police"]
    victim(police, forms=("sexual", "labour"))
    victim(police, forms=("labour",))
    victim(police, forms=())

    counts = raw(["exploitation"])

    assert counts[("sexual",)] == 1
    assert counts[("labour",)] == 2
    assert counts[("unknown",)] == 1  # no form recorded
    assert counts[(TOTAL,)] == 3  # persons, not forms
    notes = " ".join(count_table(by=["exploitation"]).notes)
    assert "counted under both" in notes


def test_episodes_count_persons_once_per_form(world):
    """Issue J: a person with two episodes of two forms is in both rows; two of one form, once in it."""
    police = world["police"]
    two_forms = victim(police, sex="F", forms=("sexual",))
    case_services.episode_add(actor=fresh(police), case=two_forms, form="labour", country="DE")
    same_form = victim(police, sex="M", forms=("labour",))
    case_services.episode_add(
        actor=fresh(police), case=same_form, form="labour", country="AT", started_on=dt.date(2023, 5, 1)
    )
    assert Episode.objects.filter(case__in=[two_forms, same_form]).count() == 4

    counts = raw(["exploitation", "sex"])

    assert counts[("labour", TOTAL)] == 2  # two persons, three labour episodes
    assert counts[("labour", "M")] == 1 and counts[("labour", "F")] == 1
    assert counts[("sexual", TOTAL)] == 1
    assert counts[(TOTAL, TOTAL)] == 2  # persons, not episodes
    assert raw(["exploitation"], filters={"exploitation": "labour"}) == {("labour",): 2, (TOTAL,): 2}
    assert raw([]) == {(): 2}


def test_forms_by_sex_keep_persons_once_in_margins(world):
    police = world["police"]
    victim(police, sex="F", forms=("sexual", "labour"))
    victim(police, sex="M", forms=("labour",))
    counts = raw(["exploitation", "sex"])
    assert counts[("labour", TOTAL)] == 2
    assert counts[(TOTAL, "F")] == 1
    assert counts[("sexual", "F")] == 1 and counts[("labour", "F")] == 1
    assert counts[(TOTAL, TOTAL)] == 2


# --- Populations -----------------------------------------------------------------------------


def test_registered_is_identified_plus_presumed(world):
    police = world["police"]
    identified = victim(police)
    rejected = victim(police)
    discontinued = victim(police)
    victim(police)  # pending
    decide(world, identified, Decision.IDENTIFIED)
    decide(world, rejected, Decision.NOT_IDENTIFIED)
    decide(world, discontinued, Decision.DISCONTINUED)

    assert raw([], population="registered") == {(): 3}
    assert raw([], population="identified") == {(): 1}
    assert raw([], population="presumed") == {(): 2}
    assert raw([], population="cases") == {(): 4}
    assert raw(["victim_status"]) == {("identified",): 1, ("presumed",): 2, (TOTAL,): 3}
    assert raw(["decision"], population="cases") == {
        ("identified",): 1,
        ("not_identified",): 1,
        ("pending",): 1,
        ("discontinued",): 1,
        (TOTAL,): 4,
    }


def test_referrals_to_the_centre_by_source_and_decisions_by_year(world):
    a = victim(world["police"], opened_on=dt.date(2023, 12, 20))
    b = victim(world["ngo"], "ngo-sigurna", opened_on=dt.date(2023, 12, 28))
    decide(world, a, Decision.IDENTIFIED, on=dt.date(2024, 1, 3))
    decide(world, b, Decision.NOT_IDENTIFIED, on=dt.date(2023, 12, 30))

    assert raw(["referral_source"], population="referrals") == {("ngo",): 1, ("police",): 1, (TOTAL,): 2}
    decisions = raw(["year", "decision"], population="decisions")
    assert decisions[(2024, "identified")] == 1
    assert decisions[(2023, "not_identified")] == 1
    assert decisions[(2023, "identified")] == 0


def test_screenings_are_counted_one_row_each(world):
    from conftest import PRESUMED_ADULT
    from nrm.cases import services
    from nrm.cases.tests.helpers import org

    for sex in ("F", "F", "M"):
        services.screening_record(
            actor=world["police"],
            organisation=org("pu-bg"),
            answers=PRESUMED_ADULT,
            is_child=False,
            sex=sex,
            anonymous=True,
        )
    assert raw(["sex", "referral_source"], population="screenings") == {
        ("F", "police"): 2,
        ("M", "police"): 1,
        ("F", TOTAL): 2,
        ("M", TOTAL): 1,
        (TOTAL, "police"): 3,
        (TOTAL, TOTAL): 3,
    }


def test_filters_narrow_the_table(world):
    police = world["police"]
    victim(police, sex="F", opened_on=dt.date(2023, 1, 4), forms=("sexual",))
    victim(police, sex="F", opened_on=dt.date(2024, 1, 4), forms=("labour", "sexual"))
    victim(police, sex="M", opened_on=dt.date(2024, 1, 4), forms=("labour",))

    assert raw(["sex"], filters={"year": "2024"}) == {("F",): 1, ("M",): 1, (TOTAL,): 2}
    assert raw(["year"], filters={"exploitation": ["sexual"]}) == {(2023,): 1, (2024,): 1, (TOTAL,): 2}
    assert raw(["exploitation"], filters={"exploitation": "labour"}) == {("labour",): 2, (TOTAL,): 2}
    assert raw([], filters={"citizenship": "unknown"}) == {(): 0}


def test_bad_dimensions_and_filters_name_the_field(world):
    with pytest.raises(ValidationError) as exc:
        compute(by=["year", "colour"])
    assert "by" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        compute(by=["exploitation"], population="screenings")
    assert "by" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        compute(by=["year"], filters={"year": "last"})
    assert "year" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        compute(by=["year"], population="everyone")
    assert "population" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        compute(by=["year"], source="no-such-dataset")
    assert "dataset" in exc.value.message_dict


# --- External data sets ----------------------------------------------------------------------


CTDC_ROWS = [
    {"year": 2019, "sex": "F", "is_child": False, "citizenship": "UA", "exploitation": ["sexual"]},
    {"year": 2019, "sex": "F", "is_child": True, "citizenship": "UA", "exploitation": ["sexual", "labour"]},
    {"year": 2020, "sex": "M", "is_child": False, "citizenship": "", "exploitation": ["labour"]},
    {"year": None, "sex": "", "is_child": None, "age_group": "18-20", "exploitation": []},
    {"year": 2020, "sex": "M", "is_child": False, "decision": "not_identified", "exploitation": ["labour"]},
]


def test_an_external_data_set_is_counted_like_the_national_records(world):
    external("ctdc-test", CTDC_ROWS)
    victim(world["police"], opened_on=dt.date(2019, 3, 3))  # national: must not leak into the data set

    by_year = raw(["year"], source="ctdc-test")
    assert by_year == {(2019,): 2, (2020,): 1, ("unknown",): 1, (TOTAL,): 4}
    by_form = raw(["exploitation", "sex"], source="ctdc-test")
    assert by_form[("sexual", "F")] == 2
    assert by_form[("labour", TOTAL)] == 2
    assert by_form[("unknown", "unknown")] == 1
    assert by_form[(TOTAL, "F")] == 2  # records, not forms
    assert by_form[(TOTAL, TOTAL)] == 4
    assert raw(["age_group"], source="ctdc-test") == {("child",): 1, ("adult",): 2, ("unknown",): 1, (TOTAL,): 4}
    assert raw(["age_band"], source="ctdc-test")[("18-20",)] == 1
    assert raw([], source="ctdc-test", population="cases") == {(): 5}
    assert raw(["sex"], source="ctdc-test", filters={"exploitation": "labour"}) == {
        ("F",): 1,
        ("M",): 1,
        (TOTAL,): 2,
    }
    assert raw(["citizenship_group"], source="ctdc-test")[("non_eu",)] == 2  # Ukraine


def test_an_external_data_set_has_no_regions_or_referrals(world):
    external("ctdc-test", CTDC_ROWS)
    with pytest.raises(ValidationError) as exc:
        compute(by=["region"], source="ctdc-test")
    assert "by" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        compute(by=["year"], source="ctdc-test", population="referrals")
    assert "population" in exc.value.message_dict


def test_every_standard_table_runs(world):
    external("ctdc-test", CTDC_ROWS)
    case = victim(world["police"], forms=("sexual", "labour"))
    decide(world, case)
    for report in REPORTS.values():
        from nrm.reporting.selectors import run_report

        table = run_report(report)
        assert table.title == report.title and table.dims == list(report.dims)
        if not report.national_only:
            run_report(report, source="ctdc-test")


# --- Disclosure in the engine's tables -------------------------------------------------------


def test_published_tables_suppress_small_cells_and_their_complements(world):
    police = world["police"]
    for _ in range(6):
        victim(police, sex="F", opened_on=dt.date(2023, 2, 1))
    for _ in range(7):
        victim(police, sex="M", opened_on=dt.date(2023, 2, 1))
    for _ in range(2):
        victim(police, sex="F", opened_on=dt.date(2024, 2, 1))
    for _ in range(8):
        victim(police, sex="M", opened_on=dt.date(2024, 2, 1))

    table = count_table(by=["year", "sex"])

    shown = {(c.key["year"], c.key["sex"]): (c.count, c.suppressed) for c in table.cells + table.totals}
    assert shown[(2024, "F")] == (None, True)
    # Row 2024 and column F each hold a second suppressed entry, so 2 cannot be recovered.
    assert sum(1 for (y, _s), (_n, hid) in shown.items() if y == 2024 and hid) >= 2
    assert sum(1 for (_y, s), (_n, hid) in shown.items() if s == "F" and hid) >= 2
    assert shown[(TOTAL, TOTAL)] == (23, False)
    assert table.suppressed_count >= 4
    assert all(c.count is None for c in table.cells + table.totals if c.suppressed)


def test_the_threshold_comes_from_settings(world, settings):
    for _ in range(6):
        victim(world["police"])
    assert count_table(by=["year"]).cells[0].suppressed is False
    settings.NRM_DISCLOSURE_THRESHOLD = 10
    table = count_table(by=["year"])
    assert table.cells[0].suppressed is True and table.threshold == 10
    assert count_table(by=["year"], threshold=3).cells[0].count == 6


# --- One GROUP BY ----------------------------------------------------------------------------


def test_the_cells_are_one_group_by_whatever_the_number_of_rows(world):
    police = world["police"]
    victim(police)
    with CaptureQueriesContext(connection) as small:
        compute(by=["year", "sex", "age_group"], population="screenings")
    for _ in range(5):
        victim(police, forms=("sexual", "labour"))
    with CaptureQueriesContext(connection) as few:
        compute(by=["year", "sex", "exploitation"])
    grouped = [q["sql"] for q in few.captured_queries if "GROUP BY" in q["sql"]]
    # Cells plus one per margin that needs its own distinct count (2**3 - 2), no per-row queries.
    assert len(grouped) <= 7 and len(few.captured_queries) <= 11
    assert "cases_episode" in grouped[0]  # the forms are read from the episodes
    assert len([q for q in small.captured_queries if "GROUP BY" in q["sql"]]) == 1


def test_a_table_too_large_to_protect_is_refused(world, monkeypatch):
    victim(world["police"], opened_on=dt.date(2020, 1, 5))
    victim(world["police"], opened_on=dt.date(2024, 1, 5))
    monkeypatch.setattr(engine, "MAX_CELLS", 12)
    with pytest.raises(ValidationError) as exc:
        compute(by=["year", "sex"])  # (5 years + total) x (F, M + total) = 18 cells
    assert "by" in exc.value.message_dict
    assert compute(by=["year"]).domains == [[2020, 2021, 2022, 2023, 2024]]
