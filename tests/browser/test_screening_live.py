"""The screening page's live result and the error summary, in real Chromium on a phone screen, in Serbian Cyrillic."""

from __future__ import annotations

import pytest

from conftest import PASSWORD, PRESUMED_ADULT
from tests.browser.conftest import assert_in_serbian, login, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_live_result_follows_the_ticks_and_the_child_flag(page, live_server, world):
    from playwright.sync_api import expect

    login(page, live_server, "police", PASSWORD)
    page.goto(f"{live_server.url}/screenings/new/")
    result = page.locator("#live-result")
    expect(result).to_be_visible()
    for code in PRESUMED_ADULT:
        page.locator(f"input[name=answers][value={code}]").check()
    expect(result).to_contain_text(tr("Presumed victim"))
    positive_group = tr("%(group)s: positive (%(dims)s)", group=tr("Coercion"), dims="")
    expect(result).to_contain_text(positive_group.removesuffix(" ()"))
    # Each dimension says, beside its own indicators, the clause it met.
    expect(page.locator('[data-dimension-status="deceptive_recruitment"]')).to_have_text(
        tr("positive: %(clause)s", clause=tr("%(n)d strong", n=2))
    )
    # Without coercion an adult is not a presumed victim but is referred for assessment (recruitment
    # and exploitation are positive), and the coercion dimension says what it lacks; a child is presumed.
    page.locator("input[value=coercion_destination_strong1]").uncheck()
    expect(result).to_contain_text(tr("Refer for assessment"))
    expect(page.locator('[data-dimension-status="coercion_destination"]')).to_contain_text(
        tr("not positive: %(missing)s needed", missing="|").split("|")[0]
    )
    page.get_by_label(tr("The person is a child (under 18)")).check()
    expect(result).to_contain_text(tr("Presumed victim"))
    expect(result).to_contain_text(tr("Child: coercion or means are not required."))
    assert_in_serbian(page)
    page.locator("aside button[type=submit]").click()
    expect(page.get_by_role("heading", name=tr("Result"))).to_be_visible()
    expect(page.locator(".result")).to_contain_text(tr("Presumed victim"))
    assert_in_serbian(page)
    # Opening a case with a bad date: the error summary takes the focus and names the field.
    page.get_by_role("link", name=tr("Open a case")).click()
    page.get_by_label(tr("Date of birth")).fill("2999-01-01")
    page.get_by_role("button", name=tr("Open the case")).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(tr("Date of birth"))
    expect(summary).to_be_focused()
