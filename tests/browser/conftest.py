"""Real Chromium (Debian's package) driven by Playwright against Django's live server."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("NRM_CHROMIUM", "/usr/bin/chromium")
# The screens the browser tests use: a phone (the journeys') and a desktop.
CHROMIUM_VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="session")
def browser():
    # A missing browser is a failure, not a skip: the browser leg must really run.
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium not found at {CHROMIUM}; run 'make chromium'")
    # Playwright's sync API runs an event loop; Django must allow ORM calls from the test thread.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=CHROMIUM_VIEWPORTS["phone"], locale="en")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def login(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


def open_menu(page) -> None:
    """Unfold the main menu: on a phone it starts folded behind its button, leaving the screen to the page."""
    toggle = page.locator(".menu-toggle")
    if toggle.count() and toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false":
        from playwright.sync_api import expect

        expect(page.locator(".main-nav ul")).to_be_hidden()
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")


@pytest.fixture(autouse=True)
def flushable_audit(transactional_db):
    """Let each live-server test's database be flushed afterwards.

    Pages write audit rows, and the append-only triggers refuse the DELETE with which a
    transactional test database is flushed (SQLite). The triggers are in place during the
    test and dropped after it, before the flush.
    """
    from django.db import connection

    from nrm.audit import triggers

    triggers.install(connection)
    yield
    triggers.remove(connection)
