"""API tokens expire and are revoked; an administrator's password must be changed at the next sign-in (issues D, I).

Issue D: "a token survives a password change, web logout and second-factor enrolment; the
token endpoint hands back the same old token." Each event below revokes the tokens; expiry is
tested by setting ``expires_at`` in the past, never by waiting.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from conftest import PASSWORD, api_token, fresh
from nrm.accounts import services
from nrm.accounts.models import ApiToken, User
from nrm.accounts.services import token_hash
from nrm.accounts.tests.test_totp import code
from nrm.audit.models import AuditEntry

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"
NEW_PASSWORD = "a-fresh-passphrase-42"


def sign_in(username: str = "police", password: str = PASSWORD, **extra):
    return APIClient().post("/api/v1/auth/token/", {"username": username, "password": password, **extra}, format="json")


def client_with(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def refused(secret: str, words: str) -> None:
    """Assert the token no longer works: a 401 problem whose detail says why."""
    response = client_with(secret).get("/api/v1/me/")
    assert response.status_code == 401 and response["Content-Type"].startswith(PROBLEM), response.content
    assert words in response.json()["detail"]


def works(secret: str) -> bool:
    return client_with(secret).get("/api/v1/me/").status_code == 200


# --- Issuing, storing, expiring --------------------------------------------------------------


def test_only_the_hash_of_the_secret_is_stored(world):
    response = sign_in()
    secret = response.json()["token"]
    token = ApiToken.objects.get(pk=response.json()["id"])
    assert token.key_hash == token_hash(secret) and secret not in token.key_hash
    assert not ApiToken.objects.filter(key_hash=secret).exists()
    entry = AuditEntry.objects.filter(action="auth.token", outcome="allowed").latest("id")
    assert secret not in str(entry.detail)


def test_a_token_expires_after_the_ttl(world, settings):
    settings.NRM_API_TOKEN_TTL = 3600
    response = sign_in()
    token = ApiToken.objects.get(pk=response.json()["id"])
    assert token.expires_at - token.created_at == dt.timedelta(hours=1)
    assert works(response.json()["token"])
    past = timezone.now() - dt.timedelta(seconds=1)
    ApiToken.objects.filter(pk=token.pk).update(created_at=past - dt.timedelta(hours=1), expires_at=past)
    refused(response.json()["token"], "expired")


def test_each_sign_in_issues_a_new_token_and_the_oldest_beyond_the_maximum_is_revoked(world, settings):
    settings.NRM_API_TOKENS_MAX = 2
    first, second, third = (sign_in().json()["token"] for _ in range(3))
    assert len({first, second, third}) == 3
    refused(first, "revoked")
    assert works(second) and works(third)
    assert ApiToken.objects.get(key_hash=token_hash(first)).revoked_reason == "replaced"


def test_last_use_is_recorded(world):
    secret = sign_in().json()["token"]
    token = ApiToken.objects.get(key_hash=token_hash(secret))
    assert token.last_used_at is None
    assert works(secret)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_an_unknown_token_is_a_401(world):
    refused("not-a-token", "Invalid token")


# --- The caller's tokens ---------------------------------------------------------------------


def test_the_caller_lists_their_tokens_without_secrets(world):
    secret = sign_in(label="laptop script").json()["token"]
    other = sign_in().json()["token"]
    sign_in("ngo")
    revoked = sign_in().json()["token"]
    client_with(revoked).post("/api/v1/auth/logout/")
    response = client_with(secret).get("/api/v1/auth/tokens/")
    assert response.status_code == 200
    rows = response.json()
    assert secret.encode() not in response.content and other.encode() not in response.content
    assert [r["current"] for r in rows] == [False, True]  # newest first; the revoked one left out
    assert rows[1]["label"] == "laptop script"
    assert set(rows[0]) == {"id", "label", "created_at", "expires_at", "last_used_at", "current"}


def test_the_owner_revokes_a_token(world):
    keep = sign_in().json()["token"]
    gone = sign_in().json()
    response = client_with(keep).delete(f"/api/v1/auth/tokens/{gone['id']}/")
    assert response.status_code == 204
    refused(gone["token"], "revoked")
    assert works(keep)
    assert AuditEntry.objects.filter(action="auth.token_revoke", outcome="allowed", actor="police").exists()


@pytest.mark.parametrize("who", ["ngo", "admin"])
def test_no_one_else_revokes_a_token_through_the_api(world, who):
    victim = sign_in().json()
    response = client_with(api_token(world[who])).delete(f"/api/v1/auth/tokens/{victim['id']}/")
    assert response.status_code == 404 and response["Content-Type"].startswith(PROBLEM)
    assert works(victim["token"])
    assert AuditEntry.objects.filter(action="auth.token_revoke", outcome="denied", actor=who).exists()


def test_api_logout_revokes_only_the_current_token(world):
    current, other = sign_in().json()["token"], sign_in().json()["token"]
    assert client_with(current).post("/api/v1/auth/logout/").status_code == 204
    refused(current, "revoked")
    assert works(other)


# --- Revocation on each event ----------------------------------------------------------------


def test_a_password_change_on_the_web_revokes_the_tokens(world):
    secret = sign_in().json()["token"]
    client = Client()
    client.force_login(world["police"])
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )
    assert response.status_code == 302
    refused(secret, "revoked")
    assert fresh(world["police"]).check_password(NEW_PASSWORD)
    # The session that changed the password stays signed in.
    assert client.get("/").status_code == 200
    entry = AuditEntry.objects.filter(action="user.password_change").latest("id")
    assert entry.detail == {"forced": False, "tokens_revoked": 1}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"old_password": "wrong-password-1", "new_password": NEW_PASSWORD}, "old_password"),
        ({"old_password": PASSWORD, "new_password": "short"}, "new_password"),
        ({"old_password": PASSWORD, "new_password": PASSWORD}, "new_password"),
        ({"old_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": "other"}, "new_password_again"),
    ],
)
def test_a_bad_password_change_names_the_field_and_changes_nothing(world, data, field):
    secret = sign_in().json()["token"]
    client = Client()
    client.force_login(world["police"])
    response = client.post("/accounts/password/", {"new_password_again": data["new_password"], **data})
    assert response.status_code == 200 and field in response.context["form"].errors
    assert fresh(world["police"]).check_password(PASSWORD)
    assert works(secret)


def test_web_logout_revokes_the_tokens(world):
    secret = sign_in().json()["token"]
    client = Client()
    client.force_login(world["police"])
    assert client.post("/accounts/logout/").status_code == 302
    refused(secret, "revoked")
    assert AuditEntry.objects.filter(action="auth.tokens_revoke", reason="logout", actor="police").exists()


def test_setting_up_an_authenticator_revokes_the_tokens(world):
    secret = sign_in().json()["token"]
    client = Client()
    client.force_login(world["police"])
    client.get("/accounts/totp/")
    device = TOTPDevice.objects.get(user=world["police"], confirmed=False)
    client.post("/accounts/totp/", {"token": code(device)})
    refused(secret, "revoked")


def test_deactivation_revokes_the_tokens_and_reactivation_does_not_revive_them(world):
    secret = sign_in().json()["token"]
    services.user_set_active(actor=fresh(world["admin"]), user=world["police"], active=False)
    refused(secret, "revoked")
    services.user_set_active(actor=fresh(world["admin"]), user=world["police"], active=True)
    refused(secret, "revoked")


def test_nrm_user_set_password_revokes_the_tokens_and_forces_a_change(world):
    secret = sign_in().json()["token"]
    out = io.StringIO()
    call_command("user", "set-password", "police", stdout=out)
    password = out.getvalue().split("shown once): ")[1].strip()
    refused(secret, "revoked")
    user = fresh(world["police"])
    assert user.check_password(password) and user.must_change_password
    entry = AuditEntry.objects.filter(action="user.password_reset").latest("id")
    assert (entry.actor, entry.reason) == ("anonymous", "command line") and password not in str(entry.detail)


def test_nrm_user_set_password_names_an_unknown_account(world):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=r"^USERNAME: no account"):
        call_command("user", "set-password", "nobody-at-all")


# --- Administrators: reset, list, revoke ------------------------------------------------------


def test_an_administrator_resets_a_password_shown_once(world):
    secret = sign_in().json()["token"]
    client = Client()
    client.force_login(world["admin"])
    response = client.post(f"/administration/users/{world['police'].pk}/password/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    password = response.context["password"]
    assert password.encode() in response.content
    refused(secret, "revoked")
    user = fresh(world["police"])
    assert user.check_password(password) and user.must_change_password
    assert password.encode() not in client.get(f"/administration/users/{user.pk}/").content


def test_only_an_administrator_resets_a_password(world):
    from nrm.core.errors import NotFound

    with pytest.raises(NotFound):
        services.password_reset(actor=fresh(world["coordinator"]), user=world["police"])
    assert fresh(world["police"]).check_password(PASSWORD)


def test_an_administrator_lists_and_revokes_a_users_token(world):
    response = sign_in(label="nightly export")
    secret, token_id = response.json()["token"], response.json()["id"]
    client = Client()
    client.force_login(world["admin"])
    page = client.get(f"/administration/users/{world['police'].pk}/")
    assert b"nightly export" in page.content and secret.encode() not in page.content
    response = client.post(f"/administration/users/{world['police'].pk}/tokens/{token_id}/revoke/")
    assert response.status_code == 302
    refused(secret, "revoked")
    entry = AuditEntry.objects.filter(action="auth.token_revoke", outcome="allowed").latest("id")
    assert (entry.actor, entry.object_id, entry.detail["reason"]) == ("admin", str(world["police"].pk), "administrator")


def test_an_administrator_cannot_revoke_a_token_through_another_account(world):
    token_id = sign_in().json()["id"]
    client = Client()
    client.force_login(world["admin"])
    response = client.post(f"/administration/users/{world['ngo'].pk}/tokens/{token_id}/revoke/")
    assert response.status_code == 404
    assert ApiToken.objects.get(pk=token_id).revoked_at is None


# --- A password set by an administrator must be changed --------------------------------------


@pytest.fixture
def newcomer(world) -> tuple[User, str]:
    return services.user_create(
        actor=fresh(world["admin"]),
        username="newcomer",
        organisation=world["police"].memberships.get().organisation,
        role="frontline",
    )


def test_the_api_refuses_a_token_until_the_password_is_changed(newcomer):
    user, password = newcomer
    response = sign_in("newcomer", password)
    assert response.status_code == 400 and response["Content-Type"].startswith(PROBLEM)
    assert "choose your own" in response.json()["errors"]["password"][0]
    assert not ApiToken.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(action="auth.token", outcome="denied", reason="password change required").exists()
    services.password_change(user=user, old_password=password, new_password=NEW_PASSWORD)
    assert sign_in("newcomer", NEW_PASSWORD).status_code == 200


def test_the_web_holds_the_user_on_the_change_page_until_done(newcomer):
    user, password = newcomer
    client = Client()
    response = client.post("/accounts/login/", {"username": "newcomer", "password": password})
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 302 and home["Location"].startswith("/accounts/password/")
    page = client.get(home["Location"])
    assert page.status_code == 200 and b"set by an administrator" in page.content
    # With a session, the API refuses too.
    api = client.get("/api/v1/me/")
    assert api.status_code == 403 and api["Content-Type"].startswith(PROBLEM)
    done = client.post(
        "/accounts/password/",
        {"old_password": password, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD, "next": "/"},
    )
    assert done.status_code == 302 and done["Location"] == "/"
    assert client.get("/").status_code == 200
    assert not fresh(user).must_change_password
    entry = AuditEntry.objects.filter(action="user.password_change").latest("id")
    assert entry.detail["forced"] is True


def test_an_account_with_its_own_password_goes_where_it_asked(world):
    client = Client()
    client.force_login(world["police"])
    assert client.get("/").status_code == 200


def test_a_users_token_stops_when_an_administrator_sets_the_password_to_change(world):
    secret = api_token(world["police"])
    User.objects.filter(pk=world["police"].pk).update(must_change_password=True)
    refused(secret, "Change your password")


def test_a_user_agent_with_control_characters_still_signs_in(world):
    """The label comes from a header the person did not type: its control characters are dropped."""
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": "police", "password": PASSWORD},
        format="json",
        HTTP_USER_AGENT="curl\x01/8.0\x7f",
    )
    assert response.status_code in (200, 201), response.content
    assert ApiToken.objects.get(user__username="police").label == "curl/8.0"
