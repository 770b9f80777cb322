"""The statistics pages: who may see them, suppression on the page, downloads, constant queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import fresh
from nrm.accounts.models import User
from nrm.cases import services as case_services
from nrm.cases.tests.helpers import IDENTITY, SECRETS, statistics_consent_of
from nrm.reporting.engine import MARKER

TABLE = "/statistics/tables/eurostat_registered_status/"
PAGES = ["/statistics/", TABLE, "/statistics/custom/?dim1=year&dim2=sex"]
_names = itertools.count(1)


def _case(world, orgs, *, year: int, identity: dict | None = None, sex: str = "F"):
    """Open a case through ``case_open`` (a unique person unless ``identity`` is given), counted in statistics."""
    identity = identity or {"given_name": f"Viewperson{next(_names)}", "family_name": "Tester"}
    case = case_services.case_open(
        actor=fresh(world["police"]),
        organisation=orgs["pu-bg"],
        identity=identity,
        sex=sex,
        birth_year=1991,
        citizenship="RS",
        forms=["sexual"],
        opened_on=dt.date(year, 3, 1),
    )
    statistics_consent_of(world["police"], case)
    return case


def _client(user: User | None = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _row_cells(html: str, label: str) -> list[str]:
    """Return the cells (inner HTML) of the first body row headed ``label``."""
    row = re.search(rf'<tr><th scope="row">{re.escape(label)}</th>(.*?)</tr>', html, re.S)
    assert row, f"no row {label}"
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)


@pytest.fixture
def cases(world, orgs):
    """Eight presumed victims opened in 2023 and two in 2024, one with the known identity."""
    for _i in range(8):
        _case(world, orgs, year=2023)
    _case(world, orgs, year=2024)
    _case(world, orgs, year=2024, identity=dict(IDENTITY))
    return world


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_sign_in(world, url):
    response = _client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", [*PAGES, TABLE + "table.csv"])
def test_a_user_without_a_role_finds_nothing(world, url):
    nobody = User.objects.create_user(username="nobody", password="not-used-in-tests")
    assert _client(nobody).get(url).status_code == 404


@pytest.mark.parametrize("who", ["analyst", "coordinator"])
@pytest.mark.parametrize("url", PAGES)
def test_analyst_and_coordinator_see_the_pages(world, who, url):
    response = _client(world[who]).get(url)
    assert response.status_code == 200


@pytest.mark.parametrize(("who", "linked"), [("analyst", True), ("coordinator", True), ("police", False)])
def test_navigation_links_statistics_for_coordinator_and_analyst(world, who, linked):
    html = _client(world[who]).get("/").content.decode()
    assert ('<li><a href="/statistics/"' in html) is linked


def test_case_staff_may_read_tables_too(world):
    assert _client(world["police"]).get(TABLE).status_code == 200


def test_three_dimension_table_with_its_filters(cases):
    url = "/statistics/tables/eurostat_registered_sex_age/?year_from=2023&year_to=2024&f_sex=F"
    response = _client(cases["analyst"]).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<caption>") == 3  # 2023, 2024 and their total
    assert 'name="f_age_group"' in html


def test_external_dataset(world):
    from nrm.reporting.tests.helpers import external

    external("ctdc-2023", [{"year": 2023, "sex": "F", "decision": "identified"} for _i in range(7)])
    response = _client(world["analyst"]).get("/statistics/custom/?dim1=year&dim2=sex&dataset=ctdc-2023")
    assert response.status_code == 200
    assert _row_cells(response.content.decode(), "2023")[0] == "7"


def test_index_lists_the_standard_tables_by_family(world):
    html = _client(world["analyst"]).get("/statistics/").content.decode()
    for heading in ("Centre for identification", "Eurostat", "GLOTIP", "GRETA"):
        assert heading in html
    assert 'href="/statistics/tables/glotip_citizenship/"' in html


def test_unknown_table_is_404(world):
    assert _client(world["analyst"]).get("/statistics/tables/nope/").status_code == 404


def test_small_cells_are_suppressed_on_the_page(cases):
    response = _client(cases["analyst"]).get(TABLE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<caption>" in html and 'scope="col"' in html
    # 2024 has 2 presumed victims: the marker, never the number; 2023 is hidden with it.
    cells_2024 = _row_cells(html, "2024")
    assert cells_2024 and all(MARKER in c and ">2<" not in c for c in cells_2024)
    assert "suppressed" in html and "<svg" in html
    assert 'href="/statistics/tables/eurostat_registered_status/table.csv"' in html


def test_zeros_are_shown(cases):
    html = _client(cases["analyst"]).get("/statistics/custom/?dim1=sex&dim2=year").content.decode()
    # Nobody is male: that row reads 0, not the marker.
    assert _row_cells(html, "Male") == ["0", "0", "0"]


@pytest.mark.parametrize("url", [TABLE, "/statistics/custom/?dim1=year&dim2=sex&dim3=age_group"])
def test_no_identity_strings_on_pages(cases, url):
    html = _client(cases["coordinator"]).get(url).content.decode()
    for secret in SECRETS:
        assert secret not in html


def test_custom_table_with_filters(cases):
    response = _client(cases["analyst"]).get("/statistics/custom/?dim1=sex&dim2=year&year_from=2023&year_to=2024")
    assert response.status_code == 200
    html = response.content.decode()
    female = _row_cells(html, "Female")
    assert MARKER in female[1] and ">2<" not in female[1]  # 2024: two women
    assert female[2] == "10"


def test_custom_table_refuses_a_dimension_twice(world):
    response = _client(world["analyst"]).get("/statistics/custom/?dim1=sex&dim2=sex")
    assert response.status_code == 400
    assert b"once" in response.content


def test_csv_download(cases):
    response = _client(cases["analyst"]).get(TABLE + "table.csv?year_from=2023&year_to=2024")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    small = [r for r in rows if r["year"] == "2024" and r["victim_status"] == "presumed"]
    basis = "identification decision date for identified victims, case opening date for presumed victims"
    assert small == [
        {"year": "2024", "victim_status": "presumed", "count": "", "suppressed": "true", "counts_by": basis}
    ]
    assert all(r["count"] == "" or r["count"] == "0" or int(r["count"]) >= 5 for r in rows)


def test_xlsx_download(cases):
    from openpyxl import load_workbook

    response = _client(cases["analyst"]).get("/statistics/custom/table.xlsx?dim1=year&dim2=victim_status")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    wb = load_workbook(io.BytesIO(response.content))
    values = [v for row in wb["Table"].iter_rows(values_only=True) for v in row if v is not None]
    assert MARKER in values
    assert 2 not in values


def test_pdf_download(cases):
    response = _client(cases["analyst"]).get(TABLE + "table.pdf?year_from=2023&year_to=2024")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and response.content.rstrip().endswith(b"%%EOF")
    page = _client(cases["analyst"]).get(TABLE + "?year_from=2023&year_to=2024").content.decode()
    assert "table.pdf" in page


def test_queries_do_not_grow_with_rows(world, orgs, django_assert_max_num_queries):
    client = _client(world["analyst"])
    for _i in range(3):
        _case(world, orgs, year=2023)
    client.get(TABLE)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as small:
        assert client.get(TABLE).status_code == 200
    for i in range(27):
        _case(world, orgs, year=2023 + i % 2, sex="M" if i % 2 else "F")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(TABLE).status_code == 200
