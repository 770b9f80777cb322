"""The shared field checks: each returns the cleaned value or raises a ValidationError naming the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from nrm.core.validation import (
    check_count,
    check_currency,
    check_date,
    check_decimal,
    check_language,
    check_period,
    check_text,
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
