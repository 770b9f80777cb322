"""Ordinary bad input gets a 400 naming the field, never a 500 (issue D's fuzzing findings)."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from conftest import PRESUMED_ADULT
from nrm.api.parsers import MAX_DEPTH
from nrm.cases.models import Screening
from nrm.cases.tests.helpers import api

PROBLEM = "application/problem+json"


def list_paths() -> list[str]:
    """Every GET operation of the schema that takes no path parameter."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(p for p, item in schema["paths"].items() if "get" in item and "{" not in p and "schema" not in p)


def test_a_screening_without_is_child_names_it(world):
    response = api(world["police"]).post("/api/v1/screenings/", {"answers": PRESUMED_ADULT}, format="json")
    assert response.status_code == 400, response.content
    assert "is_child" in response.json()["errors"]
    assert Screening.objects.count() == 0


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cases/",
        "/api/v1/justice/proceedings/",
        "/api/v1/justice/statistics/",
        "/api/v1/prevention/events/",
        "/api/v1/early-warning/observations/",
        "/api/v1/actionplan/reports/",
    ],
)
@pytest.mark.parametrize("year", ["10000", "0", "-1", "20x4"])
def test_a_year_outside_any_record_is_a_400_naming_it(world, path, year):
    for who in ("police", "coordinator", "centre"):
        response = api(world[who]).get(f"{path}?year={year}")
        assert response.status_code in (400, 404), (who, path, response.status_code, response.content[:300])
        if response.status_code == 400:
            assert response["Content-Type"].startswith(PROBLEM)
            assert "year" in response.json()["errors"], response.content
            break
    else:
        pytest.fail(f"nobody could reach {path}")


def test_a_year_in_range_still_filters(world):
    assert api(world["police"]).get("/api/v1/cases/?year=2024").status_code == 200


@pytest.mark.parametrize("who", ["police", "centre", "coordinator", "analyst", "admin", "helpline"])
def test_no_list_answers_500_to_odd_parameters(world, who):
    client = api(world[who])
    for path in list_paths():
        for query in ("year=10000", "year=abc", "page=99999999", "page=-1", "window_days=99999999999999999999"):
            response = client.get(f"{path}?{query}")
            assert response.status_code < 500, (who, path, query, response.content[:300])


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 5000, 200_000])
def test_deeply_nested_json_is_refused(world, levels):
    body = '{"answers": [], "is_child": false, "region": ' + "[" * levels + "]" * levels + "}"
    response = api(world["police"]).post("/api/v1/screenings/", body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert "nested deeper" in response.json()["detail"]
    assert Screening.objects.count() == 0


def test_ordinary_nesting_is_accepted(world):
    response = api(world["police"]).post(
        "/api/v1/screenings/", {"answers": PRESUMED_ADULT, "is_child": False}, format="json"
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("who", ["police", "coordinator", "analyst", "ngo"])
def test_pages_ignore_or_refuse_an_odd_year_without_a_500(client, world, who):
    client.force_login(world[who])
    for path in (
        "/cases/",
        "/justice/",
        "/justice/statistics/",
        "/prevention/",
        "/prevention/events/",
        "/early-warning/",
    ):
        for year in ("10000", "abc", "-5"):
            response = client.get(f"{path}?year={year}")
            assert response.status_code in (200, 302, 400, 404), (who, path, year, response.status_code)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answers": [], "is_child": False, "region": "a\x00b"}, "region"),
        ({"answers": ["a\x00"], "is_child": False}, "answers[0]"),
        ({"answers": [], "is_child": False, "unknown": {"deep": "\x00"}}, "unknown.deep"),
        ({"answers": [], "is_child": False, "ke\x00y": "v"}, "non_field_errors"),
    ],
)
def test_nul_anywhere_in_a_json_body_is_a_400_naming_where(world, body, field):
    response = api(world["police"]).post("/api/v1/screenings/", body, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    assert field in response.json()["errors"], response.json()
    assert Screening.objects.count() == 0
