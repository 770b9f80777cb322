"""Optional TOTP: a user who set up an authenticator must give its code, on the web and for API tokens."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from nrm.audit.models import AuditEntry


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    # django-otp delays the next try after a wrong code; these tests try right after a wrong one.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def device(world):
    return TOTPDevice.objects.create(user=world["police"], name="phone", confirmed=True)


def test_without_a_device_password_alone_signs_in(client, world):
    response = client.post("/accounts/login/", {"username": "police", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"


def test_with_a_device_the_code_is_required(client, device):
    response = client.post("/accounts/login/", {"username": "police", "password": PASSWORD})
    assert response.status_code == 200
    assert "Enter the current code from your authenticator app." in response.content.decode()
    assert "_auth_user_id" not in client.session
    wrong = client.post("/accounts/login/", {"username": "police", "password": PASSWORD, "otp_token": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    ok = client.post("/accounts/login/", {"username": "police", "password": PASSWORD, "otp_token": code(device)})
    assert ok.status_code == 302 and "_auth_user_id" in client.session


def test_api_token_needs_the_code_too(client, device):
    response = client.post(
        "/api/v1/auth/token/", {"username": "police", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 400 and "otp" in response.json()["errors"]
    assert AuditEntry.objects.filter(action="auth.token", outcome="denied", actor="police").exists()
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "police", "password": PASSWORD, "otp_token": code(device)},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["token"]


def test_setting_up_an_authenticator(client, world):
    client.force_login(world["ngo"])
    page = client.get("/accounts/totp/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=world["ngo"], confirmed=False)
    bad = client.post("/accounts/totp/", {"token": "123"})
    assert "That code is not right" in bad.content.decode()
    assert not TOTPDevice.objects.filter(user=world["ngo"], confirmed=True).exists()
    client.post("/accounts/totp/", {"token": code(device)})
    assert TOTPDevice.objects.filter(user=world["ngo"], confirmed=True).count() == 1
    assert AuditEntry.objects.filter(action="auth.totp_enrol", actor="ngo").exists()


def test_setup_requires_sign_in(client, db):
    assert client.get("/accounts/totp/").status_code == 302
