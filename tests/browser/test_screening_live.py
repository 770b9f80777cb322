"""The screening page's live result and the error summary, in real Chromium on a phone screen."""

from __future__ import annotations

import pytest

from conftest import PASSWORD, PRESUMED_ADULT
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_live_result_follows_the_ticks_and_the_child_flag(page, live_server, world):
    from playwright.sync_api import expect

    login(page, live_server, "police", PASSWORD)
    page.goto(f"{live_server.url}/screenings/new/")
    result = page.locator("#live-result")
    expect(result).to_be_visible()
    for code in PRESUMED_ADULT:
        page.locator(f"input[name=answers][value={code}]").check()
    expect(result).to_contain_text("Presumed victim")
    expect(result).to_contain_text("Coercion: positive")
    # Each dimension says, beside its own indicators, the clause it met.
    expect(page.locator('[data-dimension-status="deceptive_recruitment"]')).to_have_text("positive: 2 strong")
    # Without coercion an adult is not a presumed victim but is referred for assessment (recruitment
    # and exploitation are positive), and the coercion dimension says what it lacks; a child is presumed.
    page.locator("input[value=coercion_destination_strong1]").uncheck()
    expect(result).to_contain_text("Refer for assessment")
    expect(page.locator('[data-dimension-status="coercion_destination"]')).to_contain_text("needed")
    page.get_by_label("The person is a child (under 18)").check()
    expect(result).to_contain_text("Presumed victim")
    expect(result).to_contain_text("Child: coercion or means are not required.")
    page.locator("aside button[type=submit]").click()
    expect(page.get_by_role("heading", name="Result")).to_be_visible()
    expect(page.locator(".result")).to_contain_text("Presumed victim")
    # Opening a case with a bad date: the error summary takes the focus and names the field.
    page.get_by_role("link", name="Open a case").click()
    page.get_by_label("Date of birth").fill("2999-01-01")
    page.get_by_role("button", name="Open the case").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Date of birth")
    expect(summary).to_be_focused()
