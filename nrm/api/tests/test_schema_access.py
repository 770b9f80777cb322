"""Who may read the schema and the docs, and what an unknown /api/ path answers (issue D)."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import path

from nrm.cases.tests.helpers import api

PROBLEM = "application/problem+json"


@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/"])
def test_in_production_anonymous_users_cannot_load_the_schema_or_docs(world, client, path):
    with override_settings(PRODUCTION=True):
        response = client.get(path)
        assert response.status_code in (302, 401), response.status_code
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/")
        else:
            assert response["Content-Type"].startswith(PROBLEM)
        assert b"openapi" not in response.content
        assert api(world["police"]).get(path).status_code == 200
        client.force_login(world["police"])
        assert client.get(path).status_code == 200


def test_in_production_the_schema_refuses_anonymous_with_a_problem(world, client):
    with override_settings(PRODUCTION=True):
        response = client.get("/api/v1/schema/")
    assert response.status_code == 401 and response["Content-Type"].startswith(PROBLEM)


def test_in_production_the_docs_send_anonymous_to_sign_in(world, client):
    with override_settings(PRODUCTION=True):
        response = client.get("/api/v1/docs/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/api/v1/docs/"


def test_outside_production_the_schema_stays_public(db, client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200 and b"openapi" in response.content


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/v1/cases/1/nope/", "/api/v2/", "/api/"])
def test_an_unknown_api_path_is_a_problem_404(world, path):
    response = api(world["police"]).get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith(PROBLEM)
    assert response.json()["status"] == 404


def test_an_unknown_page_is_still_the_html_404(world, client):
    client.force_login(world["police"])
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def _crash(request):
    raise RuntimeError("secret detail of the failure")


urlpatterns = [path("api/v1/crash/", _crash)]
handler500 = "nrm.api.errors.server_error"


@override_settings(ROOT_URLCONF=__name__)
def test_a_crash_under_api_is_a_problem_500_without_detail(db):
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/crash/")
    assert response.status_code == 500 and response["Content-Type"].startswith(PROBLEM)
    assert b"secret" not in response.content
