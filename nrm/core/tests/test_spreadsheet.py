"""The one spreadsheet-safe cell every CSV and XLSX export writes through."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy

from nrm.core.spreadsheet import safe_cell


@pytest.mark.parametrize("text", ["=1+2", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_starts_a_formula_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", [-5, 3, 2.5, Decimal("-1.50"), dt.date(2024, 1, 2), True, None])
def test_numbers_dates_and_none_pass_unchanged(value):
    assert safe_cell(value) is value


def test_other_values_are_checked_as_text():
    assert safe_cell("plain") == "plain"
    assert safe_cell(gettext_lazy("=lazy")) == "'=lazy"
    assert safe_cell(["=x"]) == "['=x']"
