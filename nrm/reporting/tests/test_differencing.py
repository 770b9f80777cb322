"""Issue H, finding 5, through the API and the pages: published tables cannot be subtracted.

Reproduces what the reviewer did (two tables, one filtered, subtracted cell by cell; a filter
that is not a category) on an external data set built for it, which is counted the same way as
the national records, then checks the national tables of the same population share one pattern.
"""

from __future__ import annotations

import datetime as dt

import pytest

from nrm.cases.tests.helpers import api
from nrm.reporting.tests.helpers import external, victim

EXPLOITATION = [("adoption", "F", 8), ("adoption", "M", 1), ("sexual", "F", 20), ("sexual", "M", 12)]
EXPLOITATION += [("labour", "F", 6), ("labour", "M", 15)]
# Sex by age: four small cells, and a large number of women who are children.
AGES = [("F", "child", 23), ("F", "adult", 30), ("M", "child", 3), ("M", "adult", 2), ("X", "adult", 1)]


@pytest.fixture
def dataset(world):
    rows = []
    for form, sex, n in EXPLOITATION:
        rows += [{"year": 2023, "sex": sex, "exploitation": [form], "age_group": "adult"}] * n
    for sex, age, n in AGES:
        rows += [{"year": 2024, "sex": sex, "exploitation": ["other"], "age_group": age}] * n
    external("probe", rows)
    return world


def _cells(body: dict) -> dict[tuple, int | None]:
    dims = body["dimensions"]
    return {tuple(c[d] for d in dims): c["count"] for c in body["cells"] + body["totals"]}


def test_a_table_filtered_to_women_does_not_give_the_men_away(dataset):
    client = api(dataset["analyst"])
    by_form = _cells(client.get("/api/v1/stats/?by=exploitation&dataset=probe&year=2023").json())
    women = _cells(client.get("/api/v1/stats/?by=exploitation&dataset=probe&year=2023&sex=F").json())
    men = _cells(client.get("/api/v1/stats/?by=exploitation&dataset=probe&year=2023&sex=M").json())
    assert men[("adoption",)] is None  # one man: hidden
    # Subtracting the women from everyone would give him away: one of the two is hidden too.
    assert by_form[("adoption",)] is None or women[("adoption",)] is None


def test_sex_by_age_filtered_to_women_does_not_give_the_boys_away(dataset):
    client = api(dataset["analyst"])
    whole = client.get("/api/v1/stats/?by=sex,age_group&dataset=probe&year=2024").json()
    women = client.get("/api/v1/stats/?by=age_group&dataset=probe&year=2024&sex=F").json()
    by_age = client.get("/api/v1/stats/?by=age_group&dataset=probe&year=2024").json()
    whole, women, by_age = _cells(whole), _cells(women), _cells(by_age)
    assert whole[("M", "child")] is None
    children, girls = by_age[("child",)], women[("child",)]
    # All children minus the girls would give the boys away: one of the two is hidden too.
    assert children is None or girls is None
    # One pattern: a cell is hidden in every table that shows it, or in none.
    assert (girls is None) == (whole[("F", "child")] is None)
    assert (children is None) == (whole[(None, "child")] is None)


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/stats/?by=exploitation&sex=Female", "sex"),
        ("/api/v1/stats/?by=exploitation&exploitation=slavery-ish", "exploitation"),
        ("/api/v1/stats/?by=year&citizenship=serbia", "citizenship"),
        ("/api/v1/stats/?by=year&year=1066", "year"),
        ("/api/v1/stats/tables/eurostat_registered_form/?sex=female", "sex"),
        ("/api/v1/stats/tables/eurostat_registered_form/?region=north", "region"),
        ("/api/v1/stats/?by=year,region,exploitation", "by"),
    ],
)
def test_a_filter_must_name_a_known_category(world, url, field):
    response = api(world["analyst"]).get(url)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_the_page_names_the_filter_and_offers_no_download(world, client):
    client.force_login(world["analyst"])
    page = client.get("/statistics/tables/eurostat_registered_form/?f_sex=Female")
    assert page.status_code == 400
    assert "Female is not a category of sex" in page.content.decode()
    assert client.get("/statistics/tables/eurostat_registered_form/table.csv?f_sex=Female").status_code == 400


def test_national_tables_of_one_population_share_one_pattern(world):
    for i in range(14):
        victim(world["police"], sex="M" if i % 4 == 0 else "F", opened_on=dt.date(2023, 3, 1), forms=("labour",))
    victim(world["ngo"], "ngo-sigurna", sex="M", opened_on=dt.date(2024, 5, 1), forms=("sexual",))
    client = api(world["analyst"])
    tables = [
        client.get("/api/v1/stats/tables/eurostat_registered_sex_age/").json(),
        client.get("/api/v1/stats/tables/eurostat_registered_form/").json(),
        client.get("/api/v1/stats/tables/eurostat_registered_citizenship/").json(),
        client.get("/api/v1/stats/?by=sex").json(),
        client.get("/api/v1/stats/?by=year&sex=M").json(),
    ]
    seen: dict[frozenset, set] = {}
    for body in tables:
        for cell in body["cells"] + body["totals"]:
            what = frozenset((d, cell[d]) for d in body["dimensions"] if cell[d] is not None)
            what |= frozenset((d, v[0]) for d, v in body["filters"].items() if len(v) == 1)
            seen.setdefault(what, set()).add(cell["count"])
    # The same count (year 2023, men...) is shown, or hidden, the same way in every table.
    assert all(len(shown) == 1 for shown in seen.values()), {k: v for k, v in seen.items() if len(v) > 1}


def test_the_combinations_that_can_be_published_are_listed(world, client):
    body = api(world["analyst"]).get("/api/v1/stats/dimensions/").json()
    registered = next(p for p in body["populations"] if p["name"] == "registered")
    assert any({"year", "exploitation", "sex"} <= set(dims) for dims in registered["publishable"])
    assert not any({"region", "exploitation"} <= set(dims) for dims in registered["publishable"])
    client.force_login(world["analyst"])
    page = client.get("/statistics/custom/?dim1=region&dim2=exploitation")
    assert page.status_code == 400
    html = page.content.decode()
    assert "cannot be published together" in html and "Dimensions that can be combined" in html
