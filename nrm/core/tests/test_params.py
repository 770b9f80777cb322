"""The one parser of integer and year parameters that pages, the API and commands share."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from nrm.cases.tests.helpers import api
from nrm.core.params import int_param, year_or_none, year_param
from nrm.earlywarning.tests.conftest import make_people


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("7", {}, 7),
        (" 12 ", {}, 12),
        (3, {}, 3),
        ("", {}, None),
        (None, {}, None),
        ("", {"default": 90}, 90),
        ("0", {"low": 0, "high": 12}, 0),
        ("12", {"low": 0, "high": 12}, 12),
        ("-3", {"low": -5}, -3),
    ],
)
def test_int_param_reads_whole_numbers(value, kwargs, expected):
    assert int_param(value, field="n", **kwargs) == expected


@pytest.mark.parametrize(
    ("value", "kwargs", "message"),
    [
        ("seven", {}, "Enter a whole number."),
        ("1.5", {}, "Enter a whole number."),
        ("1e3", {}, "Enter a whole number."),
        ("", {"required": True}, "This field is required."),
        ("13", {"low": 1, "high": 12}, "Enter a number from 1 to 12."),
        ("0", {"low": 1, "high": 12}, "Enter a number from 1 to 12."),
        ("-1", {}, "Enter a number from 0 to 1000000."),
        ("99999999999999999999", {}, "Enter a number from 0 to 1000000."),
        (True, {}, "Enter a whole number."),
    ],
)
def test_int_param_refuses_naming_the_field(value, kwargs, message):
    with pytest.raises(ValidationError) as caught:
        int_param(value, field="month", **kwargs)
    assert caught.value.message_dict == {"month": [message]}


def test_year_param_and_year_or_none():
    assert year_param("2024") == 2024 and year_param("") is None
    with pytest.raises(ValidationError) as caught:
        year_param("10000", field="from")
    assert "from" in caught.value.message_dict
    assert year_or_none("10000") is None and year_or_none("2020") == 2020


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/early-warning/matrix/?window_days=abc", "window_days"),
        ("/api/v1/early-warning/matrix/?window_days=0", "window_days"),
        ("/api/v1/early-warning/matrix/?window_days=99999999999999999999", "window_days"),
        ("/api/v1/actionplan/reports/?month=13", "month"),
        ("/api/v1/actionplan/reports/?institution=x", "institution"),
    ],
)
def test_the_api_answers_a_bad_integer_with_a_400_naming_it(world, path, field):
    people = make_people(world)
    response = api(people["coordinator"]).get(path)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
