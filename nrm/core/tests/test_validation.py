"""The shared field checks: each returns the cleaned value or raises a ValidationError naming the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from nrm.core.validation import (
    check_birth_date,
    check_birth_year,
    check_count,
    check_country,
    check_currency,
    check_date,
    check_decimal,
    check_language,
    check_model_text,
    check_period,
    check_record,
    check_text,
    today,
)


def _refused(call, field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        call()
    assert field in exc.value.message_dict


def test_text_is_stripped_and_bounded():
    assert check_text("title", "  a  ", 3) == "a"
    assert check_text("title", None, 3) == ""
    _refused(lambda: check_text("title", "abcd", 3), "title")
    _refused(lambda: check_text("title", " ", 3, required=True), "title")


def test_dates_and_periods():
    d = dt.date(2024, 3, 1)
    assert check_date("on", d) == d and check_date("on", "", required=False) is None
    _refused(lambda: check_date("on", dt.datetime(2024, 3, 1)), "on")
    _refused(lambda: check_date("on", None), "on")
    assert check_period("from", d, "to", None, end_required=False) == (d, None)
    assert check_period("from", None, "to", None, start_required=False, end_required=False) == (None, None)
    _refused(lambda: check_period("from", d, "to", dt.date(2024, 2, 1)), "to")


def test_counts_are_whole_numbers_in_range():
    assert check_count("n", "7") == 7 and check_count("n", None, required=False) is None
    assert check_count("n", 0, minimum=0) == 0
    for bad in (True, "x", 0):
        _refused(lambda bad=bad: check_count("n", bad), "n")
    _refused(lambda: check_count("n", 11, maximum=10), "n")


def test_decimals_percentages_and_money():
    assert check_decimal("share", "12.346", Decimal(0), Decimal(100)) == Decimal("12.35")
    assert check_decimal("share", "", Decimal(0), Decimal(100)) is None
    for bad in ("lots", "101", "NaN", "-1"):
        _refused(lambda bad=bad: check_decimal("share", bad, Decimal(0), Decimal(100)), "share")
    _refused(lambda: check_decimal("share", None, Decimal(0), Decimal(100), required=True), "share")


def test_codes():
    assert check_currency("c", " eur ") == "EUR" and check_currency("c", "") == ""
    _refused(lambda: check_currency("c", "", required=True), "c")
    _refused(lambda: check_currency("c", "EURO"), "c")
    assert check_language("l", " SR ") == "sr"
    _refused(lambda: check_language("l", "srb"), "l")
    # ISO 3166 as django-countries knows it, with the project's override (Kosovo, XK) and Namibia (NA).
    assert [check_country("k", v) for v in (" rs ", "xk", "NA", "")] == ["RS", "XK", "NA", ""]
    for bad in ("ZZ", "SRB", "R5", "EU"):
        _refused(lambda bad=bad: check_country("k", bad), "k")


@pytest.mark.parametrize("bad", ["a\x00b", "\x00", "a\x07b", "a\x1bb", "a\x7fb", "a\x0bb"])
def test_text_refuses_control_characters(bad):
    _refused(lambda: check_text("notes", bad, 100), "notes")


def test_text_keeps_tabs_and_line_breaks():
    assert check_text("notes", "one\ttwo\r\nthree", 100) == "one\ttwo\r\nthree"


def test_model_text_takes_the_fields_length():
    from nrm.cases.models import Case

    assert check_model_text(Case, "region", "x" * 80) == "x" * 80
    _refused(lambda: check_model_text(Case, "region", "x" * 81), "region")
    _refused(lambda: check_model_text(Case, "best_interests_note", "x" * 20001), "best_interests_note")


@pytest.mark.parametrize("value", ["1900-01-01", dt.date(1990, 5, 17), "", None])
def test_birth_dates_from_1900_to_today(value):
    born = check_birth_date("date_of_birth", value)
    assert born is None if not value else isinstance(born, dt.date)
    assert check_birth_date("date_of_birth", today()) == today()


@pytest.mark.parametrize("value", ["1899-12-31", dt.date(1899, 12, 31), "17.03.1991", "tomorrow"])
def test_birth_dates_before_1900_or_unreadable_are_refused(value):
    _refused(lambda: check_birth_date("date_of_birth", value), "date_of_birth")
    _refused(lambda: check_birth_date("date_of_birth", today() + dt.timedelta(days=1)), "date_of_birth")


def test_birth_years():
    assert check_birth_year("birth_year", 1900) == 1900 and check_birth_year("birth_year", None) is None
    for bad in (1899, today().year + 1, "x"):
        _refused(lambda bad=bad: check_birth_year("birth_year", bad), "birth_year")


def test_check_record_names_the_field_of_any_model():
    from nrm.cases.models import Case, Person

    _refused(lambda: check_record(Case(region="a\x00b")), "region")
    _refused(lambda: check_record(Case(place_of_exploitation="x" * 121)), "place_of_exploitation")
    _refused(lambda: check_record(Person(date_of_birth="1899-12-31")), "date_of_birth")
    _refused(lambda: check_record(Person(birth_year=today().year + 1)), "birth_year")
    # Only the fields being saved are checked.
    check_record(Case(region="a\x00b"), ["place_of_exploitation"])


def test_check_record_looks_into_json():
    from nrm.exchange.models import ExternalRecord

    _refused(lambda: check_record(ExternalRecord(raw={"a": ["ok", "b\x00"]})), "raw")
    _refused(lambda: check_record(ExternalRecord(raw={"a\x00": 1})), "raw")
    check_record(ExternalRecord(raw={"a": ["ok"]}, exploitation=[]))


@pytest.mark.django_db
def test_every_save_of_a_project_model_is_checked(world):
    from nrm.accounts.models import Organisation

    organisation = Organisation.objects.get(code="pu-bg")
    organisation.name = "Police\x00"
    with pytest.raises(ValidationError) as exc:
        organisation.save()
    assert "name" in exc.value.message_dict
    organisation.refresh_from_db()
    assert "\x00" not in organisation.name
