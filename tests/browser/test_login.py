"""Signing in and out in a real browser, on a phone-sized screen."""

import pytest

from conftest import PASSWORD
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_shows_my_tasks(page, live_server, world):
    login(page, live_server, "police", PASSWORD)
    assert page.get_by_role("heading", name="My tasks").is_visible()


def test_wrong_password_is_refused(page, live_server, world):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("police")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").is_visible()
    assert page.url.endswith("/accounts/login/")


def test_a_password_set_by_an_administrator_is_changed_at_the_first_sign_in(page, live_server, world):
    from conftest import fresh
    from nrm.accounts import services
    from nrm.accounts.models import Organisation

    user, one_time = services.user_create(
        actor=fresh(world["admin"]),
        username="first-day",
        organisation=Organisation.objects.get(code="pu-bg"),
        role="frontline",
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("first-day")
    page.get_by_label("Password").fill(one_time)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/password/**")
    assert page.get_by_role("heading", name="Change your password").is_visible()
    page.goto(f"{live_server.url}/")
    page.wait_for_url("**/accounts/password/**")
    page.get_by_label("Current password").fill(one_time)
    page.locator("#id_new_password").fill("my-own-passphrase-7")
    page.get_by_label("New password again").fill("my-own-passphrase-7")
    page.get_by_role("button", name="Change the password").click()
    assert page.get_by_role("heading", name="My tasks").is_visible()
    assert not fresh(user).must_change_password
