"""A call to the API with its token skips the browsers' middleware, and nothing else (nrm.api.middleware)."""

from __future__ import annotations

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory

from conftest import api_token
from nrm.accounts.models import User
from nrm.api.middleware import TokenCallLane, is_token_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def sessions_opened(monkeypatch) -> list[str]:
    """The paths of the requests the session middleware saw."""
    seen: list[str] = []
    original = SessionMiddleware.process_request

    def spy(self, request):
        seen.append(request.path)
        return original(self, request)

    monkeypatch.setattr(SessionMiddleware, "process_request", spy)
    return seen


def test_a_token_call_goes_past_the_session_middleware(world, sessions_opened):
    response = Client().get("/api/v1/me/", headers={"authorization": f"Token {api_token(world['police'])}"})
    assert response.status_code == 200 and response.json()["username"] == world["police"].username
    assert sessions_opened == []
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies


def test_a_call_with_a_session_goes_through_it(world, sessions_opened):
    client = Client()
    client.force_login(world["police"])
    assert client.get("/api/v1/me/").status_code == 200
    assert sessions_opened == ["/api/v1/me/"]


def test_a_token_on_a_web_page_is_no_token_call(world, sessions_opened):
    client = Client()
    client.force_login(world["police"])
    response = client.get("/", headers={"authorization": f"Token {api_token(world['police'])}"})
    assert response.status_code == 200 and sessions_opened == ["/"]


def test_the_token_decides_whose_call_it_is_beside_a_session(world):
    client = Client()
    client.force_login(world["police"])
    response = client.get("/api/v1/me/", headers={"authorization": f"Token {api_token(world['ngo'])}"})
    assert response.json()["username"] == world["ngo"].username


@pytest.mark.parametrize("valid", [True, False])
def test_token_calls_keep_the_security_headers(world, valid):
    secret = api_token(world["police"]) if valid else "not-a-token"
    response = Client().get("/api/v1/me/", headers={"authorization": f"Token {secret}"})
    assert response.status_code == (200 if valid else 401)
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    # An authenticated answer is never cached; a refusal names no one.
    assert ("no-store" in response.get("Cache-Control", "")) == valid


def test_a_token_call_is_still_refused_what_a_session_would_be(world):
    """The holds the lane skips are the token's to apply: a password to change refuses the token too."""
    user: User = world["police"]
    secret = api_token(user)
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    response = Client().get("/api/v1/me/", headers={"authorization": f"Token {secret}"})
    assert response.status_code == 401 and "password" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "header", "token_call"),
    [
        ("/api/v1/cases/", "Token abc", True),
        ("/api/v1/cases/", "token abc", True),
        ("/api/v1/cases/", "Bearer abc", False),
        ("/api/v1/cases/", "", False),
        ("/api/v1/cases/", "Tokenabc", False),
        ("/cases/", "Token abc", False),
        ("/apiary/", "Token abc", False),
    ],
)
def test_what_a_token_call_is(path, header, token_call):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    assert is_token_call(RequestFactory().get(path, **extra)) is token_call


def test_the_lane_without_its_end_is_refused():
    with pytest.raises(ImproperlyConfigured, match="TokenCallLaneEnd"):
        TokenCallLane(lambda request: None)
