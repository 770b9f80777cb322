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
