"""The programme API's writes: what the Coordinator creates, retries and bad input.

That readers get 403 and outsiders 401/403, with nothing changed, is the access matrix's
(``test_access_matrix.py``).
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from nrm.programmes.models import Document, FundingLine, Indicator, Programme

from .conftest import IRC, JOINT
from .test_services import snapshot

BASE = "/api/v1/programmes/"
PROBLEM = "application/problem+json"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def writes(programmes) -> list[tuple[str, dict]]:
    joint, irc = programmes[JOINT].pk, programmes[IRC].pk
    return [
        (BASE, {"code": "api-made", "title": "Made by the API", "budget_amount": "10", "budget_currency": "EUR"}),
        (f"{BASE}{joint}/funding/", {"donor": "European Union", "amount": "1000", "currency": "EUR"}),
        (f"{BASE}{joint}/documents/", {"title": "Evaluation", "reference": "https://example.org/eval.pdf"}),
        (f"{BASE}{irc}/indicators/", {"code": "hotline-calls", "name": "Calls", "unit": "calls", "output": "1"}),
    ]


def test_coordinator_writes(programmes, people):
    client = api(people["coordinator"])
    for url, body in writes(programmes):
        response = client.post(url, body, format="json")
        assert response.status_code == 201, (url, response.json())
    assert Programme.objects.get(code="api-made").budget_currency == "EUR"
    assert FundingLine.objects.filter(programme=programmes[JOINT], donor="European Union").exists()
    assert Document.objects.filter(programme=programmes[JOINT], title="Evaluation").exists()
    indicator = Indicator.objects.get(programme=programmes[IRC], code="hotline-calls")
    assert indicator.output.number == "1"


def test_a_retried_create_creates_once(programmes, people):
    client = api(people["coordinator"])
    url, body = writes(programmes)[1]
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert FundingLine.objects.filter(programme=programmes[JOINT], donor="European Union").count() == 1


@pytest.mark.parametrize(
    ("index", "change", "field"),
    [
        (0, {"code": JOINT}, "code"),
        (0, {"budget_currency": "$$"}, "budget_currency"),
        (1, {"donor": "Belgium"}, "donor"),
        (1, {"amount": "-1"}, "amount"),
        (2, {"reference": "javascript:alert(1)"}, "reference"),
        (3, {"output": "99"}, "output"),
        (3, {"code": "clients-screened"}, "code"),
    ],
)
def test_bad_input_names_the_field(programmes, people, index, change, field):
    before = snapshot()
    url, body = writes(programmes)[index]
    response = api(people["coordinator"]).post(url, {**body, **change}, format="json")
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert field in response.json()["errors"], response.json()
    assert snapshot() == before
