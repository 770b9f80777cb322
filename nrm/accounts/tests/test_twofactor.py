"""Issue D: the second factor required in production, codes that work once, enrolment that the
password alone cannot replace, one audit row per refused token sign-in, and sessions that end."""

import os
import subprocess
import sys
import time

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD, fresh
from nrm.audit.models import AuditEntry
from nrm.settings import require_2fa_default


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    # django-otp delays the next try after a wrong code; these tests try right after a wrong one.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def required(settings):
    settings.NRM_REQUIRE_2FA = True
    return settings


def code(device: TOTPDevice, shift: int = 0) -> str:
    return f"{totp(device.bin_key, device.step, device.t0 - shift * device.step, device.digits, device.drift):06d}"


def device_of(user, confirmed: bool = True) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=confirmed)


def signed_in(user, device: TOTPDevice | None = None) -> Client:
    client = Client()
    response = client.post(
        "/accounts/login/",
        {"username": user.username, "password": PASSWORD, "otp_token": code(device) if device else ""},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return client


# --- 1. Required for roles that see identity -------------------------------------------------


def test_the_default_is_required_in_production_and_not_elsewhere():
    assert require_2fa_default(True) is True
    assert require_2fa_default(False) is False


def _settings_value(env: dict) -> str:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("NRM_", "DATABASE_URL", "DJANGO_"))}
    out = subprocess.run(
        [sys.executable, "-c", "import nrm.settings as s; print(s.NRM_REQUIRE_2FA)"],
        env=keep | env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def test_production_settings_require_the_second_factor_and_the_demo_does_not(tmp_path):
    import base64

    key = base64.b64encode(b"k" * 32).decode()
    production = {
        "NRM_ENV": "production",
        "NRM_DATA_DIR": str(tmp_path),
        "NRM_SECRET_KEY": "x" * 60,
        "NRM_ENCRYPTION_KEYS": f"k1:{key}",
        "NRM_LINKAGE_KEY": key,
        "NRM_AUDIT_KEY": key,
        "NRM_AUDIT_SIGNING_KEY": key,
        "NRM_ALLOWED_HOSTS": "nrm.example.org",
    }
    assert _settings_value(production) == "True"
    assert _settings_value(production | {"NRM_REQUIRE_2FA": "0"}) == "False"
    assert _settings_value({"NRM_DATA_DIR": str(tmp_path)}) == "False"


def test_without_a_device_a_required_user_is_sent_to_enrol_before_any_page(world, required):
    client = signed_in(world["police"])
    response = client.get("/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/totp/?next=")
    assert client.get("/accounts/totp/").status_code == 200
    api = client.get("/api/v1/me/")
    assert api.status_code == 403


def test_statistics_roles_are_not_required(world, required):
    client = signed_in(world["analyst"])
    assert client.get("/").status_code == 200


def test_the_demo_needs_no_second_factor(world, settings):
    settings.NRM_REQUIRE_2FA = False
    client = signed_in(world["police"])
    assert client.get("/cases/").status_code == 200


def test_enrolling_lets_the_user_through(world, required):
    client = signed_in(world["police"])
    client.get("/accounts/totp/")
    device = TOTPDevice.objects.get(user=world["police"], confirmed=False)
    response = client.post("/accounts/totp/?next=/cases/", {"token": code(device)})
    assert response.status_code == 302 and response["Location"] == "/cases/"
    assert client.get("/cases/").status_code == 200


def test_a_session_without_the_code_is_sent_to_sign_in_again(world, required):
    device_of(world["police"])
    client = Client()
    client.force_login(world["police"])  # a session that never gave a code
    response = client.get("/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_the_token_endpoint_requires_otp_for_required_users(world, required):
    refused = Client().post(
        "/api/v1/auth/token/", {"username": "police", "password": PASSWORD}, content_type="application/json"
    )
    assert refused.status_code == 400 and "otp" in refused.json()["errors"]
    device = device_of(world["police"])
    refused = Client().post(
        "/api/v1/auth/token/", {"username": "police", "password": PASSWORD}, content_type="application/json"
    )
    assert refused.status_code == 400 and "otp" in refused.json()["errors"]
    ok = Client().post(
        "/api/v1/auth/token/",
        {"username": "police", "password": PASSWORD, "otp": code(device)},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["token"]
    analyst = Client().post(
        "/api/v1/auth/token/", {"username": "analyst", "password": PASSWORD}, content_type="application/json"
    )
    assert analyst.status_code == 200


# --- 2. A code works once --------------------------------------------------------------------


def test_a_code_replayed_on_the_web_is_refused(world):
    device = device_of(world["police"])
    used = code(device)
    form = {"username": "police", "password": PASSWORD, "otp_token": used}
    assert Client().post("/accounts/login/", form).status_code == 302
    again = Client().post("/accounts/login/", form)
    assert again.status_code == 200 and "_auth_user_id" not in again.wsgi_request.session
    assert AuditEntry.objects.filter(action="auth.sign_in", outcome="denied", actor="police").exists()


def test_a_code_replayed_at_the_token_endpoint_is_refused(world):
    device = device_of(world["police"])
    body = {"username": "police", "password": PASSWORD, "otp": code(device)}
    assert Client().post("/api/v1/auth/token/", body, content_type="application/json").status_code == 200
    again = Client().post("/api/v1/auth/token/", body, content_type="application/json")
    assert again.status_code == 400 and "otp" in again.json()["errors"]


def test_the_code_that_confirmed_the_enrolment_does_not_sign_in(world):
    client = Client()
    client.force_login(world["ngo"])
    client.get("/accounts/totp/")
    device = TOTPDevice.objects.get(user=world["ngo"], confirmed=False)
    used = code(device)
    client.post("/accounts/totp/", {"token": used})
    again = Client().post("/accounts/login/", {"username": "ngo", "password": PASSWORD, "otp_token": used})
    assert again.status_code == 200


# --- 3. The password alone does not replace a device -----------------------------------------


def test_replacing_a_device_needs_a_code_from_it(world):
    old = device_of(world["police"])
    client = signed_in(world["police"], old)
    client.get("/accounts/totp/")
    new = TOTPDevice.objects.get(user=world["police"], confirmed=False)
    refused = client.post("/accounts/totp/", {"token": code(new)})
    assert refused.status_code == 200
    assert list(TOTPDevice.objects.filter(user=world["police"], confirmed=True)) == [old]
    wrong = client.post("/accounts/totp/", {"token": code(new), "current_token": "000000"})
    assert wrong.status_code == 200
    assert list(TOTPDevice.objects.filter(user=world["police"], confirmed=True)) == [old]
    # The old device's next step: its current one was used at sign-in.
    client.post("/accounts/totp/", {"token": code(new), "current_token": code(old, shift=1)})
    assert list(TOTPDevice.objects.filter(user=world["police"], confirmed=True)) == [new]


def test_removing_a_device_needs_a_code_from_it(world):
    old = device_of(world["ngo"])
    client = signed_in(world["ngo"], old)
    client.post("/accounts/totp/remove/", {"current_token": "000000"})
    assert TOTPDevice.objects.filter(user=world["ngo"], confirmed=True).exists()
    client.post("/accounts/totp/remove/", {"current_token": code(old, shift=1)})
    assert not TOTPDevice.objects.filter(user=world["ngo"], confirmed=True).exists()
    assert AuditEntry.objects.filter(action="auth.totp_remove", actor="ngo").exists()


def test_an_administrator_resets_the_second_factor(world):
    device_of(world["police"])
    admin = Client()
    admin.force_login(world["admin"])
    page = admin.get(f"/administration/users/{world['police'].pk}/")
    assert "second-factor" in page.content.decode()
    response = admin.post(f"/administration/users/{world['police'].pk}/second-factor/reset/")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=world["police"]).exists()
    police = str(world["police"].pk)
    assert AuditEntry.objects.filter(action="user.totp_reset", actor="admin", object_id=police).exists()
    # Nobody else may.
    other = Client()
    other.force_login(world["ngo"])
    assert other.post(f"/administration/users/{world['police'].pk}/second-factor/reset/").status_code == 404


# --- 4. One audit row per refused token sign-in ----------------------------------------------


def test_bad_credentials_at_the_token_endpoint_write_one_audit_row(world):
    before = AuditEntry.objects.count()
    response = Client().post(
        "/api/v1/auth/token/", {"username": "police", "password": "wrong-horse"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.outcome, entry.object_id, entry.reason) == (
        "auth.token",
        "denied",
        "police",
        "bad credentials",
    )


# --- 5. Sessions ------------------------------------------------------------------------------


def test_a_session_ends_at_its_maximum_age_even_if_active(world, settings):
    client = signed_in(world["police"])
    assert client.get("/cases/").status_code == 200
    session = client.session
    session["nrm_signed_in_at"] = int(time.time()) - settings.NRM_SESSION_MAX_AGE - 1
    session.save()
    response = client.get("/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_a_session_within_its_maximum_age_stays(world, settings):
    client = signed_in(world["police"])
    session = client.session
    session["nrm_signed_in_at"] = int(time.time()) - settings.NRM_SESSION_MAX_AGE + 60
    session.save()
    assert client.get("/cases/").status_code == 200


def test_signing_out_clears_the_site_data(world):
    client = signed_in(world["police"])
    response = client.post("/accounts/logout/")
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'


def test_signing_in_gives_a_new_session_key(world):
    client = Client()
    client.get("/accounts/login/")
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    client.post("/accounts/login/", {"username": "police", "password": PASSWORD})
    assert client.session.session_key != before and "_auth_user_id" in client.session


def test_a_password_change_ends_the_other_sessions(world):
    from nrm.accounts import services

    other = signed_in(world["police"])
    mine = signed_in(world["police"])
    mine.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password": "another-horse-9", "new_password_again": "another-horse-9"},
    )
    assert mine.get("/cases/").status_code == 200
    assert other.get("/cases/").status_code == 302
    services.password_reset(actor=None, user=fresh(world["police"]), password="reset-horse-123")
    assert mine.get("/cases/").status_code == 302


def test_deactivation_ends_the_sessions(world):
    from nrm.accounts import services

    client = signed_in(world["police"])
    services.user_set_active(actor=None, user=world["police"], active=False)
    assert client.get("/cases/").status_code == 302


def test_a_token_issued_before_the_requirement_stops_working_until_a_device_is_set_up(world, settings):
    from conftest import api_token

    secret = api_token(world["police"])
    client = Client(HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.get("/api/v1/me/").status_code == 200
    settings.NRM_REQUIRE_2FA = True
    refused = client.get("/api/v1/me/")
    assert refused.status_code == 401 and "authenticator" in refused.json()["detail"]
    analyst = Client(HTTP_AUTHORIZATION=f"Token {api_token(world['analyst'])}")
    assert analyst.get("/api/v1/me/").status_code == 200


def test_the_command_line_resets_a_lost_authenticator(world):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    device_of(world["admin"])
    out = StringIO()
    call_command("user", "reset-2fa", "admin", stdout=out)
    assert "removed 1" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=world["admin"]).exists()
    entry = AuditEntry.objects.filter(action="user.totp_reset").latest("id")
    assert (entry.actor, entry.reason) == ("anonymous", "command line")
    with pytest.raises(CommandError, match="USERNAME"):
        call_command("user", "reset-2fa", "nobody-at-all")
