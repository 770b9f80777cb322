"""A POST retried with the same Idempotency-Key creates once and answers the same."""

import pytest
from rest_framework.test import APIClient

from nrm.cases.models import Case


@pytest.fixture
def police_api(world):
    client = APIClient()
    client.force_authenticate(world["police"])
    return client


def test_retry_creates_once(police_api, orgs):
    body = {"organisation": orgs["pu-bg"].pk, "sex": "F", "forms": ["labour"]}
    first = police_api.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = police_api.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1


def test_same_key_other_body_is_refused(police_api, orgs):
    police_api.post("/api/v1/cases/", {"organisation": orgs["pu-bg"].pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = police_api.post(
        "/api/v1/cases/", {"organisation": orgs["pu-bg"].pk, "sex": "M"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert other.status_code == 422
    assert other["Content-Type"].startswith("application/problem+json")
    assert "Idempotency-Key" in other.json()["errors"]
    assert Case.objects.count() == 1


def test_failed_request_frees_the_key(police_api, orgs):
    bad = police_api.post(
        "/api/v1/cases/",
        {"organisation": orgs["pu-bg"].pk, "citizenship": "Serbia"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-3",
    )
    assert bad.status_code == 400 and "citizenship" in bad.json()["errors"]
    good = police_api.post(
        "/api/v1/cases/",
        {"organisation": orgs["pu-bg"].pk, "citizenship": "RS"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-3",
    )
    assert good.status_code == 201
    assert Case.objects.count() == 1


def test_a_replay_answers_exactly_the_first_response(police_api, orgs):
    body = {"organisation": orgs["pu-bg"].pk, "sex": "F", "citizenship": "RS"}
    first = police_api.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    second = police_api.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    assert (second.status_code, second.json()) == (first.status_code, first.json())
    assert "Idempotent-Replayed" not in first


def test_a_key_is_the_callers_own(world, police_api, orgs):
    """Another user sending the same key gets their own answer, never the first caller's record."""
    police_api.post("/api/v1/cases/", {"organisation": orgs["pu-bg"].pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-5")
    other = APIClient()
    other.force_authenticate(world["socialwork"])
    response = other.post(
        "/api/v1/cases/", {"organisation": orgs["csr-bg"].pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-5"
    )
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Case.objects.count() == 2


def test_a_key_with_control_characters_is_a_400_naming_the_header(police_api, orgs):
    body = {"organisation": orgs["pu-bg"].pk, "sex": "F", "forms": ["labour"]}
    response = police_api.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="k\x01")
    assert response.status_code == 400, response.content
    assert "Idempotency-Key" in response.json()["errors"]
    assert Case.objects.count() == 0
