"""Signing in with a second factor in a real browser, where one is required (NRM_REQUIRE_2FA):
set up the authenticator app at the first sign-in, sign out, sign in with the password and a code."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from conftest import PASSWORD
from tests.browser.conftest import new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code(device: TOTPDevice, ahead: int = 0) -> str:
    """The code the phone would show, ``ahead`` time steps from now (the tolerance accepts one ahead)."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0 - ahead * device.step, device.digits, device.drift):06d}"


def test_enrol_sign_out_and_sign_in_with_a_code(browser, live_server, world, settings):
    # The live server runs in this process: the override reaches its requests.
    settings.NRM_REQUIRE_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    page = new_page(browser, live_server, "en")
    try:
        page.goto(f"{live_server.url}/accounts/login/?next=/cases/")
        page.get_by_label("Username").fill("police")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        # Held on the set-up page before any other.
        page.wait_for_url("**/accounts/totp/**")
        page.goto(f"{live_server.url}/cases/")
        page.wait_for_url("**/accounts/totp/**")
        expect(page.get_by_role("heading", level=1)).to_have_text("Authenticator app")
        device = TOTPDevice.objects.get(user=world["police"], confirmed=False)
        assert page.locator("code.secret").inner_text() != ""
        page.get_by_label("Code shown by the app").fill(code(device))
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_url(f"{live_server.url}/cases/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Cases")
        assert TOTPDevice.objects.filter(user=world["police"], confirmed=True).count() == 1

        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url("**/accounts/login/**")

        # The password alone is refused now; the code it asks for signs in.
        page.get_by_label("Username").fill("police")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#id_otp_token_error")).to_be_visible()
        page.get_by_label("Password").fill(PASSWORD)
        # The current step went to the set-up: a code works once, so the phone's next one.
        page.get_by_label("Authenticator code").fill(code(device, ahead=1))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/cases/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Cases")
    finally:
        page.context.close()
