"""The statistics API: who may read, raw counts refused or audited, exports, nothing identifying."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nrm.audit.models import AuditEntry
from nrm.audit.services import audit_verify
from nrm.cases.models import Person
from nrm.cases.tests.helpers import IDENTITY, SECRETS, api, open_case, statistics_consent_of
from nrm.reporting.tables import REPORTS
from nrm.reporting.tests.helpers import external, victim

PROBLEM = "application/problem+json"
URLS = [
    "/api/v1/stats/?by=year",
    "/api/v1/stats/tables/",
    "/api/v1/stats/tables/eurostat_registered_sex_age/",
    "/api/v1/stats/datasets/",
    "/api/v1/stats/dimensions/",
]


@pytest.fixture
def cases(world):
    """Victims with the known identity of the case tests (so that a leak is a plain substring)."""
    statistics_consent_of(world["police"], open_case(world["police"], identity=dict(IDENTITY)))
    for i in range(9):
        victim(world["police"], sex="M" if i % 3 else "F", opened_on=dt.date(2023, 3, 1), forms=("labour",))
    victim(world["ngo"], "ngo-sigurna", opened_on=dt.date(2024, 5, 1))
    return world


@pytest.mark.parametrize("url", URLS)
def test_anonymous_is_refused(world, url):
    response = api().get(url)
    assert response.status_code == 401
    assert response["Content-Type"].startswith(PROBLEM)


@pytest.mark.parametrize("url", URLS)
def test_a_user_without_a_role_is_refused(world, url):
    from nrm.accounts.models import User

    nobody = User.objects.create_user(username="nobody", password="not-used-in-tests")
    assert api(nobody).get(url).status_code == 403


@pytest.mark.parametrize("who", ["analyst", "coordinator", "police", "centre", "admin"])
def test_every_role_reads_published_tables(cases, who):
    response = api(cases[who]).get("/api/v1/stats/?by=year,sex")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["raw"] is False and body["threshold"] == 5
    assert body["dimensions"] == ["year", "sex"]
    for cell in body["cells"] + body["totals"]:
        assert (cell["count"] is None) == cell["suppressed"]
        assert cell["suppressed"] or cell["count"] == 0 or cell["count"] >= 5


def test_published_cells_are_suppressed(cases):
    body = api(cases["analyst"]).get("/api/v1/stats/?by=year").json()
    by_year = {c["year"]: (c["count"], c["suppressed"]) for c in body["cells"]}
    # 2024 has 2 (the known identity's case and the NGO's): hidden, and 9 with it, else 11 - 9 gives it away.
    assert by_year == {2023: (None, True), 2024: (None, True)}
    assert body["totals"] == [{"year": None, "count": 11, "suppressed": False}]
    assert body["suppressed_marker"] == "x"


def test_raw_is_refused_for_the_analyst_and_the_refusal_audited(cases):
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = api(cases["analyst"]).get("/api/v1/stats/?by=year&raw=1")
    assert response.status_code == 403
    assert response["Content-Type"].startswith(PROBLEM)
    assert "raw" in response.json()["errors"]
    [entry] = AuditEntry.objects.filter(id__gt=before)
    assert (entry.action, entry.outcome, entry.actor) == ("stats.raw", "denied", "analyst")
    assert entry.detail["by"] == ["year"]


@pytest.mark.parametrize("who", ["coordinator", "police"])
def test_raw_is_refused_for_other_roles(cases, who):
    assert api(cases[who]).get("/api/v1/stats/tables/centre_decisions/?raw=1").status_code == 403


def test_raw_for_the_admin_is_audited(cases):
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = api(cases["admin"]).get("/api/v1/stats/?by=year&raw=1")
    assert response.status_code == 200
    body = response.json()
    assert body["raw"] is True
    assert {c["year"]: c["count"] for c in body["cells"]} == {2023: 9, 2024: 2}
    [entry] = AuditEntry.objects.filter(id__gt=before)
    assert (entry.action, entry.outcome, entry.actor, entry.object_id) == ("stats.raw", "allowed", "admin", "ad-hoc")
    assert entry.detail["by"] == ["year"]
    assert audit_verify().ok


def test_raw_standard_table_for_the_admin_names_the_table(cases):
    response = api(cases["admin"]).get("/api/v1/stats/tables/centre_referrals_by_source/?raw=1&year=2023")
    assert response.status_code == 200 and response.json()["raw"] is True
    entry = AuditEntry.objects.filter(action="stats.raw").get()
    assert (entry.object_id, entry.detail["filters"]) == ("centre_referrals_by_source", {"year": "2023"})


def test_a_reader_cannot_choose_another_threshold(cases):
    # Two suppression patterns of the same counts could be subtracted: published tables share one.
    client = api(cases["analyst"])
    for threshold in (2, 20):
        response = client.get(f"/api/v1/stats/?by=year&threshold={threshold}")
        assert response.status_code == 400 and "threshold" in response.json()["errors"]
    body = client.get("/api/v1/stats/?by=sex&threshold=5").json()
    assert body["threshold"] == 5


def test_rounding_applies_to_what_is_published(cases):
    body = api(cases["analyst"]).get("/api/v1/stats/?by=year&rounding=10").json()
    assert body["rounding"] == 10
    assert body["totals"] == [{"year": None, "count": 10, "suppressed": False}]  # 11, to the nearest 10
    assert any("rounded" in note for note in body["notes"])


def test_bad_input_is_a_problem_naming_the_field(cases):
    client = api(cases["analyst"])
    for url, field in [
        ("/api/v1/stats/", "by"),
        ("/api/v1/stats/?by=year,colour", "by"),
        ("/api/v1/stats/?by=year&population=everyone", "population"),
        ("/api/v1/stats/?by=year&dataset=nope", "dataset"),
        ("/api/v1/stats/?by=year&rounding=3", "rounding"),
        ("/api/v1/stats/?by=year&year=soon", "year"),
        ("/api/v1/stats/tables/eurostat_registered_sex_age/?threshold=many", "threshold"),
        ("/api/v1/stats/tables/centre_identified_by_citizenship/?decision=pending", "decision"),
    ]:
        response = client.get(url)
        assert response.status_code == 400, (url, response.content)
        assert response["Content-Type"].startswith(PROBLEM)
        assert field in response.json()["errors"], url


def test_an_unknown_table_is_not_found(cases):
    assert api(cases["analyst"]).get("/api/v1/stats/tables/nope/").status_code == 404


def test_the_list_of_tables(cases):
    client = api(cases["analyst"])
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/v1/stats/tables/?page_size=200").json()  # more than one default page
    assert body["count"] == len(REPORTS)
    assert {t["name"] for t in body["results"]} == set(REPORTS)
    first = body["results"][0]
    assert set(first) >= {"name", "title", "population", "dimensions", "filters"}
    assert len(queries) == 1  # the token with its user and memberships; no query per table


def test_a_standard_table_over_an_external_data_set(cases):
    external("ctdc-test", [{"year": 2020, "sex": "F", "exploitation": ["sexual"]}] * 7)
    body = api(cases["analyst"]).get("/api/v1/stats/tables/eurostat_registered_sex_age/?dataset=ctdc-test").json()
    assert body["source"] == "ctdc-test" and body["unit"] == "records"
    assert body["totals"][-1]["count"] == 7
    datasets = api(cases["analyst"]).get("/api/v1/stats/datasets/").json()
    assert [d["name"] for d in datasets["results"]] == ["ctdc-test"]


def test_csv_export(cases):
    response = api(cases["analyst"]).get("/api/v1/stats/tables/eurostat_registered_form/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "eurostat_registered_form.csv" in response["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(table[0]) == ["year", "exploitation", "sex", "count", "suppressed", "counts_by"]
    assert {r["counts_by"] for r in table} == {
        "identification decision date for identified victims, case opening date for presumed victims"
    }
    assert any(r["suppressed"] == "true" and r["count"] == "" for r in table)
    assert [r["count"] for r in table if r["year"] == r["exploitation"] == r["sex"] == "total"] == ["11"]


def test_xlsx_export(cases):
    from openpyxl import load_workbook

    response = api(cases["analyst"]).get("/api/v1/stats/?by=year,sex&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    values = [v for row in wb["Table"].iter_rows(values_only=True) for v in row if v is not None]
    assert "x" in values and 11 in values
    assert wb["Notes"]["A2"].value


def test_an_export_error_is_still_problem_json(cases):
    response = api(cases["analyst"]).get("/api/v1/stats/?by=colour&format=csv")
    assert response.status_code == 400
    assert response["Content-Type"].startswith(PROBLEM)
    assert "by" in response.json()["errors"]


def test_no_identity_in_any_output(cases):
    keys = list(Person.objects.exclude(linkage_key="").values_list("linkage_key", flat=True))
    secrets = [*SECRETS, *keys]
    client = api(cases["admin"])
    every_dim = "year,sex,age_group,citizenship,exploitation,referral_source,region"
    outputs = [
        client.get(f"/api/v1/stats/?by={every_dim}&raw=1").content,
        client.get(f"/api/v1/stats/?by={every_dim}&format=csv").content,
        client.get("/api/v1/stats/?by=year,citizenship&format=xlsx").content,
    ]
    for name in REPORTS:
        outputs.append(client.get(f"/api/v1/stats/tables/{name}/").content)
    text = b" ".join(outputs).decode("utf-8", "replace")
    assert not [s for s in secrets if s in text]
    for output in outputs[2:3]:
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(output))
        cells = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row)
        assert not [s for s in secrets if s in cells]


def test_the_schema_lists_the_statistics(world):
    response = api(world["analyst"]).get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/stats/" in paths and "/api/v1/stats/tables/{name}/" in paths
