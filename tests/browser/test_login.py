"""Signing in and out in a real browser, on a phone-sized screen, in Serbian Cyrillic; the language switch."""

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from tests.browser.conftest import assert_in_serbian, login, new_page, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_shows_my_tasks(page, live_server, world):
    login(page, live_server, "police", PASSWORD)
    assert page.get_by_role("heading", name=tr("My tasks")).is_visible()
    assert_in_serbian(page)


def test_wrong_password_is_refused(page, live_server, world):
    page.goto(f"{live_server.url}/accounts/login/")
    assert_in_serbian(page)
    page.get_by_label(tr("Username")).fill("police")
    page.get_by_label(tr("Password")).fill("wrong-password")
    page.get_by_role("button", name=tr("Sign in")).click()
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
    page.get_by_label(tr("Username")).fill("first-day")
    page.get_by_label(tr("Password")).fill(one_time)
    page.get_by_role("button", name=tr("Sign in")).click()
    page.wait_for_url("**/accounts/password/**")
    assert page.get_by_role("heading", name=tr("Change your password")).is_visible()
    page.goto(f"{live_server.url}/")
    page.wait_for_url("**/accounts/password/**")
    page.get_by_label(tr("Current password")).fill(one_time)
    page.locator("#id_new_password").fill("my-own-passphrase-7")
    page.get_by_label(tr("New password again")).fill("my-own-passphrase-7")
    page.get_by_role("button", name=tr("Change the password")).click()
    assert page.get_by_role("heading", name=tr("My tasks")).is_visible()
    assert not fresh(user).must_change_password


def test_the_language_switch_turns_the_page_to_cyrillic(browser, live_server, world):
    page = new_page(browser, live_server, "en")
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Language").select_option("sr")
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Sign in"))
    assert_in_serbian(page)
    page.context.close()
