"""Real Chromium (Debian's package) driven by Playwright against Django's live server."""

from __future__ import annotations

import functools
import os
import re
import shutil

import pytest

CHROMIUM = os.environ.get("NRM_CHROMIUM", "/usr/bin/chromium")
# The screens the browser tests use: a phone (the journeys') and a desktop.
CHROMIUM_VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
# The journeys run in Serbian Cyrillic (the UI's third language, the one most likely left behind).
LANGUAGE = "sr"
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


def new_page(browser, live_server, language: str = LANGUAGE):
    """Return a page on a phone screen whose UI language is ``language`` (the cookie the switch sets)."""
    from django.conf import settings

    context = browser.new_context(viewport=CHROMIUM_VIEWPORTS["phone"], locale=language)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


@pytest.fixture
def page(browser, live_server):
    page = new_page(browser, live_server)
    yield page
    page.context.close()


def tr(msgid: str, **params) -> str:
    """Return ``msgid`` as the journeys' UI language shows it (``params`` fill its placeholders)."""
    from django.utils import translation

    with translation.override(LANGUAGE):
        text = translation.gettext(msgid)
    return text % params if params else text


def localized_name(model, code: str) -> str:
    """Return the name of reference data ``model`` with ``code`` as the journeys' UI language shows it."""
    from django.utils import translation

    with translation.override(LANGUAGE):
        return str(model.objects.get(code=code))


CYRILLIC = re.compile(r"[\u0400-\u04ff]")


@functools.cache
def _english_phrases() -> tuple[str, ...]:
    """Return the UI's English phrases that Serbian Cyrillic translates: none may show on a Serbian page.

    Phrases of at least two words and without placeholders, so that a name in the data (a place,
    an organisation) is not mistaken for an untranslated string.
    """
    from django.utils.translation import trans_real

    catalog = trans_real.translation(LANGUAGE)._catalog
    return tuple(
        msgid
        for msgid, msgstr in catalog.items()
        if isinstance(msgid, str)
        and msgstr != msgid
        and " " in msgid.strip()
        and not re.search(r"[%{}<>\n]", msgid)
        and not CYRILLIC.search(msgid)
    )


def assert_in_serbian(page) -> None:
    """Assert the page shows Cyrillic text and none of the UI's English phrases."""
    from playwright.sync_api import expect

    expect(page.locator("main")).to_contain_text(CYRILLIC)
    shown = page.locator("body").inner_text()
    left = [phrase for phrase in _english_phrases() if phrase in shown]
    assert not left, f"English left on {page.url}: {left}"


def login(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label(tr("Username")).fill(username)
    page.get_by_label(tr("Password")).fill(password)
    page.get_by_role("button", name=tr("Sign in")).click()
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
