"""Security properties without a home of their own in an app: caching, passwords, lockout, deployment.

Each test names the property of docs/security.md it proves (9, 16, 17, 18, 21).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from conftest import PASSWORD
from nrm.accounts import services as accounts
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import IDENTITY, api, open_case

# --- 16: no caching of personal data ----------------------------------------------------------


def test_16_pages_and_api_answers_with_personal_data_are_not_stored_by_caches(client, world):
    case = open_case(world["police"])
    client.force_login(world["police"])
    page = client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    caller = api(world["police"])
    for url in (f"/api/v1/cases/{case.pk}/", "/api/v1/cases/"):
        response = caller.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "no-store", url


# --- 17: passwords ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new_password", "message"),
    [("short-pw1", "too short"), ("password1234", "too common"), ("1234567890123", "entirely numeric")],
)
def test_17_a_short_common_or_numeric_password_is_refused_naming_the_field(world, new_password, message):
    user = world["ngo"]
    with pytest.raises(ValidationError) as refused:
        accounts.password_change(user=user, old_password=PASSWORD, new_password=new_password)
    assert list(refused.value.message_dict) == ["new_password"]
    assert message in " ".join(refused.value.message_dict["new_password"])
    user.refresh_from_db()
    assert user.check_password(PASSWORD)  # the old password still works: nothing changed


def test_17_the_validators_are_the_settings_not_a_form():
    with pytest.raises(ValidationError):
        validate_password("short")
    validate_password("a-long-unusual-phrase-7")


# --- 18: lockout per username, on the web and the token endpoint, logged ----------------------


def _sign_in(client, username: str, password: str, address: str):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def _token(client, username: str, password: str, address: str):
    return client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def test_18_five_failures_lock_the_username_whatever_the_address_and_each_is_audited(client, world, settings):
    settings.AXES_FAILURE_LIMIT = 5
    before = AuditEntry.objects.filter(action="auth.sign_in", outcome="denied").count()
    for n in range(5):
        _sign_in(client, "ngo", "wrong-password", f"10.0.0.{n + 1}")
    # Now even the right password, from a new address, is refused: on the web and for a token.
    page = _sign_in(client, "ngo", PASSWORD, "10.0.1.1")
    assert "_auth_user_id" not in client.session
    assert page.status_code == 429
    assert page["Retry-After"] == str(round(settings.AXES_COOLOFF_TIME * 3600))
    assert b"Too many failed sign-ins" in page.content
    token = _token(client, "ngo", PASSWORD, "10.0.1.2")
    assert token.status_code == 429
    assert token["Content-Type"] == "application/problem+json"
    assert list(token.json()["errors"]) == ["username"]
    # Another user is not locked by it.
    other = _token(client, "ngo2", PASSWORD, "10.0.0.1")
    assert other.status_code == 200
    assert AuditEntry.objects.filter(action="auth.sign_in", outcome="denied").count() - before >= 5


def test_18_failures_on_the_token_endpoint_count_toward_the_same_lockout(client, world, settings):
    settings.AXES_FAILURE_LIMIT = 5
    for n in range(5):
        _token(client, "socialwork", "wrong-password", f"10.0.2.{n + 1}")
    page = _sign_in(client, "socialwork", PASSWORD, "10.0.3.1")
    assert page.status_code == 429
    assert "_auth_user_id" not in client.session


# --- 21: deployment checks and headers -------------------------------------------------------


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def production_env(tmp_path: Path) -> dict[str, str]:
    """Return an environment with every key production requires (synthetic, thrown away)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NRM_") and k != "DATABASE_URL"}
    env.update(
        NRM_ENV="production",
        NRM_DATA_DIR=str(tmp_path),
        NRM_SECRET_KEY=secrets.token_urlsafe(50),
        NRM_ENCRYPTION_KEYS=f"k1:{_key()}",
        NRM_LINKAGE_KEY=_key(),
        NRM_AUDIT_KEY=_key(),
        NRM_AUDIT_SIGNING_KEY=_key(),
        NRM_ALLOWED_HOSTS="nrm.example.org",
        DJANGO_SETTINGS_MODULE="nrm.settings",
    )
    return env


def test_21_check_deploy_is_clean_at_warning_level_in_production(tmp_path):
    nrm = str(Path(sys.executable).with_name("nrm"))
    done = subprocess.run(
        [nrm, "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_21_production_cookies_are_secure_httponly_and_samesite(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SESSION_COOKIE_SAMESITE, s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_SSL_REDIRECT)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=production_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True", "Lax", "True", "True"]


def test_21_every_page_sends_the_protective_headers(client, world):
    client.force_login(world["ngo"])
    for url in ("/accounts/login/", "/", "/cases/"):
        response = client.get(url)
        assert "default-src 'self'" in response["Content-Security-Policy"], url
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Frame-Options"] == "DENY", url


# --- 9: no identity in audit rows, logs or error pages ---------------------------------------


def test_09_no_identity_in_audit_rows_logs_or_error_pages(client, world, caplog):
    caplog.set_level(logging.DEBUG)
    case = open_case(world["police"])
    client.force_login(world["police"])
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    assert api(world["police"]).get(f"/api/v1/cases/{case.pk}/").status_code == 200
    # Refused reads: another organisation's page and API call, and a bad update.
    client.force_login(world["ngo2"])
    denied_page = client.get(f"/cases/{case.pk}/")
    denied_api = api(world["ngo2"]).get(f"/api/v1/cases/{case.pk}/")
    assert (denied_page.status_code, denied_api.status_code) == (404, 404)
    bad = api(world["police"]).post(
        "/api/v1/cases/",
        {"identity": {**IDENTITY, "date_of_birth": "not-a-date"}, "sex": "F", "organisation": case.owner_id},
        format="json",
    )
    assert bad.status_code == 400

    rows = [json.dumps(row, default=str) for row in AuditEntry.objects.values()]
    assert rows
    texts = {"audit rows": "\n".join(rows), "logs": caplog.text}
    texts["404 page"] = denied_page.content.decode()
    texts["404 problem"] = denied_api.content.decode()
    texts["400 problem"] = bad.content.decode()
    for field, value in IDENTITY.items():
        for where, text in texts.items():
            assert value not in text, f"{field} in {where}"
