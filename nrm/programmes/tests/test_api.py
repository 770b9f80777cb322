"""The programmes API: who reads, who records, the list's shape, bad input and query counts.

Who may read and who may record (anonymous, a signed-in user with no role, readers such as the
analyst and the NGO) is the access matrix's (``test_access_matrix.py``); whatever they try,
nothing changes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from nrm.audit.models import AuditEntry
from nrm.core.errors import NotFound
from nrm.programmes import services
from nrm.programmes.models import Indicator, IndicatorValue

from .conftest import COE, IRC, JOINT

BASE = "/api/v1/programmes/"
PROBLEM = "application/problem+json"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _values() -> list:
    return sorted(IndicatorValue.objects.values_list("indicator_id", "period_start", "period_end", "value"))


@pytest.fixture
def screened(programmes) -> Indicator:
    return Indicator.objects.get(programme=programmes[IRC], code="clients-screened")


def _post(user, programme, target, **extra):
    body = {"indicator": target.pk, "period_start": "2025-01-01", "period_end": "2025-06-30", "value": "120"}
    return api(user).post(f"{BASE}{programme.pk}/values/", {**body, **extra}, format="json")


def test_list_shows_funding_and_actuals(programmes, people):
    response = api(people["ngo"]).get(BASE)
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()["results"]}
    assert set(rows) == {JOINT, IRC, COE}
    joint = rows[JOINT]
    assert joint["funding"]["budget"]["amount"] == "1410097.00"
    assert joint["funding"]["totals"] == [{"currency": "USD", "amount": "1410097.00"}]
    assert [(d["donor"], d["amount"]) for d in joint["funding"]["donors"]] == [
        ("Belgium", "680097.00"),
        ("Switzerland", "200000.00"),
        ("UN Global Initiative to Fight Human Trafficking (UN GIFT)", "530000.00"),
    ]
    assert {p["name"] for p in joint["partners"] if p["role"] == "implementing"} == {
        "United Nations High Commissioner for Refugees (UNHCR)",
        "United Nations Office on Drugs and Crime (UNODC)",
        "International Organization for Migration (IOM)",
    }
    irc = {i["code"]: i for i in rows[IRC]["indicators"]}
    assert irc["clients-screened"]["actual"]["value"] == "2184.00"
    assert irc["info-cards"]["actual"]["value"] == "10000.00"
    assert irc["clients-screened"]["actual"]["source_text"].startswith("2,184 clients")
    assert rows[IRC]["funding"] == {"budget": None, "donors": [], "totals": []}


def test_list_query_count_is_fixed(programmes, people):
    client = api(people["analyst"])
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(BASE).status_code == 200
    # memberships, count, programmes, partners, funding, indicators, values (+ auth/session slack)
    assert len(ctx.captured_queries) <= 9


def test_detail_has_the_results_framework(programmes, people):
    response = api(people["analyst"]).get(f"{BASE}{programmes[JOINT].pk}/")
    assert response.status_code == 200
    body = response.json()
    assert [o["number"] for o in body["objectives"]] == ["1", "2", "3", "4"]
    assert len(body["outcomes"]) == 7 and all(o["objective_inferred"] for o in body["outcomes"])
    assert body["objectives"][2]["outcomes"] == ["3", "4", "5"]
    assert body["period_start"] == "2010-06-01" and body["period_end"] == "2012-05-31"


def test_missing_programme_is_404(people):
    assert api(people["analyst"]).get(f"{BASE}999999/").status_code == 404
    assert api(people["analyst"]).get(f"{BASE}x/").status_code == 404


def test_iati_shape(programmes, people):
    body = api(people["ngo"]).get(f"{BASE}{programmes[JOINT].pk}/iati/").json()
    activity = body["iati-activity"]
    assert activity["iati-identifier"] == f"XM-NRM-RS-{JOINT}"
    roles = sorted((o["role"], o["narrative"][0]["text"]) for o in activity["participating-org"])
    assert [r for r, _name in roles] == ["1", "1", "1", "4", "4", "4"]
    # The seed's total over two years, shared by days among budget periods of at most a year.
    budgets = activity["budget"]
    assert [(b["period-start"]["iso-date"], b["period-end"]["iso-date"]) for b in budgets] == [
        ("2010-06-01", "2011-05-31"),
        ("2011-06-01", "2012-05-31"),
    ]
    assert sum(Decimal(b["value"]["text"]) for b in budgets) == Decimal("1410097")
    assert {b["status"] for b in budgets} == {"1"}  # indicative: the sharing is ours
    irc = api(people["ngo"]).get(f"{BASE}{programmes[IRC].pk}/iati/").json()["iati-activity"]
    first = irc["result"][0]["indicator"][0]
    assert first["period"][0]["actual"] == [{"value": "2184.00"}]
    assert first["period"][0]["period-end"] == {"iso-date": "2024-10-31"}


def test_coordinator_records_a_value(programmes, people, screened):
    response = _post(people["coordinator"], programmes[IRC], screened, source="IRC quarterly report")
    assert response.status_code == 201, response.json()
    assert response.json()["value"] == "120.00"
    row = IndicatorValue.objects.get(indicator=screened, period_start=dt.date(2025, 1, 1))
    assert (row.value, row.source, row.recorded_by_id) == (
        Decimal("120"),
        "IRC quarterly report",
        people["coordinator"].pk,
    )
    entry = AuditEntry.objects.filter(action=services.ACTION).latest("id")
    assert entry.actor_id == people["coordinator"].pk and entry.detail["new"] == "120.00"
    # The same period again replaces the value; it does not add a second one.
    assert _post(people["coordinator"], programmes[IRC], screened, value="130").status_code == 201
    assert IndicatorValue.objects.filter(indicator=screened, period_start=dt.date(2025, 1, 1)).get().value == 130
    listed = api(people["analyst"]).get(BASE).json()["results"]
    irc = next(r for r in listed if r["code"] == IRC)
    values = next(i for i in irc["indicators"] if i["code"] == "clients-screened")["values"]
    assert [v["value"] for v in values] == ["2184.00", "130.00"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"value": "many"}, "value"),
        ({"value": "-3"}, "value"),
        ({"period_start": "2025-13-01"}, "period_start"),
        ({"period_end": "2024-12-31"}, "period_end"),
        ({"indicator": "abc"}, "indicator"),
    ],
)
def test_bad_input_names_the_field(programmes, people, screened, extra, field):
    before = _values()
    response = _post(people["coordinator"], programmes[IRC], screened, **extra)
    assert response.status_code == 400
    body = response.json()
    assert response["Content-Type"] == PROBLEM
    assert field in body["errors"], body
    assert _values() == before


def test_indicator_of_another_programme_is_refused(programmes, people, screened):
    before = _values()
    response = _post(people["coordinator"], programmes[JOINT], screened)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["indicator"]
    assert _values() == before


def test_service_refuses_bad_input_and_outsiders(programmes, people, screened):
    before = _values()
    kwargs = {"indicator": screened, "period_start": dt.date(2025, 1, 1), "period_end": dt.date(2025, 3, 31)}
    with pytest.raises(ValidationError) as err:
        services.indicator_value_record(actor=people["coordinator"], value=Decimal("NaN"), **kwargs)
    assert list(err.value.message_dict) == ["value"]
    with pytest.raises(ValidationError) as err:
        services.indicator_value_record(actor=people["coordinator"], value=Decimal(1), source="x" * 301, **kwargs)
    assert list(err.value.message_dict) == ["source"]
    with pytest.raises(NotFound):
        services.indicator_value_record(actor=people["analyst"], value=Decimal(1), **kwargs)
    assert _values() == before
