"""A helpline worker's journey in real Chromium: log a call, make it a screening, see the link.

The worker logs a call, turns it into an anonymous screening by ticking the indicators heard,
sees tr("Presumed victim"); the call's page then links the screening and offers no second conversion.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD, PRESUMED_ADULT
from nrm.accounts.choices import Role
from nrm.accounts.models import Membership, Organisation, User
from nrm.helpline.models import Call
from nrm.helpline.reference import load_helpline_reference
from tests.browser.conftest import assert_in_serbian, login, open_menu, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_helpline_call_becomes_a_screening(page, live_server, world):
    load_helpline_reference()
    worker = User.objects.create_user(username="hotline", password=PASSWORD)
    Membership.objects.create(user=worker, organisation=Organisation.objects.get(code="helpline"), role=Role.FRONTLINE)
    base = live_server.url

    login(page, live_server, "hotline", PASSWORD)
    open_menu(page)
    page.get_by_role("navigation", name=tr("Main")).get_by_role("link", name=tr("Helpline calls")).click()
    page.get_by_role("link", name=tr("Log a call")).click()
    page.get_by_label(tr("Channel")).select_option("phone")
    page.get_by_label(tr("Topic")).select_option("possible_trafficking")
    page.get_by_label(tr("Language of the call")).fill("sr")
    page.get_by_label(tr("Notes")).fill("Caller describes a job abroad with documents taken")
    page.get_by_role("button", name=tr("Save call")).click()
    page.wait_for_url(re.compile(r"/helpline/calls/\d+/$"))
    call_url = page.url
    call = Call.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Call %(pk)s", pk=call.pk))
    assert_in_serbian(page)

    page.get_by_role("link", name=tr("Make it a screening")).click()
    expect(page.locator("fieldset.dimension").first).to_be_visible()
    for code in PRESUMED_ADULT:
        page.locator(f"input[name=answers][value={code}]").check()
    expect(page.locator("#live-result")).to_contain_text(tr("Presumed victim"))
    page.get_by_role("button", name=tr("Save screening")).click()
    page.wait_for_url(re.compile(r"/screenings/\d+/$"))
    expect(page.locator(".result")).to_contain_text(tr("Presumed victim"))
    assert_in_serbian(page)
    call.refresh_from_db()
    assert call.screening is not None and page.url == f"{base}/screenings/{call.screening_id}/"

    page.goto(call_url)
    link = page.locator("[data-screening-link]")
    expect(link).to_have_attribute("href", f"/screenings/{call.screening_id}/")
    expect(page.get_by_role("link", name=tr("Make it a screening"))).to_have_count(0)
    # Coming back to the conversion page by its address offers nothing either.
    page.goto(f"{call_url}screening/")
    page.wait_for_url(call_url)
    expect(page.get_by_role("link", name=tr("Make it a screening"))).to_have_count(0)
